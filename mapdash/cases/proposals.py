"""Proposals for the local development plan (เสนอปัญหาความต้องการเพื่อบรรจุในแผนพัฒนาท้องถิ่น):
cases of a type of kind "proposal", with a record of their own (models.Proposal).

A citizen proposes for a village (required; a place on the map is optional): a title, the
need, who benefits, a rough cost. Others in the community support it (+1) as followers of
the case, each person once: the same phone, e-mail, LINE user or browser counts once.
Staff decide through the workflow (cases/workflow.py): taken into the plan of a Buddhist Era
year, merged into another proposal (mark_duplicate: its supporters join the original), or not
taken, always with a reason; the public list (/proposals) shows them per village and year.
"""
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from mapdash.api.params import Params, Refusal, whole_number
from mapdash.cases import intake
from mapdash.errors import UserError
from mapdash.i18n import BE_OFFSET, LOCAL_TZ, _l, in_office_language
from mapdash.models import Category, Follower, Incident, IncidentEvent, Organization, Proposal, Village
from mapdash.stats.period import fiscal_year_of
from mapdash.vocabulary import CITIZEN_LABEL

KIND = "proposal"
MAX_TITLE = 200
MAX_BENEFICIARIES = 1000
MAX_COST = Decimal("999999999999.99")
# A plan year is a Buddhist Era year the local plan can name (sql/032 checks the same).
FIRST_PLAN_YEAR, LAST_PLAN_YEAR = 2500, 2700


def _cost(value):
    """A rough cost as people type it: "150,000", "150000 บาท", Thai digits."""
    if isinstance(value, str):
        cleaned = re.sub(r"[,\s]|บาท|baht", "", value, flags=re.IGNORECASE)
        if len(cleaned) > 20:
            raise ValueError("too many digits")
        return Decimal(int(cleaned)) if cleaned.isdecimal() else Decimal(cleaned)
    return value


class ProposalForm(Params):
    """The citizen's proposal form (templates/public/form_proposal.html)."""
    village: Annotated[int, Field(ge=1, le=999), BeforeValidator(whole_number), Refusal(
        "village_required", _l("Choose the village this proposal is for"))]
    title: Annotated[str, Field(min_length=1, max_length=MAX_TITLE), Refusal(
        "title_required", _l("Give the proposal a short title (at most %(limit)s characters)",
                             limit=MAX_TITLE))]
    description: Annotated[str, Field(min_length=1, max_length=intake.MAX_DESCRIPTION), Refusal(
        "need_required", _l("Describe the problem or need (at most %(limit)s characters)",
                            limit=format(intake.MAX_DESCRIPTION, ",")))]
    beneficiaries: Annotated[str, Field(max_length=MAX_BENEFICIARIES), Refusal(
        "too_long", _l("This field is longer than %(limit)s characters",
                       limit=format(MAX_BENEFICIARIES, ",")))] = ""
    estimated_cost: Annotated[Decimal | None, Field(ge=0, le=MAX_COST, decimal_places=2),
                              BeforeValidator(_cost), Refusal(
        "bad_cost", _l("The rough cost is an amount in baht, e.g. 150000"))] = None


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    phone: str | None = None
    line_id: str | None = None
    email: str | None = None
    line_user: str | None = None


def villages(session: Session, organization_id: int) -> list[Village]:
    return list(session.scalars(select(Village).where(
        Village.organization_id == organization_id).order_by(Village.number)))


def create_proposal(session: Session, org: Organization, category: Category, form: ProposalForm,
                    contact: Contact, *, lon: str = "", lat: str = "",
                    idempotency_key: str | None = None) -> Incident:
    """Store the proposal as a case and its record, together. Flushes; the caller commits.
    The village is the one the citizen chose (the pin, if any, only marks the place)."""
    village = session.scalar(select(Village).where(Village.organization_id == org.id,
                                                   Village.number == form.village))
    if village is None:
        raise UserError("village_required", _l("Choose the village this proposal is for"),
                        field="village")
    has_place = bool(lon or lat)
    incident = intake.create_incident(session, intake.Report(
        category_code=category.code,
        lon=intake.parse_coordinate(lon, "longitude", -180, 180) if has_place else None,
        lat=intake.parse_coordinate(lat, "latitude", -90, 90) if has_place else None,
        description=form.description, reporter_name=contact.name, reporter_phone=contact.phone,
        reporter_line_id=contact.line_id, reporter_email=contact.email,
        reporter_line_user=contact.line_user, organization_slug=org.slug,
        village_number=village.number, idempotency_key=idempotency_key))
    if session.get(Proposal, incident.id) is not None:
        return incident  # the same form sent twice
    if incident.organization_id != org.id:
        raise UserError("outside_area", intake.OUTSIDE_AREA, field="location", status=422)
    incident.village_id = village.id
    session.add(Proposal(incident_id=incident.id, title=form.title,
                         beneficiaries=form.beneficiaries, estimated_cost=form.estimated_cost))
    session.flush()
    return incident


# --- support (+1), once per person ---------------------------------------------------------

def normalize_phone(phone: str | None) -> str | None:
    """The digits of a Thai number, +66 written as 0: "081-234 5678" = "+66812345678"."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("66") and len(digits) in (10, 11):
        digits = "0" + digits[2:]
    return digits or None


def browser_key_hash(key: str | None) -> str | None:
    return hashlib.sha256(key.encode()).hexdigest() if key else None


def _identities(phone, email, line_user, browser_sha256) -> set[tuple[str, str]]:
    found = {("phone", normalize_phone(phone)), ("email", (email or "").strip().lower() or None),
             ("line", line_user), ("browser", browser_sha256)}
    return {(kind, value) for kind, value in found if value}


def support(session: Session, code: str, contact: Contact, browser_key: str | None
            ) -> tuple[Incident, bool]:
    """+1 on an undecided proposal: (the case, whether it counted). Someone already counted
    (the proposer, or a supporter with the same phone, e-mail, LINE user or browser) is not
    counted again. The case's row is locked, so two taps at once count once. Flushes."""
    name, phone, line_id, email = intake._contact(contact.name, contact.phone, contact.line_id,
                                                  contact.email)
    found = intake.find_by_code(session, code)
    if found is None or found.category.kind != KIND or found.category.sensitive:
        raise UserError("unknown_proposal", _l("No proposal has this code"), status=404)
    incident = session.get_one(Incident, found.id, with_for_update=True, populate_existing=True)
    if not incident.is_open:
        raise UserError("proposal_decided",
                        _l("This proposal has been decided: support is closed"), status=409)
    browser_sha256 = browser_key_hash(browser_key)
    mine = _identities(phone, email, contact.line_user, browser_sha256)
    if not mine:
        raise UserError("support_needs_contact",
                        _l("Please give a phone number or e-mail, so that each person counts once"),
                        field="reporter_phone")
    counted = _identities(incident.reporter_phone, incident.reporter_email,
                          incident.reporter_line_user, None)
    for row in session.execute(select(Follower.phone, Follower.email, Follower.line_user,
                                      Follower.browser_key_sha256)
                               .where(Follower.incident_id == incident.id)):
        counted |= _identities(*row)
    if mine & counted:
        return incident, False
    session.add(Follower(incident_id=incident.id, name=name, phone=phone, line_id=line_id,
                         email=email, line_user=contact.line_user,
                         browser_key_sha256=browser_sha256))
    session.execute(update(Incident).where(Incident.id == incident.id)
                    .values(followers_count=Incident.followers_count + 1))
    session.add(IncidentEvent(incident_id=incident.id, actor_label=in_office_language(CITIZEN_LABEL),
                              action="follow", from_status=incident.status,
                              to_status=incident.status, public=False,
                              note=in_office_language(_l("A citizen supports this proposal (+1)"))))
    session.flush()
    session.refresh(incident, ["followers_count"])
    return incident, True


# --- the staff's outcome (called by workflow.perform) ---------------------------------------

# The workflow action that decides each outcome; "reopen" takes the decision back.
OUTCOME_OF_ACTION = {"take_into_plan": "taken", "mark_duplicate": "merged",
                     "leave_out_of_plan": "not_taken"}


def check_plan_year(plan_year: int | None) -> int:
    if plan_year is None or not FIRST_PLAN_YEAR <= plan_year <= LAST_PLAN_YEAR:
        raise UserError("bad_plan_year", _l("Give the plan's year in the Buddhist Era, e.g. %(year)s",
                                            year=default_plan_year(datetime.now(LOCAL_TZ))),
                        field="plan_year")
    return plan_year


def default_plan_year(now: datetime) -> int:
    """The year a plan drawn up now is for: the next fiscal year."""
    return fiscal_year_of(now) + 1


def check_original(session: Session, original_id: int | None) -> None:
    """A proposal merges into another proposal only."""
    original = session.get(Incident, original_id) if original_id else None
    if original is not None and original.category.kind != KIND:
        raise UserError("bad_duplicate", _l("A proposal can only be merged into another proposal"),
                        field="duplicate_code")


def decide(session: Session, incident: Incident, action: str, *, plan_year: int | None,
           reason: str, now: datetime) -> None:
    """Record the outcome the workflow action gives the proposal (or clear it on reopen)."""
    record = session.get(Proposal, incident.id)
    if record is None:  # a case of a type made a proposal type later: its record starts now
        record = Proposal(incident_id=incident.id, title=(incident.description or "")[:MAX_TITLE]
                          or incident.tracking_code)
        session.add(record)
    if action == "reopen":
        record.outcome = record.plan_year = record.merged_into = record.decided_at = None
        record.reason = ""
        return
    outcome = OUTCOME_OF_ACTION[action]
    record.outcome, record.reason, record.decided_at = outcome, reason, now
    record.plan_year = check_plan_year(plan_year) if outcome == "taken" else None
    record.merged_into = incident.duplicate_of if outcome == "merged" else None
    session.flush()


# --- what the public sees -------------------------------------------------------------------

def fiscal_years(session: Session, organization_id: int) -> list[int]:
    """The fiscal years (Buddhist Era) with proposals, newest first: the year filter."""
    return list(session.scalars(text("""
        SELECT DISTINCT extract(year FROM (i.created_at AT TIME ZONE 'Asia/Bangkok')
                                          + interval '3 months')::int + :be AS year
        FROM proposals p JOIN incidents i ON i.id = p.incident_id
        WHERE i.organization_id = :org ORDER BY year DESC"""),
        {"org": organization_id, "be": BE_OFFSET}))


def public_list(session: Session, organization_id: int, village_number: int | None = None,
                fiscal_year: int | None = None, limit: int = 500) -> list[dict]:
    """Proposals of an organization, by village then most supported: public fields only
    (never a name, phone or contact). `fiscal_year`: the year they were proposed in."""
    rows = session.execute(text("""
        SELECT i.tracking_code AS code, i.status, i.is_open, i.created_at, i.followers_count,
               extract(year FROM (i.created_at AT TIME ZONE 'Asia/Bangkok')
                                 + interval '3 months')::int + :be AS fiscal_year,
               left(i.description, 400) AS need, p.title, p.beneficiaries, p.estimated_cost,
               p.outcome, p.plan_year, p.reason, p.decided_at, o.tracking_code AS merged_code,
               v.number AS village_number, v.name_th AS village_th, v.name_en AS village_en
        FROM proposals p
        JOIN incidents i ON i.id = p.incident_id
        JOIN categories c ON c.id = i.category_id
        LEFT JOIN incidents o ON o.id = p.merged_into
        LEFT JOIN villages v ON v.id = i.village_id
        WHERE i.organization_id = :org AND NOT c.sensitive
          AND (CAST(:village AS integer) IS NULL OR v.number = :village)
          AND (CAST(:year AS integer) IS NULL
               OR extract(year FROM (i.created_at AT TIME ZONE 'Asia/Bangkok')
                                    + interval '3 months')::int + :be = :year)
        ORDER BY v.number NULLS LAST, i.followers_count DESC, i.created_at DESC, i.id
        LIMIT :limit"""),
        {"org": organization_id, "village": village_number, "year": fiscal_year,
         "be": BE_OFFSET, "limit": limit})
    return [dict(row) for row in rows.mappings()]


def for_status_page(session: Session, incident: Incident) -> dict | None:
    """The proposal's own lines on its tracking page: title, supporters, outcome."""
    if incident.category.kind != KIND:
        return None
    record = session.get(Proposal, incident.id)
    if record is None:
        return None
    return {"record": record, "supporters": incident.followers_count,
            "merged_code": record.original.tracking_code if record.original else None}
