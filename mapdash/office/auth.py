"""Staff accounts: argon2 password hashes, signing in and out (throttled, with sessions kept
in the database), and role checks made on the server."""
import secrets
from datetime import UTC, datetime, timedelta
from functools import wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app
from flask import session as cookie
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.errors import FORBIDDEN, LOGIN_REQUIRED, UserError
from mapdash.extensions import login_manager
from mapdash.i18n import _l
from mapdash.models import Department, User
from mapdash.office import sign_in_throttle, staff_sessions
from mapdash.vocabulary import ROLES

_hasher = PasswordHasher()
# What an unknown e-mail's password is checked against: the same argon2 work as a known one,
# or the time of an answer would tell which e-mails have an account (made by init_app).
_dummy_hash = ""
MIN_PASSWORD_LENGTH = 10
WRONG_PASSWORD = _l("Wrong e-mail or password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    """Checks an unknown account (None) against the dummy hash: false, after the same work."""
    try:
        matches = _hasher.verify(user.password_hash if user is not None else _dummy_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and user is not None


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
    if check_strength:
        _check_strength(password)
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


def _check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("weak_password", _l("The password must be at least %(n)s characters long",
                                            n=MIN_PASSWORD_LENGTH))


def set_password(session: Session, user: User, password: str) -> None:
    """A new password ends every session of the account (a thief's copy of a cookie too)."""
    _check_strength(password)
    user.password_hash = hash_password(password)
    staff_sessions.end_all(session, user.id)


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivating ends every session; activating again brings none of them back."""
    user.active = active
    if not active:
        staff_sessions.end_all(session, user.id)


def login_allowed(user: User) -> bool:
    """Demo accounts have published passwords: they only work in development."""
    return user.active and (not user.is_demo or current_app.config["ENV"] == "development")


def check_sign_in(session: Session, email: str, password: str, address: str,
                  now: datetime) -> User:
    """The account these credentials open, or a UserError: 429 while the e-mail or the client
    address must wait (sign_in_throttle.py), 401 otherwise. Known and unknown e-mails take the
    same steps (the same queries, one argon2 check), so neither answer nor time tells them apart."""
    user = find_user(session, email)
    sign_in_throttle.start_attempt(email, address, user.id if user else None, now)
    matches = password_matches(user, password)  # checked even without an account (the dummy)
    if user is None or not matches:
        raise UserError("wrong_password", WRONG_PASSWORD, status=401)
    if not login_allowed(user):
        if user.is_demo:
            raise UserError("demo_account", _l("Demo accounts work only in development mode"),
                            status=401)
        raise UserError("wrong_password", WRONG_PASSWORD, status=401)
    sign_in_throttle.attempt_succeeded(email, address)
    return user


def session_token() -> str | None:
    """The staff session token of this request's cookie."""
    token = cookie.get(staff_sessions.COOKIE_KEY)
    return token if isinstance(token, str) else None


def session_is_live(app: Flask, token: str | None) -> bool:
    """Whether the staff session of `token` still lets its user in, asked outside a request
    (a live stream checks it at each heartbeat: a session ended elsewhere stops its data)."""
    if token is None:
        return False
    with app.app_context(), db.new_session(app) as session:
        return staff_sessions.signed_in_user(session, token, datetime.now(UTC),
                                             **_lifetimes()) is not None


def _lifetimes() -> dict[str, timedelta]:
    return {"idle": timedelta(hours=current_app.config["SESSION_IDLE_HOURS"]),
            "longest": timedelta(hours=current_app.config["SESSION_MAX_HOURS"])}


def begin_session(user: User, now: datetime) -> None:
    """Sign in: a session row, its token in the cookie, and flask-login's user (never a
    remember-me cookie: a session lives no longer than its row); the time is noted."""
    cookie[staff_sessions.COOKIE_KEY] = staff_sessions.start(db.session(), user.id, now,
                                                             **_lifetimes())
    user.last_sign_in_at = now  # the admins' staff list
    login_user(user, remember=False)


def sign_out() -> None:
    """This browser's session ends (and any copy of its cookie); the cookie forgets its token.
    The account's sessions on other devices go on: a new password or deactivation ends those
    (staff_sessions.end_all)."""
    token = cookie.pop(staff_sessions.COOKIE_KEY, None)
    if isinstance(token, str):
        staff_sessions.end(db.session(), token)
    logout_user()


def json_role_required(*roles: str):
    """role_required for an endpoint that answers JSON: a stranger gets 401 and another role
    403, in JSON, and so does every refusal of the endpoint itself (views/errors.py)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                raise UserError("login_required", LOGIN_REQUIRED, status=401)
            if current_user.role not in roles:
                raise UserError("forbidden", FORBIDDEN, status=403)
            return view(*args, **kwargs)
        wrapped.answers_json = True  # type: ignore[attr-defined]  # read by views/errors.py
        return wrapped
    return decorator


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
    """The user of the cookie's live session. flask-login's user id alone (what a remember-me
    cookie would carry) opens nothing without a session row."""
    token = cookie.get(staff_sessions.COOKIE_KEY)
    if not isinstance(token, str):
        return None
    user = staff_sessions.signed_in_user(db.session(), token, datetime.now(UTC), **_lifetimes())
    if user is None or str(user.id) != user_id or not login_allowed(user):
        return None
    return user


def init_app(app: Flask) -> None:
    global _hasher, _dummy_hash  # new hashes at the settings' cost (config.py); one app per process
    _hasher = PasswordHasher(time_cost=app.config["ARGON2_TIME_COST"],
                             memory_cost=app.config["ARGON2_MEMORY_KIB"],
                             parallelism=app.config["ARGON2_PARALLELISM"])
    _dummy_hash = _hasher.hash(secrets.token_hex(16))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says it itself, in the reader's language
