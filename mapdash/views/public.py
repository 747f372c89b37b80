"""The citizens' side: choose what happened, report it, follow it, see what the office does.

Plain HTML forms that work without JavaScript (inside LINE's in-app browser too); the map,
"use my location" and the duplicate hint are added by static/js/report.js when it runs.
"""
import secrets
from datetime import UTC, datetime
from typing import Annotated

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser
from pydantic import BeforeValidator, Field
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from mapdash import db
from mapdash.api.params import Params, Refusal, parse, whole_number
from mapdash.cases import (
    documents,
    information,
    intake,
    kinds,
    ratelimit,
    ratings,
    replies,
    tracking,
    workflow,
)
from mapdash.cases.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, receive_uploads
from mapdash.cases.questions import from_form, ordered
from mapdash.errors import UserError
from mapdash.households import preset
from mapdash.i18n import _, _l, village_label
from mapdash.integrations.line import links as line_links
from mapdash.maps import geo, leaflet, public_cases
from mapdash.models import Category, Incident, Village
from mapdash.office.orgs import find_organization
from mapdash.security import permits
from mapdash.views import bookings, citizen_forms
from mapdash.views import payments as payment_views
from mapdash.views import proposals as proposal_views
from mapdash.views import registrations as registration_views

bp = Blueprint("public", __name__)

CONTACT_FIELDS = ("reporter_name", "reporter_phone", "reporter_line_id", "reporter_email")
FORM_FIELDS = ("lat", "lon", "description", *CONTACT_FIELDS)


def _organization():
    org = find_organization(db.session(), request.args.get("org") or current_app.config["DEFAULT_ORG"])
    if org is None:
        raise UserError("unknown_org", _l("Unknown organization"), status=404)
    return org


def _categories(org_id: int, code: str | None = None) -> list[Category]:
    """The active types (or the one of `code`), with their departments: the form names the
    one responsible, the outbox tells it."""
    query = (select(Category).options(joinedload(Category.department))
             .where(Category.organization_id == org_id, Category.active)
             .order_by(Category.sort_order))
    if code is not None:
        query = query.where(Category.code == code)
    return list(db.session().scalars(query))


@bp.get("/")
def home():
    session = db.session()
    org = find_organization(session, request.args.get("org") or current_app.config["DEFAULT_ORG"])
    if org is None:
        return render_template("public/home.html", org=None, groups=[], village_map=None)
    village_map = leaflet.embed(leaflet.build_map(geo.organization_center(session, org.id), zoom=12))
    # A link from LINE (a shared place, the signed user) goes on to the chosen report form.
    carried = {name: request.args[name] for name in ("lat", "lon", "line") if request.args.get(name)}
    return render_template("public/home.html", org=org, groups=kinds.grouped(_categories(org.id)),
                           village_map=village_map, bounds=geo.organization_bounds(session, org.id),
                           carried=carried)


@bp.route("/report/<category_code>", methods=["GET", "POST"])
@permits("geolocation")  # "use my location"
def report(category_code):
    session = db.session()
    org = _organization()
    category = next(iter(_categories(org.id, category_code)), None)
    if category is None:
        raise UserError("unknown_category",
                        _l("No such type of report: please choose one on the home page"), status=404)
    if category.kind == "payment":
        return payment_views.form(org, category)
    if category.kind == "proposal":
        return proposal_views.form_page(org, category)
    if category.kind == "appointment":  # a slot on a calendar, not a problem report
        line_token, line_user = _line_user()
        return bookings.appointment_form(org, category, line_user, line_token)
    if category.kind == "registration":
        return registration_views.application_page(org, category)
    values = {field: request.form.get(field, "") for field in FORM_FIELDS}
    from_house = False  # the pin starts at the household of a scanned sticker
    answers = from_form(request.form)  # the type's extra questions, as attribute[CODE]
    texts = kinds.texts(category)
    is_information = category.kind == information.KIND
    kind_values = information.typed(request.form) if is_information else {}
    if request.method == "GET":  # a place preset by the link (LINE's shared location)
        values.update(lat=request.args.get("lat", "")[:32], lon=request.args.get("lon", "")[:32])
        # ... or else by the household of a scanned sticker.
        house_place = preset.preset_place(session, org.id)
        from_house = bool(house_place and category.location_required
                          and not (values["lat"] or values["lon"]))
        if from_house and house_place:
            values["lat"], values["lon"] = house_place
    key = request.form.get("idempotency_key") or secrets.token_urlsafe(24)
    line_token, line_user = _line_user()
    error: UserError | None = None
    if request.method == "POST":
        # Drawn first: its digest goes in with the case (no second write for it).
        reply_code, reply_digest = replies.draw_reply_code()

        def store() -> Incident:
            delivery = information.check(kind_values, values["description"],
                                         values["reporter_name"], values["reporter_email"]
                                         ) if is_information else None
            processed = receive_uploads(request.files.getlist("photos")) \
                if kinds.asks_photos(category) else []
            place = kinds.asks_place(category)
            incident = intake.create_incident(session, intake.Report(
                category_code=category.code, lon=values["lon"] if place else None,
                lat=values["lat"] if place else None,
                description=values["description"], reporter_name=values["reporter_name"],
                reporter_phone=values["reporter_phone"],
                reporter_line_id=values["reporter_line_id"],
                reporter_email=values["reporter_email"], reporter_line_user=line_user,
                channel="web",
                organization_slug=org.slug, idempotency_key=key, attributes=answers),
                photos=processed, category=category, reply_code_sha256=reply_digest)
            if delivery is not None:
                information.store(session, incident, delivery)
            return incident

        sent = citizen_forms.send(session, store, reply_code)
        if not isinstance(sent, UserError):
            return sent  # stored: the tracking page
        error = sent
    place_map = None
    if kinds.asks_place(category):
        place_map = leaflet.embed(leaflet.build_map(geo.organization_center(session, org.id), zoom=13))
    return citizen_forms.form_page(render_template(
        texts.template, org=org, category=category, values=values, idempotency_key=key,
        texts=texts, asks_photos=kinds.asks_photos(category), kind_values=kind_values,
        responsible_contact=kinds.responsible(category, org),
        error=error, photos_sent=any(f.filename for f in request.files.getlist("photos")),
        place_map=place_map, bounds=geo.organization_bounds(session, org.id),
        max_photos=MAX_PHOTOS, max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024),
        max_description=intake.MAX_DESCRIPTION, answers=answers,
        questions=ordered(category.questions), line_token=line_token if line_user else None,
        line_expired=bool(line_token and not line_user),
        place_label=_place_label(session, values["lat"], values["lon"]), from_house=from_house),
        error)


@bp.post("/track/<code>/follow")
def follow(code):
    """"This is the same problem" (+1), from the duplicate hint of the report form."""
    ratelimit.check_reports()
    session = db.session()
    try:
        incident = intake.follow_incident(
            session, code, name=request.form.get("reporter_name"),
            phone=request.form.get("reporter_phone"), line_id=request.form.get("reporter_line_id"),
            email=request.form.get("reporter_email"),
            idempotency_key=request.form.get("idempotency_key"), line_user=_line_user()[1])
    except UserError:
        ratelimit.count_refused()
        raise
    ratelimit.count_accepted(session)
    return redirect(url_for(".track", code=incident.tracking_code, followed=1), 303)


def _line_user() -> tuple[str | None, str | None]:
    """(token, LINE userId) of the signed LINE link the form came from (?line= or the hidden
    field). A forged or expired token gives no user: the report still goes through."""
    token = (request.values.get("line") or "")[:500] or None
    return token, line_links.user_from_token(current_app.config["SECRET_KEY"], token)


def _place_label(session, lat: str, lon: str) -> tuple[str, str] | None:
    """(text, state) under the map for a place given in the form, so it shows without JS."""
    try:
        lat_value = intake.parse_coordinate(lat, "latitude", -90, 90)
        lon_value = intake.parse_coordinate(lon, "longitude", -180, 180)
    except UserError:
        return None
    found = intake.locate(session, lon_value, lat_value)
    if found is None:
        return _("This place is outside every area this service covers: move the pin"), "outside"
    village = found[1] and session.get(Village, found[1])
    if not village:
        return _("Inside the area, but in no village"), "inside"
    return str(village_label(village)), "inside"


@bp.get("/track")
def track_lookup():
    """The "follow my case" box: a typed code leads to its status page."""
    code = (request.args.get("code") or "").strip()
    if not code:
        return redirect(url_for(".home"))
    return redirect(url_for(".track", code=intake.normalize_tracking_code(code)))


def _case_or_404(code: str):
    incident = intake.find_by_code(db.session(), code)
    if incident is None:
        raise UserError("unknown_case", _l("No case has this code: please check it"), status=404)
    return incident


@bp.get("/track/<code>")
def track(code):
    incident = _case_or_404(code)
    if code != incident.tracking_code:
        return redirect(url_for(".track", code=incident.tracking_code, **request.args), 301)
    return _track_page(incident)


def _track_page(incident, error: UserError | None = None, typed: str | None = None,
                status: int = 200, feedback_error: UserError | None = None, **extra):
    now = datetime.now(UTC)
    page = tracking.status_page(db.session(), incident, now)
    kept = browser.get("reply_codes", {}).get(incident.tracking_code)
    # The rating link of the "resolved" message (?t=), or the token kept through a refused POST:
    # shown again only if it is this case's and good.
    token = (request.values.get("t") or "")[:500] or None
    if token:
        try:
            ratings.check_token(current_app.config["SECRET_KEY"], incident, token)
        except UserError as refused:
            token, feedback_error = None, feedback_error or refused
    return render_template("public/track.html", **page,
                           new=request.args.get("new") == "1",
                           followed=request.args.get("followed") == "1",
                           replied=request.args.get("replied") == "1",
                           rated=request.args.get("rated") == "1",
                           reopened=request.args.get("reopened") == "1",
                           reply_code=kept, typed_reply_code=typed if typed is not None else kept,
                           error=error, feedback=ratings.feedback(db.session(), incident, now),
                           feedback_error=feedback_error, rating_token=token,
                           # The reporter (by link or kept code) reads their own comment back.
                           is_reporter=bool(token) or replies.reply_code_matches(incident, kept),
                           feedback_typed=request.form if feedback_error else {},
                           max_comment=ratings.MAX_COMMENT,
                           max_not_fixed_note=ratings.MAX_NOT_FIXED_NOTE,
                           payment=payment_views.track_section(incident),
                           case_documents=documents.citizen_view(db.session(), browser, incident),
                           cancelled=request.args.get("cancelled") == "1",
                           link=url_for("public.track", code=incident.tracking_code,
                                        _external=True),
                           **extra), status


class ReplyCodeForm(Params):
    """The reply code typed (or filled in by the page) on a status page."""
    reply_code: str = ""


@bp.post("/track/<code>/answer")
def answer_with_code(code):
    """A reply code opens the answer form of the question the case waits on: the same form
    as a message's signed link, with a link made for it here."""
    ratelimit.check_reports()  # each wrong code counts as a refused attempt
    session = db.session()
    incident = _case_or_404(code)
    form = parse(ReplyCodeForm, request.form)
    try:
        token = replies.token_for_reply_code(session, current_app.config["SECRET_KEY"],
                                             incident, form.reply_code)
    except UserError as refused:
        if refused.code == "bad_reply_code":
            ratelimit.count_refused()
        return _track_page(incident, refused, form.reply_code[:40], refused.status)
    replies.keep_reply_code(browser, "reply_codes", incident.tracking_code,
                            replies.normalize_reply_code(form.reply_code))
    return redirect(url_for(".reply", code=incident.tracking_code, t=token), 303)


Stars = Annotated[int, Field(ge=1, le=5), BeforeValidator(whole_number),
                  Refusal("bad_stars", _l("Choose from 1 to 5 stars"), field="stars")]


class FeedbackForm(Params):
    """Who sends a rating or a "not fixed": the reporter, by the link of their "resolved"
    message (t) or their reply code."""
    t: str = ""
    reply_code: str = ""


class RatingForm(FeedbackForm):
    stars: Stars | None = None
    comment: str = ""


class NotFixedForm(FeedbackForm):
    note: str = ""


def _feedback(code: str, form_class: type[FeedbackForm], act, done: str):
    """Check the reporter, `act`, and show the status page again: refused, with the reason
    and what was typed; done, with `done`=1 (and the reply code kept in this browser)."""
    ratelimit.check_reports()  # each wrong code counts as a refused attempt
    incident = _case_or_404(code)
    try:
        form = parse(form_class, request.form)
        ratings.check_reporter(current_app.config["SECRET_KEY"], incident, form.t or None,
                               form.reply_code)
        act(form, incident)
    except UserError as refused:
        if refused.code == "bad_reply_code":
            ratelimit.count_refused()
        db.session().rollback()
        return _track_page(incident, status=refused.status, feedback_error=refused)
    if not form.t:
        replies.keep_reply_code(browser, "reply_codes", incident.tracking_code,
                                replies.normalize_reply_code(form.reply_code))
    done_args: dict = {done: 1}
    return redirect(url_for(".track", code=incident.tracking_code, t=form.t or None,
                            **done_args) + "#feedback", 303)


@bp.post("/track/<code>/rate")
def rate(code):
    """The reporter's 1-5 stars and comment for a resolved case, once per case."""
    return _feedback(code, RatingForm, lambda form, incident: ratings.rate(
        db.session(), incident.id, form.stars, form.comment), "rated")


@bp.post("/track/<code>/not-fixed")
def not_fixed(code):
    """The reporter says a resolved case is not fixed: it goes back to the dispatcher."""
    return _feedback(code, NotFixedForm, lambda form, incident: ratings.not_fixed(
        db.session(), incident.id, form.note), "reopened")


@bp.route("/reply/<code>", methods=["GET", "POST"])
def reply(code):
    """The reporter's answer to a staff question, through the signed link of its message."""
    session, secret = db.session(), current_app.config["SECRET_KEY"]
    token = (request.values.get("t") or "")[:500]
    text = request.form.get("answer", "")
    error, status = None, 200
    try:
        question = replies.open_question(session, secret, code, token)
        if request.method == "POST":
            processed = receive_uploads(request.files.getlist("photos"))
            replies.answer(session, secret, code, token, text, processed)
            registration_views.reply_documents(session, question.incident)
            return redirect(url_for(".track", code=question.incident.tracking_code, replied=1), 303)
    except replies.AlreadyAnswered as done:
        incident = intake.find_by_code(session, code)
        return render_template("public/reply.html", incident=incident, answered=done), done.status
    except UserError as refused:
        if request.method == "GET" or refused.code in ("bad_reply_link", "reply_link_expired"):
            raise
        error, status = refused, refused.status
    return render_template(
        "public/reply.html", incident=question.incident, question=question.event, token=token,
        text=text, error=error, photos_sent=any(f.filename for f in request.files.values()),
        max_note=workflow.MAX_NOTE, max_photos=MAX_PHOTOS,
        max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024)), status


@bp.get("/categories.css")
def category_colors():
    """Each case type's colour as a class, `.type-color-ID`: our Content-Security-Policy
    allows no style attribute (mapdash/security.py). The database holds only #rrggbb."""
    rows = db.session().execute(select(Category.id, Category.color).order_by(Category.id))
    css = "".join(f".type-color-{id_} {{ --type-color: {color}; }}\n" for id_, color in rows)
    response = Response(css, mimetype="text/css", headers={"Cache-Control": "no-cache"})
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/track/<code>/qr.svg")
def track_qr(code):
    incident = _case_or_404(code)
    link = url_for(".track", code=incident.tracking_code, _external=True)
    image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    return Response(image.to_string(encoding="unicode"), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/cases")
def cases():
    """The public list and map of cases, filterable by type, village and status."""
    session = db.session()
    org = _organization()
    case_filter = parse(public_cases.CaseFilter, request.args)
    page = request.args.get("page", "1")
    page = int(page) if page.isdecimal() and len(page) <= 5 and 0 < int(page) <= 10_000 else 1
    rows, has_next = public_cases.list_cases(session, org.id, case_filter, page)
    cases_map = leaflet.embed(leaflet.build_map(geo.organization_center(session, org.id), zoom=12))
    return render_template(
        "public/cases.html", org=org, rows=rows, page=page, has_next=has_next,
        case_filter=case_filter, choices=public_cases.filter_choices(session, org.id),
        cases_map=cases_map, bounds=geo.organization_bounds(session, org.id))
