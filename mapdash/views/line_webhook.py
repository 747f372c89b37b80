"""POST /line/webhook: what LINE sends when someone adds, writes to or shares a place with
the Official Account. Signed by LINE, not by a form: no CSRF token, the X-Line-Signature
instead, checked before anything is read."""
from flask import Blueprint, current_app, jsonify, request

from mapdash import db
from mapdash.errors import UserError
from mapdash.extensions import csrf
from mapdash.i18n import _l
from mapdash.integrations import line
from mapdash.integrations.line import webhook
from mapdash.integrations.notify.delivery import DeliveryError

bp = Blueprint("line_webhook", __name__)


@bp.post("/line/webhook")
@csrf.exempt
def receive():
    config = current_app.config
    if not line.is_configured(config):
        raise UserError("line_off", _l("No LINE Official Account is connected to this service"), status=404)
    body = request.get_data()
    signature = request.headers.get("X-Line-Signature")
    if not signature:
        raise UserError("unsigned", _l("This request carries no LINE signature"), status=401)
    if not webhook.signature_is_valid(config["LINE_CHANNEL_SECRET"], body, signature):
        raise UserError("bad_signature", _l("The LINE signature does not match"), status=403)
    events = webhook.parse_events(body)
    session = db.session()
    answers = webhook.record_and_answer(session, events)
    try:
        webhook.send_answers(session, config, answers)
    except DeliveryError:
        # Nothing is stored: LINE delivers these events again and they are answered then.
        raise UserError("line_unreachable", _l("LINE could not be answered now"), status=503) from None
    return jsonify(received=len(events), answered=len(answers))
