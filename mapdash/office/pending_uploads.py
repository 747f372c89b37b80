"""A checked file waiting for its administrator's "confirm" (village boundaries, household
surveys): kept as what was checked, for UPLOAD_MINUTES, found by the digest of a random token
the confirm form carries. So the confirm step stores exactly what the preview showed, and
only for the administrator who checked it."""
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete
from sqlalchemy.orm import Session

from mapdash import tokens
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import HouseholdUpload, User, VillageUpload

UPLOAD_MINUTES = 60
GONE = _l("This checked file is no longer waiting (over an hour old, or already stored): "
          "upload it again")

Upload = TypeVar("Upload", VillageUpload, HouseholdUpload)


def keep(session: Session, model: type[Upload], actor: User, file_name: str, now: datetime,
         **checked) -> str:
    """Keep `checked` (the model's content columns) for the confirm step, and forget what
    waited too long; the token for the confirm form. Flushes."""
    session.execute(delete(model).where(model.created_at < now - timedelta(minutes=UPLOAD_MINUTES)))
    token = tokens.new_token()
    session.add(model(token_sha256=tokens.digest(token), organization_id=actor.organization_id,
                      user_id=actor.id, file_name=file_name[:200], created_at=now, **checked))
    session.flush()
    return token


def take(session: Session, model: type[Upload], actor: User, token: str, now: datetime,
         gone_code: str) -> Upload:
    """The upload this actor checked, no longer waiting (deleted with the request's
    transaction); 410 `gone_code` when it is not theirs, too old or already stored."""
    upload = session.get(model, tokens.digest(token))
    if upload is None or upload.user_id != actor.id \
            or upload.organization_id != actor.organization_id \
            or upload.created_at < now - timedelta(minutes=UPLOAD_MINUTES):
        raise UserError(gone_code, GONE, status=410)
    session.delete(upload)
    return upload
