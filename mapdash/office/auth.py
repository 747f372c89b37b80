"""Staff accounts: argon2 password hashes, flask-login, and role checks made on the server."""
from functools import wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.errors import UserError
from mapdash.extensions import login_manager
from mapdash.i18n import _l
from mapdash.models import Department, User
from mapdash.vocabulary import ROLES

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def create_user(session: Session, *, organization_id: int, email: str, password: str, role: str,
                department_code: str | None = None, display_name: str = "",
                is_demo: bool = False, check_strength: bool = True) -> User:
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise UserError("bad_email", _l("Not a valid e-mail address"))
    if role not in ROLES:
        raise UserError("bad_role", _l("Role must be one of %(roles)s", roles=", ".join(ROLES)))
    if check_strength and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("weak_password", _l("The password must be at least %(n)s characters long",
                                            n=MIN_PASSWORD_LENGTH))
    if find_user(session, email):
        raise UserError("email_taken", _l("This e-mail already has an account"))
    department_id = None
    if department_code:
        department = session.scalars(select(Department).where(
            Department.organization_id == organization_id, Department.code == department_code)).first()
        if department is None:
            raise UserError("bad_department", _l("No department '%(code)s'", code=department_code))
        department_id = department.id
    if role == "officer" and department_id is None:
        raise UserError("department_required", _l("An officer needs a department (--department)"))
    user = User(organization_id=organization_id, email=email, display_name=display_name or email,
                password_hash=hash_password(password), role=role, department_id=department_id,
                is_demo=is_demo)
    session.add(user)
    session.flush()
    return user


def login_allowed(user: User) -> bool:
    """Demo accounts have published passwords: they only work in development."""
    return user.active and (not user.is_demo or current_app.config["ENV"] == "development")


def role_required(*roles: str):
    """Only signed-in staff of one of `roles` may pass; others are sent to sign in, or get 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session().get(User, int(user_id))
    return user if user is not None and login_allowed(user) else None


def init_app(app: Flask) -> None:
    global _hasher  # new hashes at the settings' cost (config.py); one app per process
    _hasher = PasswordHasher(time_cost=app.config["ARGON2_TIME_COST"],
                             memory_cost=app.config["ARGON2_MEMORY_KIB"],
                             parallelism=app.config["ARGON2_PARALLELISM"])
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says it itself, in the reader's language
