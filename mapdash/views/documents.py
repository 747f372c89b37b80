"""A case's private documents (cases/documents.py), by id: to the responsible department and
the organization's admins, or to the citizen who gave the case's reply code in this browser.
Anyone else gets a 404: whether such a document exists is not theirs to learn."""
from flask import Blueprint, abort, redirect, request, send_file, url_for
from flask import session as browser
from flask_login import current_user

from mapdash import db
from mapdash.api.params import Params, parse
from mapdash.cases import documents, intake, ratelimit, replies
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import CaseDocument

bp = Blueprint("documents", __name__)


@bp.get("/documents/<bigint_id:document_id>")
def download(document_id):
    document = db.session().get(CaseDocument, document_id)
    if document is None:
        abort(404)
    incident = document.incident
    if not (documents.staff_may_read(current_user, incident)
            or documents.citizen_may_read(browser, incident)):
        abort(404)
    response = send_file(documents.document_path(document), mimetype=document.media_type,
                         as_attachment=document.media_type == documents.PDF,
                         download_name=document.filename, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class ReplyCodeForm(Params):
    reply_code: str = ""


@bp.post("/track/<code>/documents")
def unlock(code):
    """The citizen gives the case's reply code to see its private documents in this browser
    (a browser that reported the case has it already)."""
    ratelimit.check_reports()  # each wrong code counts as a refused attempt
    incident = intake.find_by_code(db.session(), code)
    if incident is None:
        raise UserError("unknown_case", _l("No case has this code: please check it"), status=404)
    typed = parse(ReplyCodeForm, request.form).reply_code
    if not replies.reply_code_matches(incident, typed):
        ratelimit.count_refused()
        raise UserError("bad_reply_code", _l("This is not the reply code of this case: it was "
                                             "shown when you sent it. Or call the office"),
                        field="reply_code", status=403)
    replies.keep_reply_code(browser, "reply_codes", incident.tracking_code,
                            replies.normalize_reply_code(typed))
    return redirect(url_for("public.track", code=incident.tracking_code) + "#documents", 303)
