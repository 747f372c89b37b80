"""Secrets handed to a person (a sign-in session, a password link, a reply code, the token
of a checked file's confirm step) are kept only as their SHA-256: a copy of the database
opens nothing."""
import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
