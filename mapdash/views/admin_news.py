"""Staff of NEWS_ROLES write, change and withdraw announcements (/admin/news), and push one
to LINE followers through the outbox. A refused form comes back as it was typed."""
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.api.params import parse
from mapdash.cases.photos import MAX_PHOTO_BYTES, process_upload
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _
from mapdash.models import Announcement, Village
from mapdash.news import announcements, line_push
from mapdash.office.auth import role_required
from mapdash.views.news import absolute
from mapdash.vocabulary import NEWS_ROLES

bp = Blueprint("admin_news", __name__, url_prefix="/admin/news")

FIELDS = ("title", "body", "starts_on", "ends_on", "area")


@bp.get("/")
@role_required(*NEWS_ROLES)
def index():
    rows = announcements.for_admin(db.session(), current_user.organization_id)
    return render_template("admin/news.html", rows=rows, today=announcements.today())


def _villages() -> list[Village]:
    return list(db.session().query(Village).filter(
        Village.organization_id == current_user.organization_id).order_by(Village.number))


def _form_page(typed: dict, item: Announcement | None = None, error: UserError | None = None,
               status: int = 200):
    return render_template("admin/news_form.html", typed=typed, item=item, error=error,
                           villages=_villages(), max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024),
                           photos_sent=bool(request.files.get("photo") and
                                            request.files["photo"].filename)), status


def _typed(item: Announcement) -> dict:
    return {"title": item.title, "body": item.body, "starts_on": item.starts_on.isoformat(),
            "ends_on": item.ends_on.isoformat() if item.ends_on else "",
            "area": "villages" if item.villages else "all",
            "villages": [str(v.id) for v in item.villages]}


def _submitted(item: Announcement | None):
    typed: dict[str, str | list[str]] = {name: request.form.get(name, "") for name in FIELDS}
    typed["villages"] = request.form.getlist("villages")
    session = db.session()
    try:
        fields = parse(announcements.AnnouncementFields, request.form)
        upload = request.files.get("photo")
        photo = process_upload(upload) if upload and upload.filename else None
        saved = announcements.save(session, current_user, fields, photo,
                                   item.id if item else None)
    except UserError as refused:
        session.rollback()
        return _form_page(typed, item, refused, refused.status)
    flash(_("Announcement \"%(title)s\" saved", title=saved.title))
    return redirect(url_for(".index") + f"#announcement-{saved.id}", 303)


@bp.get("/new")
@role_required(*NEWS_ROLES)
def new():
    return _form_page({"starts_on": announcements.today().isoformat(), "area": "all",
                       "villages": []})


@bp.post("/new")
@role_required(*NEWS_ROLES)
def create():
    return _submitted(None)


@bp.route("/<integer_id:announcement_id>", methods=["GET", "POST"])
@role_required(*NEWS_ROLES)
def edit(announcement_id):
    item = announcements.find(db.session(), current_user.organization_id, announcement_id)
    if request.method == "POST":
        return _submitted(item)
    return _form_page(_typed(item), item)


@bp.post("/<integer_id:announcement_id>/withdraw")
@role_required(*NEWS_ROLES)
def withdraw(announcement_id):
    item = announcements.withdraw(db.session(), current_user, announcement_id)
    flash(_("Announcement \"%(title)s\" withdrawn", title=item.title))
    return redirect(url_for(".index") + f"#announcement-{item.id}", 303)


@bp.post("/<integer_id:announcement_id>/line")
@role_required(*NEWS_ROLES)
def push_to_line(announcement_id):
    session = db.session()
    item = announcements.find(session, current_user.organization_id, announcement_id)
    now = datetime.now(LOCAL_TZ)
    count = line_push.push(
        session, current_user, item, request.form.get("audience", ""),
        url=absolute("news.item", announcement_id=item.id),
        photo_url=absolute("news.photo", announcement_id=item.id) if item.photo_sha256 else None,
        now=now, day=announcements.today(now))
    flash(_("Sent to LINE: %(n)s people will get it", n=count))
    return redirect(url_for(".index") + f"#announcement-{item.id}", 303)
