"""Announcements: a title, a short text, a photo (checked and cleaned like case photos,
cases/photos.py, and public), the whole area or some villages, shown from one Thai calendar
day to another. Staff of NEWS_ROLES write, change and withdraw them; every change is recorded
(office/changes.py, subject "announcement")."""
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, model_validator
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from mapdash.api.params import IntegerId, OneOf, Params, Refusal
from mapdash.cases.photos import ProcessedPhoto
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _l
from mapdash.models import Announcement, AnnouncementVillage, User, Village
from mapdash.office import changes

MAX_TITLE = 200
MAX_BODY = 4000
AREAS = ("all", "villages")
RECORDED = ("title", "body", "starts_on", "ends_on", "village_numbers", "photo_sha256")
PAGE_SIZE = 30


class AnnouncementFields(Params):
    """The admin form of one announcement (templates/admin/news_form.html)."""
    title: Annotated[str, Field(min_length=1, max_length=MAX_TITLE), Refusal(
        "title_required", _l("Give the announcement a title (at most %(limit)s characters)",
                             limit=MAX_TITLE))]
    body: Annotated[str, Field(max_length=MAX_BODY), Refusal(
        "too_long", _l("The text is longer than %(limit)s characters",
                       limit=format(MAX_BODY, ",")))] = ""
    starts_on: Annotated[date, Refusal(
        "bad_start", _l("Give the first day it is shown (a date)"))]
    ends_on: Annotated[date | None, Refusal(
        "bad_end", _l("The last day it is shown must be a date, or empty"))] = None
    area: Annotated[str, OneOf(AREAS), Refusal(
        "bad_area", _l("Choose the whole area or some villages"))] = "all"
    villages: Annotated[list[IntegerId], Field(max_length=200), Refusal(
        "bad_village", _l("Choose villages of this organization"))] = []
    remove_photo: bool = False

    @model_validator(mode="after")
    def _period_and_area(self):
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise UserError("bad_period", _l("The period ends before it starts: the last day "
                                             "must be on or after the first"), field="ends_on")
        if self.area == "villages" and not self.villages:
            raise UserError("villages_required", _l("Choose at least one village, or the whole "
                                                    "area"), field="villages")
        return self


def today(now: datetime | None = None) -> date:
    """The Thai calendar day: an announcement's period is in Thai days."""
    return (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ).date()


def is_current(announcement: Announcement, day: date) -> bool:
    return announcement.withdrawn_at is None and announcement.starts_on <= day \
        and (announcement.ends_on is None or announcement.ends_on >= day)


def is_published(announcement: Announcement, day: date) -> bool:
    """On the public news page: started and not withdrawn (an ended one stays as news past)."""
    return announcement.withdrawn_at is None and announcement.starts_on <= day


def _snapshot(announcement: Announcement) -> dict:
    return {"title": announcement.title, "body": announcement.body,
            "starts_on": announcement.starts_on, "ends_on": announcement.ends_on,
            "village_numbers": [v.number for v in announcement.villages],
            "photo_sha256": announcement.photo_sha256}


def find(session: Session, organization_id: int, announcement_id: int) -> Announcement:
    found = session.get(Announcement, announcement_id)
    if found is None or found.organization_id != organization_id:
        raise UserError("unknown_announcement", _l("No such announcement"), status=404)
    return found


def save(session: Session, actor: User, fields: AnnouncementFields,
         photo: ProcessedPhoto | None = None, announcement_id: int | None = None,
         now: datetime | None = None) -> Announcement:
    """Add (announcement_id None) or change an announcement of the actor's organization, and
    record it. Flushes; the request commits."""
    org_id = actor.organization_id
    chosen: list[Village] = []
    if fields.area == "villages":
        chosen = list(session.scalars(select(Village).where(
            Village.organization_id == org_id, Village.id.in_(fields.villages))
            .order_by(Village.number)))
        if len(chosen) != len(set(fields.villages)):
            raise UserError("bad_village", _l("Choose villages of this organization"),
                            field="villages")
    if announcement_id is None:
        announcement, before = Announcement(organization_id=org_id, created_by=actor.id), None
        session.add(announcement)
    else:
        announcement = find(session, org_id, announcement_id)
        if announcement.withdrawn_at is not None:
            raise UserError("withdrawn", _l("This announcement was withdrawn: write a new one"),
                            status=409)
        before = _snapshot(announcement)
    announcement.title, announcement.body = fields.title, fields.body
    announcement.starts_on, announcement.ends_on = fields.starts_on, fields.ends_on
    announcement.villages = chosen
    if photo is not None:
        announcement.photo, announcement.photo_thumb = photo.data, photo.thumb
        announcement.photo_sha256 = photo.sha256
    elif fields.remove_photo:
        announcement.photo = announcement.photo_thumb = announcement.photo_sha256 = None
    announcement.updated_at = now or datetime.now(LOCAL_TZ)
    session.flush()
    changes.record(session, actor, "announcement", "created" if before is None else "changed",
                   label=announcement.title, subject_id=announcement.id, before=before,
                   after=_snapshot(announcement))
    return announcement


def withdraw(session: Session, actor: User, announcement_id: int,
             now: datetime | None = None) -> Announcement:
    """Take an announcement down from the home page, the news page and the feeds."""
    announcement = find(session, actor.organization_id, announcement_id)
    if announcement.withdrawn_at is not None:
        raise UserError("withdrawn", _l("This announcement is already withdrawn"), status=409)
    announcement.withdrawn_at = announcement.updated_at = now or datetime.now(LOCAL_TZ)
    session.flush()
    changes.record(session, actor, "announcement", "withdrawn", label=announcement.title,
                   subject_id=announcement.id)
    return announcement


def for_admin(session: Session, organization_id: int) -> list[Announcement]:
    return list(session.scalars(
        select(Announcement).options(selectinload(Announcement.villages))
        .where(Announcement.organization_id == organization_id)
        .order_by(Announcement.starts_on.desc(), Announcement.id.desc()).limit(200)))


def _for_village(village_id: int):
    """For the whole area, or naming this village."""
    named = exists().where(AnnouncementVillage.announcement_id == Announcement.id)
    return or_(~named, exists().where(AnnouncementVillage.announcement_id == Announcement.id,
                                      AnnouncementVillage.village_id == village_id))


def current(session: Session, organization_id: int, day: date,
            village_id: int | None = None, limit: int = 5) -> list[Announcement]:
    """What the home page shows on `day`: running, newest first; for a village, the whole
    area's and that village's."""
    query = (select(Announcement).options(selectinload(Announcement.villages))
             .where(Announcement.organization_id == organization_id,
                    Announcement.withdrawn_at.is_(None), Announcement.starts_on <= day,
                    or_(Announcement.ends_on.is_(None), Announcement.ends_on >= day))
             .order_by(Announcement.starts_on.desc(), Announcement.id.desc()).limit(limit))
    if village_id is not None:
        query = query.where(_for_village(village_id))
    return list(session.scalars(query))


def published(session: Session, organization_id: int, day: date, village_id: int | None = None,
              page: int = 1) -> tuple[list[Announcement], bool]:
    """The news page and the feeds: started, not withdrawn, newest first; (page, more?)."""
    query = (select(Announcement).options(selectinload(Announcement.villages))
             .where(Announcement.organization_id == organization_id,
                    Announcement.withdrawn_at.is_(None), Announcement.starts_on <= day)
             .order_by(Announcement.starts_on.desc(), Announcement.id.desc())
             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    if village_id is not None:
        query = query.where(_for_village(village_id))
    rows = list(session.scalars(query))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def published_at(announcement: Announcement) -> datetime:
    """When it became news: its first day (midnight, Thai time), or when it was written if later."""
    first_day = datetime(announcement.starts_on.year, announcement.starts_on.month,
                         announcement.starts_on.day, tzinfo=LOCAL_TZ)
    return max(first_day, announcement.created_at)

