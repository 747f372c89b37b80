"""The public news (mapdash/news): the home page's block of current announcements, the news
page with each item's page, the photos, and the RSS and Atom feeds. Nothing withdrawn or not
yet started is shown."""
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import _l, format_date, in_language
from mapdash.integrations.notify.outbox import base_url
from mapdash.models import Announcement, Organization, Village
from mapdash.news import announcements, feeds
from mapdash.office.orgs import find_organization

bp = Blueprint("news", __name__)

_PUBLIC_MAX_AGE = 600  # short: a withdrawn announcement's photo goes soon


def _organization() -> Organization:
    org = find_organization(db.session(),
                            request.args.get("org") or current_app.config["DEFAULT_ORG"])
    if org is None:
        raise UserError("unknown_org", _l("Unknown organization"), status=404)
    return org


def _village(org: Organization) -> Village | None:
    number = request.args.get("village", "")
    if not (number.isdecimal() and len(number) <= 3):
        return None
    return db.session().query(Village).filter(Village.organization_id == org.id,
                                              Village.number == int(number)).first()


@bp.app_template_global("current_news")
def current_news(org: Organization | None) -> list[Announcement]:
    """The home page's announcements running today (a template global)."""
    if org is None:
        return []
    return announcements.current(db.session(), org.id, announcements.today())


@bp.get("/news")
def index():
    session = db.session()
    org = _organization()
    village = _village(org)
    page = request.args.get("page", "1")
    page = int(page) if page.isdecimal() and len(page) <= 4 and int(page) > 0 else 1
    day = announcements.today()
    rows, has_next = announcements.published(session, org.id, day,
                                             village.id if village else None, page)
    villages = session.query(Village).filter(Village.organization_id == org.id) \
        .order_by(Village.number).all()
    return render_template("public/news.html", org=org, rows=rows, page=page, has_next=has_next,
                           village=village, villages=villages, today=day)


def _visible(announcement_id: int) -> Announcement:
    """A published announcement, or (for its organization's staff) any of theirs."""
    found = db.session().get(Announcement, announcement_id)
    if found is None:
        abort(404)
    staff = current_user.is_authenticated and current_user.organization_id == found.organization_id
    if not staff and not announcements.is_published(found, announcements.today()):
        abort(404)
    return found


@bp.get("/news/<integer_id:announcement_id>")
def item(announcement_id):
    announcement = _visible(announcement_id)
    day = announcements.today()
    return render_template("public/news_item.html", item=announcement, org=announcement.organization,
                           current=announcements.is_current(announcement, day),
                           published=announcements.is_published(announcement, day))


def _photo(announcement_id: int, thumb: bool):
    announcement = _visible(announcement_id)
    data = announcement.photo_thumb if thumb else announcement.photo
    if data is None:
        abort(404)
    response = Response(data, mimetype="image/jpeg")
    response.set_etag(f"{announcement.photo_sha256}{'-thumb' if thumb else ''}")
    response.cache_control.public = True
    response.cache_control.max_age = _PUBLIC_MAX_AGE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.get("/news/<integer_id:announcement_id>/photo")
def photo(announcement_id):
    return _photo(announcement_id, thumb=False)


@bp.get("/news/<integer_id:announcement_id>/photo/thumb")
def thumb(announcement_id):
    return _photo(announcement_id, thumb=True)


def absolute(endpoint: str, **values) -> str:
    """A link for a feed or a LINE message: the site's public address (PUBLIC_BASE_URL)."""
    return base_url(current_app) + url_for(endpoint, **values)


def _feed(build, mimetype: str, endpoint: str):
    org = _organization()
    rows, _more = announcements.published(db.session(), org.id, announcements.today())
    org_arg = {"org": request.args["org"]} if request.args.get("org") else {}
    body = build(org, rows, title=in_language(_l("News from %(org)s", org=org.name_th), "th"),
                 site_url=absolute("news.index", **org_arg),
                 feed_url=absolute(endpoint, **org_arg),
                 item_url=lambda a: absolute("news.item", announcement_id=a.id),
                 photo_url=lambda a: absolute("news.photo", announcement_id=a.id),
                 now=datetime.now(UTC))
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/news.rss")
def rss():
    return _feed(feeds.rss, "application/rss+xml", "news.rss")


@bp.get("/news.atom")
def atom():
    return _feed(feeds.atom, "application/atom+xml", "news.atom")


@bp.app_template_filter("thai_day")
def thai_day(value) -> str:
    """A calendar day as format_date writes it: '13 ก.ย. 2569' (Buddhist Era) in Thai."""
    return format_date(datetime(value.year, value.month, value.day)) if value else ""
