"""mapdash: citizens' reports of local problems, on a map, for Thai local administrations."""
from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from mapdash import config, db, i18n
from mapdash.config import PROJECT_ROOT
from mapdash.office import auth

csrf = CSRFProtect()


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "static"))
    app.config.update(config.load(overrides))
    if app.config["PROXY_COUNT"]:
        proxies = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    db.init_app(app)
    from mapdash.integrations.notify import (
        outbox,  # registers the outbox's session listeners
    )
    outbox.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)

    from mapdash.views import register_blueprints
    register_blueprints(app)
    from mapdash.cli import register_commands
    register_commands(app)
    return app
