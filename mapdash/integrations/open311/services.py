"""Jurisdictions, services and service definitions: an organization and its case types.

service_code is the case type's code, group its department, metadata whether it asks extra
questions (the definition's attributes, see questions.py). Every type is "realtime": a
request gets its id (the tracking code) at once.

Sensitive types (drug tips) are not offered: a third-party app cannot show the promise of
confidentiality the web form makes, and its server would see the tipster's contact. They
are reported on the web form only, and their cases are never returned either.
"""
from typing import Annotated

from pydantic import BeforeValidator, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from mapdash.api.params import OneOf, Params
from mapdash.cases.questions import ordered
from mapdash.errors import UserError
from mapdash.i18n import LANGUAGES, _l, both, current_language, localized
from mapdash.models import Category, Organization
from mapdash.office.orgs import find_organization

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_JURISDICTION = 100


class JurisdictionQuery(Params):
    jurisdiction_id: Annotated[str | None, Field(
        description="Organization slug; needed only where the server hosts several.")] = None


class Open311Query(JurisdictionQuery):
    # Read by i18n for every page; declared here for the document. Any other value is
    # ignored there (the cookie or the browser's language is used), so here too.
    lang: Annotated[str | None, OneOf(LANGUAGES), Field(
        description="Language of names and descriptions; default Thai (or the `lang` cookie)."),
        BeforeValidator(lambda value: value if value in LANGUAGES else None)] = None


def jurisdiction(session: Session, jurisdiction_id: str | None) -> Organization:
    """The organization `jurisdiction_id` (its slug) names; needed only where there are several."""
    jurisdiction_id = (jurisdiction_id or "").strip()
    if jurisdiction_id:
        org = find_organization(session, jurisdiction_id[:MAX_JURISDICTION])
        if org is None:
            raise UserError("unknown_jurisdiction", _l("jurisdiction_id not found"), status=404)
        return org
    orgs = session.scalars(select(Organization).order_by(Organization.id).limit(2)).all()
    if not orgs:
        raise UserError("no_jurisdiction", _l("This server has no jurisdiction yet"), status=404)
    if len(orgs) > 1:
        raise UserError("jurisdiction_required",
                        _l("jurisdiction_id was not provided: this server hosts several"))
    return orgs[0]


def offered(session: Session, org: Organization, code: str | None = None) -> list[Category]:
    """The case types Open311 clients may use: active, not sensitive."""
    query = (select(Category).options(joinedload(Category.department))
             .where(Category.organization_id == org.id, Category.active, ~Category.sensitive)
             .order_by(Category.sort_order, Category.id))
    if code is not None:
        query = query.where(Category.code == code)
    return list(session.scalars(query))


def find_service(session: Session, org: Organization, code: str | None) -> Category:
    code = (code or "").strip()[:100]
    found = offered(session, org, code) if code else []
    if not found:
        if not code:
            raise UserError("missing_service_code", _l("service_code was not provided"))
        raise UserError("unknown_service", _l("service_code not found"), status=404)
    return found[0]


def service(category: Category) -> dict:
    department = localized(category.department)
    return {
        "service_code": category.code,
        "service_name": localized(category),
        "description": f"{category.name_th} ({category.name_en})",
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys((category.name_th, category.name_en, category.code,
                                             category.department.name_th,
                                             category.department.name_en))),
        "group": department,
    }


def service_list(session: Session, org: Organization) -> list[dict]:
    return [service(category) for category in offered(session, org)]


def definition(category: Category) -> dict:
    lang = current_language()
    return {
        "service_code": category.code,
        "attributes": [{
            "variable": True,
            "code": question["code"],
            "datatype": question["datatype"],
            "required": bool(question.get("required")),
            "datatype_description": _datatype_description(question),
            "order": index,
            "description": question[f"description_{lang}"],
            "values": [{"key": value["key"], "name": value[f"name_{lang}"]}
                       for value in question.get("values", [])],
        } for index, question in enumerate(ordered(category.questions), start=1)],
    }


def _datatype_description(question: dict) -> str | None:
    if question["datatype"] == "datetime":
        return "ISO 8601, e.g. 2026-11-21T09:30:00+07:00 (without a zone: Thai time)"
    if question["datatype"] == "number":
        return "a number"
    return None


def _contact(names: str) -> str:
    """Who answers for the service, in Thai with the English in brackets, as before."""
    thai, english = both(_l("Office of the Chief Administrator"))
    return f"{names}: {thai} ({english})"


def discovery(session: Session, url: str, changeset) -> dict:
    orgs = session.scalars(select(Organization).order_by(Organization.id)).all()
    names = ", ".join(org.name_th for org in orgs)
    return {
        "changeset": changeset,
        "contact": _contact(names) if names else None,
        "key_service": "API keys are issued by the administration's system administrator "
                       "(mapdash apikeys create, or /admin/api-keys)",
        "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": changeset,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }
