"""What every citizen's form does with what is sent, whatever the service (a report, a
booking, a proposal, an application, a payment): the address's limits, the service's own
check and store, the reply code kept by the browser, then the tracking page; or the form
again with the refusal."""
from collections.abc import Callable

from flask import Response, redirect, url_for
from flask import session as browser
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from mapdash.cases import ratelimit, replies
from mapdash.errors import UserError
from mapdash.models import Incident


def send(session: Session, store: Callable[[], Incident],
         drawn_reply_code: str | None = None) -> BaseResponse | UserError:
    """`store` (the service's call, raising UserError when it refuses) within the address's
    limits. Stored: the redirect to the tracking page, which shows the reply code this
    browser keeps (`drawn_reply_code` when `store` stored its digest with the case).
    Refused: the refusal, for the form to show with what was typed; nothing is stored, and
    the refusal counts against the address (a rate limit does not)."""
    try:
        ratelimit.check_reports()
        incident = store()
        ratelimit.count_accepted(session)
        replies.keep_reply_code(browser, "reply_codes", incident.tracking_code,
                                replies.issue_reply_code(incident, drawn_reply_code))
    except ratelimit.RateLimited as limited:
        session.rollback()
        return limited
    except UserError as refused:
        session.rollback()
        ratelimit.count_refused()
        return refused
    return redirect(url_for("public.track", code=incident.tracking_code, new=1), 303)


def form_page(html: str, error: UserError | None) -> Response:
    """The form: 200, or again after a refusal with its status (and when to try again)."""
    if error is None:
        return Response(html)
    return Response(html, error.status, error.headers())
