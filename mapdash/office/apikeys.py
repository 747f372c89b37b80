"""API keys of Open311 clients: made here, shown once, kept only as a SHA-256 digest.

A key is 256 random bits: no one can guess one to test against the digest, so a fast hash
is enough (a slow one like argon2 only matters for passwords people choose). A revoked key
stays listed, so an administrator can see which client it was.
"""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import ApiKey, Organization, User
from mapdash.office import changes

PREFIX = "md311_"  # tells a leaked key apart from other secrets
MAX_NAME = 100
# "Last used" is noted at most this often: every report of an app uses its one key, and a
# write on each would make all of them wait on that row.
LAST_USED_PRECISION = timedelta(minutes=1)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(session: Session, name: str, organization: Organization,
               actor: User | None = None) -> tuple[ApiKey, str]:
    """A new key for `name`: (its row, the key itself, to show once); an admin's (`actor`)
    is recorded (changes.py). Flushes."""
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise UserError("bad_key_name", _l("A key's name must be 1 to %(max_name)s characters long",
                                           max_name=MAX_NAME), field="name")
    if session.scalars(select(ApiKey.id).where(ApiKey.name == name)).first():
        raise UserError("key_name_taken", _l("A key with this name exists"),
                        field="name", status=409)
    key = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, organization_id=organization.id, key_sha256=digest(key))
    session.add(row)
    session.flush()
    if actor is not None:
        changes.record(session, actor, "api_key", "created", label=name, subject_id=row.id)
    return row, key


def revoke_key(session: Session, name: str, organization_id: int | None = None,
               actor: User | None = None) -> ApiKey:
    """Revoke the key called `name` (of that organization, when given); an admin's (`actor`)
    revocation is recorded. Flushes."""
    query = select(ApiKey).where(ApiKey.name == (name or "").strip())
    if organization_id is not None:
        query = query.where(ApiKey.organization_id == organization_id)
    row = session.scalars(query).first()
    if row is None:
        raise UserError("unknown_key", _l("No key has this name"), status=404)
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
        if actor is not None:
            changes.record(session, actor, "api_key", "revoked", label=row.name, subject_id=row.id)
    return row


def valid_key(session: Session, key: str | None) -> ApiKey | None:
    """The unrevoked key `key`, its last use noted; None for anything else."""
    if not key or len(key) > 200:
        return None
    # With its organization, which every use of a key reads next.
    row = session.scalars(select(ApiKey).options(joinedload(ApiKey.organization))
                          .where(ApiKey.key_sha256 == digest(key),
                                 ApiKey.revoked_at.is_(None))).first()
    now = datetime.now(UTC)
    stale = now - LAST_USED_PRECISION
    if row is not None and (row.last_used_at is None or row.last_used_at < stale):
        # The condition again in SQL: of two requests that both saw it stale, the second
        # finds it fresh once the first commits, and writes nothing.
        session.execute(update(ApiKey).where(
            ApiKey.id == row.id, or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < stale))
            .values(last_used_at=now))
    return row


def list_keys(session: Session, organization_id: int) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.organization_id == organization_id)
                           .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(),
                                     ApiKey.id.desc())))
