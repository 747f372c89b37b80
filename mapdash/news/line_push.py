"""An announcement pushed to LINE: one outbox message per LINE user, written in the admin's
request and sent by the worker (integrations/notify/worker.py) like every other message, so
a LINE server that fails or a worker that dies sends it later, once (its retry key).

Who gets it: "all", every LINE user who added the Official Account as a friend (the
webhook's follow events) or reported or supported a case of the organization from LINE;
"villages", those who reported or supported a case in the announcement's villages. Those who
unfollowed (blocked) the account are left out, and so are reporters of sensitive types (a
drug tip is not a subscription). An announcement goes to LINE once."""
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.integrations.notify import outbox
from mapdash.models import Announcement, User
from mapdash.news.announcements import is_current
from mapdash.office import changes

AUDIENCES = ("all", "villages")
TEXT_LIMIT = 1000


def recipients(session: Session, announcement: Announcement, audience: str) -> list[str]:
    """The LINE userIds to push `announcement` to, each once, in a stable order."""
    villages = [v.id for v in announcement.villages] if audience == "villages" else None
    rows = session.scalars(text("""
        WITH case_users AS (
            SELECT i.reporter_line_user AS line_user, i.village_id
            FROM incidents i JOIN categories c ON c.id = i.category_id
            WHERE i.organization_id = :org AND NOT c.sensitive AND i.reporter_line_user IS NOT NULL
            UNION ALL
            SELECT f.line_user, i.village_id
            FROM incident_followers f JOIN incidents i ON i.id = f.incident_id
            JOIN categories c ON c.id = i.category_id
            WHERE i.organization_id = :org AND NOT c.sensitive AND f.line_user IS NOT NULL
        ), chosen AS (
            SELECT line_user FROM case_users
            WHERE CAST(:villages AS integer[]) IS NULL OR village_id = ANY(:villages)
            UNION
            SELECT line_user FROM line_followers
            WHERE CAST(:villages AS integer[]) IS NULL AND unfollowed_at IS NULL
        )
        SELECT line_user FROM chosen
        WHERE NOT EXISTS (SELECT 1 FROM line_followers gone
                          WHERE gone.line_user = chosen.line_user
                            AND gone.unfollowed_at IS NOT NULL)
        ORDER BY line_user"""), {"org": announcement.organization_id, "villages": villages})
    return list(rows)


def payload(announcement: Announcement, url: str, photo_url: str | None) -> dict:
    body = " ".join(announcement.body.split())
    if len(body) > TEXT_LIMIT:
        body = body[:TEXT_LIMIT - 1] + "…"
    message = "\n".join(part for part in (f"📢 {announcement.title}", body, url) if part)
    result = {"kind": "announcement", "subject_th": announcement.title,
              "subject_en": announcement.title, "text_th": message, "text_en": message,
              "url": url}
    if photo_url:
        result["photo_url"] = photo_url
    return result


def push(session: Session, actor: User, announcement: Announcement, audience: str, *,
         url: str, photo_url: str | None, now: datetime, day) -> int:
    """Give the announcement to the outbox for its LINE recipients; returns how many. Once
    per announcement, while it is current. Flushes; the request commits."""
    if audience not in AUDIENCES:
        raise UserError("bad_audience", _l("Choose who gets it on LINE"), field="audience")
    if announcement.line_pushed_at is not None:
        raise UserError("already_pushed", _l("This announcement was already sent to LINE"),
                        status=409)
    if not is_current(announcement, day):
        raise UserError("not_current", _l("Only an announcement shown today can be sent to LINE"),
                        status=409)
    if audience == "villages" and not announcement.villages:
        raise UserError("no_villages", _l("This announcement is for the whole area: send it to "
                                          "all LINE followers"), field="audience")
    users = recipients(session, announcement, audience)
    content = payload(announcement, url, photo_url)
    for user in users:
        outbox.add(session, event_id=None, announcement_id=announcement.id, payload=content,
                   channel="line", recipient=user, dedupe=f"announcement:{announcement.id}")
    announcement.line_pushed_at, announcement.line_audience = now, audience
    session.flush()
    changes.record(session, actor, "announcement", "sent_to_line", label=announcement.title,
                   subject_id=announcement.id, after={"audience": audience, "recipients": len(users)})
    return len(users)
