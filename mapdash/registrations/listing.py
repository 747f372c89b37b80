"""The office's list of applications: the registration types a reader may read (their
department's, or all for an admin), each application with its ID number and account masked
(rules.mask_*), by fiscal year and status."""
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mapdash.api.params import IntegerId, OneOf, Params, Refusal, whole_number
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Category, Incident, Registration, User, Village
from mapdash.registrations import rules
from mapdash.vocabulary import STATUSES

MAX_ROWS = 500


def readable_types(session: Session, user: User) -> list[Category]:
    """Registration types whose applications `user` may read: the types of their department;
    every one for the organization's admins (cases/documents.staff_may_read)."""
    query = select(Category).where(Category.organization_id == user.organization_id,
                                   Category.kind == "registration")
    if user.role != "admin":
        if user.department_id is None:
            return []
        query = query.where(Category.department_id == user.department_id)
    return list(session.scalars(query.order_by(Category.sort_order, Category.id)))


def readable_type(session: Session, user: User, category_id: int) -> Category:
    found = next((t for t in readable_types(session, user) if t.id == category_id), None)
    if found is None:
        raise UserError("unknown_type", _l("No such registration type, or its applications "
                                           "are not yours to see"), status=404)
    return found


class ListQuery(Params):
    type: Annotated[IntegerId | None, Refusal("bad_type", _l("Choose a registration type"))] = None
    year: Annotated[int | None, Field(ge=2500, le=2700), BeforeValidator(whole_number),
                    Refusal("bad_year", _l("Choose a fiscal year (Buddhist Era), e.g. 2570"))] \
        = None
    status: Annotated[str | None, OneOf(STATUSES), Refusal(
        "bad_status", _l("Choose a status"))] = None


@dataclass(frozen=True)
class Row:
    incident_id: int
    tracking_code: str
    status: str
    created_at: datetime
    full_name: str
    national_id: str        # masked
    birth_date: str         # as the reader writes dates
    village: Village | None
    bank: str
    account_number: str     # masked


def applications(session: Session, category: Category, year: int,
                 status: str | None = None) -> list[Row]:
    """The type's applications of a fiscal year, newest first, masked."""
    query = (select(Incident, Registration).join(Registration,
                                                 Registration.incident_id == Incident.id)
             .where(Incident.category_id == category.id, Registration.fiscal_year == year)
             .order_by(Incident.created_at.desc(), Incident.id.desc()).limit(MAX_ROWS))
    if status:
        query = query.where(Incident.status == status)
    return [Row(incident.id, incident.tracking_code, incident.status, incident.created_at,
                registration.full_name, rules.mask_national_id(registration.national_id),
                rules.thai_date(registration.birth_date), registration.village, registration.bank,
                rules.mask_account(registration.account_number))
            for incident, registration in session.execute(query)]


def counts(session: Session, category: Category, year: int) -> dict[str, int]:
    """{status: applications} of the type's fiscal year."""
    return dict(session.execute(
        select(Incident.status, func.count()).join(Registration,
                                                   Registration.incident_id == Incident.id)
        .where(Incident.category_id == category.id, Registration.fiscal_year == year)
        .group_by(Incident.status)).all())


def years(session: Session, category: Category, current: int) -> list[int]:
    """The fiscal years with applications of the type, and the current one, newest first."""
    found = set(session.scalars(
        select(Registration.fiscal_year).join(Incident, Incident.id == Registration.incident_id)
        .where(Incident.category_id == category.id).distinct()))
    return sorted(found | {current}, reverse=True)
