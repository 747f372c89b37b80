"""An Open311 POST sent again is answered with the first request's case, never filed twice.

GeoReport v2 has no idempotency key, and a client that timed out sends its request again
(while gunicorn restarted, 11 copies filed 11 cases). So each filed request is recorded per
API key (open311_submissions, sql/013):
- with an `Idempotency-Key` header, under that key: the same key answers the first request's
  service_request_id, however late; the same key with another form is refused (409), as its
  content would otherwise be dropped silently;
- without one, under the digest of its form (every field and value but the api_key): the
  same form within OPEN311_SAME_REQUEST_MINUTES is the same request.
The record is written before the case, in the request's transaction, under a unique index: a
concurrent copy waits for the first transaction, then finds its case. A refused or rolled-back
request leaves no record, so its retry is filed as new.
"""
import hashlib
import json
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from mapdash.api.params import Params, Refusal
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import ApiKey, Incident, Open311Submission

MAX_KEY = 255


class ResendHeaders(Params):
    idempotency_key: Annotated[str | None, Field(
        alias="Idempotency-Key", max_length=MAX_KEY, pattern=r"^[!-~]+$",
        description="Any text of 1 to 255 visible ASCII characters the client makes for one "
                    "request (e.g. a UUID) and sends again with each retry of it: the retry is "
                    "answered with the first request's service_request_id, whenever it comes. "
                    "The same key with a different form is refused (409). Without it, the same "
                    "form from the same api_key within 10 minutes is taken as a retry."),
        Refusal("bad_idempotency_key",
                _l("The Idempotency-Key header must be 1 to 255 visible ASCII characters"))] = None


@dataclass(frozen=True)
class Claim:
    id: int | None                 # this request's record, when it is new
    earlier: Incident | None       # the case of the request it repeats


def form_digest(form: MultiDict) -> str:
    """SHA-256 of the form's fields and values, in any order, but the api_key."""
    fields = sorted((name, value) for name, value in form.items(multi=True) if name != "api_key")
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def claim(session: Session, key: ApiKey, idempotency_key: str | None, digest: str,
          window_minutes: float) -> Claim:
    """Record this request as new, or find the case of the request it repeats."""
    values = {"key": key.id, "idem": idempotency_key, "digest": digest,
              "window": window_minutes * 60}
    if idempotency_key is not None:
        new_id = session.execute(text("""
            INSERT INTO open311_submissions (api_key_id, idempotency_key, form_sha256)
            VALUES (:key, :idem, :digest)
            ON CONFLICT (api_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL
            DO NOTHING RETURNING id"""), values).scalar()
        found = select(Open311Submission).where(Open311Submission.api_key_id == key.id,
                                                Open311Submission.idempotency_key == idempotency_key)
    else:
        # A record older than the window is taken over: the form is a new request now.
        new_id = session.execute(text("""
            INSERT INTO open311_submissions AS s (api_key_id, form_sha256)
            VALUES (:key, :digest)
            ON CONFLICT (api_key_id, form_sha256) WHERE idempotency_key IS NULL
            DO UPDATE SET created_at = now(), incident_id = NULL
                WHERE s.created_at <= now() - make_interval(secs => :window)
            RETURNING id"""), values).scalar()
        found = select(Open311Submission).where(Open311Submission.api_key_id == key.id,
                                                Open311Submission.idempotency_key.is_(None),
                                                Open311Submission.form_sha256 == digest)
    if new_id is not None:
        return Claim(new_id, None)
    earlier = session.scalars(found).one()
    if earlier.form_sha256 != digest:
        raise UserError("idempotency_key_reused", _l(
            "This Idempotency-Key was already used for a different request: send a new key "
            "with a new request"), status=409)
    return Claim(None, session.get(Incident, earlier.incident_id))


def filed(session: Session, claim: Claim, incident: Incident) -> None:
    """The case a new request filed, on its record (before the transaction commits)."""
    session.execute(text("UPDATE open311_submissions SET incident_id = :incident WHERE id = :id"),
                    {"incident": incident.id, "id": claim.id})
