"""The Flask extensions, created here and bound to the app by create_app: importing them
never imports the app (no cycles)."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# The language of each request; the catalogues and their Jinja callables are mapdash.i18n's.
babel = Babel(configure_jinja=False)
