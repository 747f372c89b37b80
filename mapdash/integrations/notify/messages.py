"""What each notification says: short Thai text with the link, and the English version,
both from the catalogues.

The payload is channel-neutral (kind, subject_th, subject_en, text_th, text_en, url and
optionally photo_url); the LINE sender pushes text_th (and the photo), the e-mail sender puts
Thai first and English below. Rendered when the message is enqueued, so a retry sends exactly
what was decided then.
"""
from datetime import datetime

from mapdash.cases.workflow import STEP_LABELS
from mapdash.i18n import LazyText, LocalDate, Localized, _l, both, village_label
from mapdash.models import Incident, Organization, User
from mapdash.vocabulary import ROLE_LABELS

NOTE_LIMIT = 300  # a staff question or closing note, cut to stay a short message


def _short(text: str, limit: int = NOTE_LIMIT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _payload(kind: str, url: str, subject: LazyText, text: LazyText,
             photo_url: str | None = None) -> dict:
    (subject_th, subject_en), (text_th, text_en) = both(subject), both(text)
    payload = {"kind": kind, "subject_th": subject_th, "subject_en": subject_en,
               "text_th": text_th, "text_en": text_en, "url": url}
    if photo_url:
        payload["photo_url"] = photo_url
    return payload


def accepted(incident: Incident, url: str, note: str = "") -> dict:
    """`note`: the staff's message, if they wrote one (a response template, a date)."""
    code = incident.tracking_code
    subject = _l("Your report %(code)s was accepted", code=code)
    params = {"org": Localized(incident.organization), "category": Localized(incident.category),
              "code": code, "url": url}
    if note:
        return _payload("accepted", url, subject, _l(
            "%(org)s has accepted your report \"%(category)s\" (code %(code)s):\n%(note)s\n"
            "Follow it here: %(url)s", note=_short(note), **params))
    return _payload("accepted", url, subject, _l(
        "%(org)s has accepted your report \"%(category)s\" (code %(code)s).\n"
        "Follow it here: %(url)s", **params))


def forwarded(incident: Incident, from_org: Organization, reason: str, url: str) -> dict:
    """Sent after the case moved: `incident.organization` is the one that takes it now."""
    code = incident.tracking_code
    return _payload("forwarded", url, _l("Your report %(code)s was forwarded to %(org)s", code=code,
                                         org=Localized(incident.organization)),
                    _l("%(from)s forwarded your report %(code)s to %(org)s, who is responsible "
                       "for it: %(reason)s\nYour tracking code stays the same: %(url)s",
                       code=code, org=Localized(incident.organization), reason=_short(reason),
                       url=url, **{"from": Localized(from_org)}))


def referred(incident: Incident, agency: str, url: str) -> dict:
    code = incident.tracking_code
    return _payload("referred", url, _l("Your report %(code)s was referred to %(agency)s",
                                        code=code, agency=agency),
                    _l("%(org)s referred your report %(code)s to %(agency)s, the agency "
                       "responsible for it, which now handles it.\nDetails: %(url)s",
                       org=Localized(incident.organization), code=code, agency=agency,
                       url=url))


def info_requested(incident: Incident, question: str, url: str, reply_url: str) -> dict:
    """`reply_url`: the reporter's signed link to the answer form (replies.py)."""
    code = incident.tracking_code
    payload = _payload("info_requested", url, _l("More information needed for %(code)s", code=code),
                       _l("The staff of %(org)s need more information about %(code)s:\n"
                          "%(question)s\nAnswer here (a link for you only, good for 30 days): "
                          "%(reply_url)s\nDetails: %(url)s", org=Localized(incident.organization),
                          code=code, question=_short(question), reply_url=reply_url, url=url))
    payload["reply_url"] = reply_url
    return payload


def resolved(incident: Incident, note: str, url: str, photo_url: str | None,
             rate_url: str | None = None) -> dict:
    """`rate_url`: the reporter's signed link to rate the result or say it is not fixed
    (ratings.py); followers get the message without it."""
    code = incident.tracking_code
    subject = _l("Your report %(code)s is resolved", code=code)
    if rate_url is None:
        return _payload("resolved", url, subject,
                        _l("Your report %(code)s is resolved: %(note)s\nSee the result: %(url)s",
                           code=code, note=_short(note), url=url), photo_url)
    payload = _payload("resolved", url, subject, _l(
        "Your report %(code)s is resolved: %(note)s\nHow did we do? Rate the result, or tell us "
        "within %(days)s days if it is not fixed (a link for you only): %(rate_url)s",
        code=code, note=_short(note), days=incident.organization.not_fixed_days,
        rate_url=rate_url), photo_url)
    payload["rate_url"] = rate_url
    return payload


def not_fixed(incident: Incident, note: str, url: str) -> dict:
    """For the department's staff: the reporter reopened a resolved case (ratings.py)."""
    code = incident.tracking_code
    return _payload("not_fixed", url, _l("Not fixed, says the reporter: case %(code)s", code=code),
                    _l("The reporter of case %(code)s (%(category)s) says it is not fixed: "
                       "%(note)s\nIt is back among the new cases: %(url)s", code=code,
                       category=Localized(incident.category), note=_short(note), url=url))


def rejected(incident: Incident, reason: str, url: str) -> dict:
    code = incident.tracking_code
    return _payload("rejected", url, _l("Your report %(code)s was not taken up", code=code),
                    _l("%(org)s did not take up your report %(code)s: %(reason)s\n"
                       "Details: %(url)s", org=Localized(incident.organization), code=code,
                       reason=_short(reason), url=url))


def plan_decided(incident: Incident, taken_year: int | None, reason: str, url: str) -> dict:
    """A proposal's outcome, to its proposer and supporters: taken into the plan of a year
    (`taken_year`), or not taken (None)."""
    code = incident.tracking_code
    if taken_year is not None:
        return _payload("plan_decided", url, _l("Proposal %(code)s: taken into the development "
                                                "plan %(year)s", code=code, year=taken_year),
                        _l("%(org)s took proposal %(code)s into the local development plan "
                           "%(year)s: %(reason)s\nDetails: %(url)s",
                           org=Localized(incident.organization), code=code, year=taken_year,
                           reason=_short(reason), url=url))
    return _payload("plan_decided", url, _l("Proposal %(code)s: not taken into the plan", code=code),
                    _l("%(org)s did not take proposal %(code)s into the local development plan: "
                       "%(reason)s\nDetails: %(url)s", org=Localized(incident.organization),
                       code=code, reason=_short(reason), url=url))


def new_case(incident: Incident, url: str) -> dict:
    """For the department's staff. A sensitive case (a drug tip) says only its type and code:
    the alert goes through a mailbox or a LINE group, outside our own pages."""
    code, category = incident.tracking_code, incident.category
    place: LazyText | str = ""
    if incident.village is not None and not category.sensitive:
        place = village_label(incident.village)
    details = "" if category.sensitive else _short(incident.description, 200)
    subject = _l("New case %(code)s: %(category)s", code=code, category=Localized(category))
    text = _l("New case %(code)s: %(category)s %(place)s\n%(details)s\n"
              "Open the dispatch map: %(url)s", code=code, category=Localized(category),
              place=place, details=details, url=url)
    payload = _payload("new_case", url, subject, text)
    for lang in ("th", "en"):  # no empty line where there are no details, no space at the end
        key = f"text_{lang}"
        payload[key] = payload[key].replace(" \n", "\n").replace("\n\n", "\n")
    return payload


def overdue(incident: Incident, step: str, due: datetime, url: str) -> dict:
    code = incident.tracking_code
    return _payload("overdue", url, _l("Overdue: case %(code)s", code=code),
                    _l("Case %(code)s (%(category)s) is past the time limit of \"%(step)s\" "
                       "(due %(due)s)\nOpen the dispatch map: %(url)s", code=code,
                       category=Localized(incident.category), step=STEP_LABELS[step],
                       due=LocalDate(due, with_time=True), url=url))


def password_link(user: User, purpose: str, url: str, expires_at: datetime) -> dict:
    """To a new staff member ("invite") or one whose password an administrator reset: the
    one-time link to choose a password (office/password_links.py)."""
    org, until = Localized(user.organization), LocalDate(expires_at, with_time=True)
    if purpose == "invite":
        subject = _l("Your staff account at %(org)s", org=org)
        text = _l("%(org)s has made you a staff account (%(role)s).\nChoose your password here "
                  "(the link works once, until %(until)s): %(url)s\nThen sign in with this "
                  "e-mail address.", org=org, role=ROLE_LABELS[user.role], until=until, url=url)
    else:
        subject = _l("A new password for your account at %(org)s", org=org)
        text = _l("An administrator of %(org)s has reset your password.\nChoose a new one here "
                  "(the link works once, until %(until)s): %(url)s", org=org, until=until, url=url)
    return _payload("password_link", url, subject, text)
