"""The signed link that carries a LINE user from the chat to the report form.

Links sent to a LINE user in a reply carry ?line=<token>: the user's LINE userId signed with
the app's SECRET_KEY (itsdangerous), good for a week. The form keeps the token through the
POST and the case remembers the user, so LINE can tell them how it goes. The token is signed,
not encrypted: it is only ever sent to that user, and no page prints the userId itself.
"""
from itsdangerous import BadData, URLSafeTimedSerializer

SALT = "mapdash.line-user"
MAX_AGE_SECONDS = 7 * 24 * 3600
LINE_USER_ID = 64  # incidents.reporter_line_user's limit (sql/006)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign_user(secret_key: str, user_id: str) -> str:
    return _serializer(secret_key).dumps(user_id)


def user_from_token(secret_key: str, token: str | None) -> str | None:
    """The LINE userId in a valid token; None for no token, a forged or an expired one."""
    if not token:
        return None
    try:
        user_id = _serializer(secret_key).loads(token, max_age=MAX_AGE_SECONDS)
    except BadData:
        return None
    return user_id if isinstance(user_id, str) and 0 < len(user_id) <= LINE_USER_ID else None
