"""Canned public messages (/admin/templates): what a dispatcher may start from when an action
sends the citizen a note, per case type or for every type; every change recorded
(office/changes.py, subject "response_template").

`templates_for` is what the dispatcher's panel offers for one case and action."""
from typing import Annotated

from pydantic import BeforeValidator, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from mapdash.api.params import IntegerId, OneOf, Params, Refusal, whole_number
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Category, ResponseTemplate, User
from mapdash.office import changes

# The workflow actions whose note the citizen reads (cases/workflow.py TRANSITIONS); sql/017
# checks the same list.
TEMPLATE_ACTIONS = ("accept", "request_info", "resolve", "reject")
RECORDED = ("category_id", "action", "title", "text_th", "text_en", "active", "sort_order")


class TemplateFields(Params):
    """The form of one template; an empty type: every type."""
    category_id: Annotated[IntegerId | None, Refusal(
        "bad_type", _l("Choose a case type, or every type"))] = None
    action: Annotated[str, OneOf(TEMPLATE_ACTIONS), Refusal(
        "bad_action", _l("Choose the action the message is for"))]
    title: Annotated[str, Field(max_length=100), Refusal(
        "title_required", _l("Give the message a short title (at most 100 characters)"))]
    text_th: Annotated[str, Field(max_length=2000), Refusal(
        "text_required", _l("Write the message in Thai (at most 2000 characters)"))]
    text_en: Annotated[str | None, Field(max_length=2000), Refusal(
        "too_long", _l("This text is too long"))] = None
    sort_order: Annotated[int, Field(ge=-1000, le=1000), BeforeValidator(whole_number), Refusal(
        "bad_sort_order", _l("The order is a whole number from -1000 to 1000"))] = 0
    active: bool = False


def list_templates(session: Session, organization_id: int) -> list[ResponseTemplate]:
    return list(session.scalars(
        select(ResponseTemplate).options(joinedload(ResponseTemplate.category))
        .where(ResponseTemplate.organization_id == organization_id)
        .order_by(ResponseTemplate.action, ResponseTemplate.sort_order, ResponseTemplate.id)))


def templates_for(session: Session, organization_id: int, category_id: int | None,
                  action: str) -> list[ResponseTemplate]:
    """The active templates a dispatcher may pick for this action on a case of this type:
    the type's own and those for every type, in their order."""
    return list(session.scalars(
        select(ResponseTemplate)
        .where(ResponseTemplate.organization_id == organization_id,
               ResponseTemplate.action == action, ResponseTemplate.active,
               or_(ResponseTemplate.category_id.is_(None),
                   ResponseTemplate.category_id == category_id))
        .order_by(ResponseTemplate.sort_order, ResponseTemplate.id)))


def find_template(session: Session, organization_id: int, template_id: int) -> ResponseTemplate:
    template = session.get(ResponseTemplate, template_id)
    if template is None or template.organization_id != organization_id:
        raise UserError("unknown_template", _l("No such response template"), status=404)
    return template


def _snapshot(template: ResponseTemplate) -> dict:
    return {name: getattr(template, name) for name in RECORDED}


def save(session: Session, actor: User, fields: TemplateFields,
         template_id: int | None = None) -> ResponseTemplate:
    """Add a template (template_id None) or change one of the actor's organization, and
    record it. Flushes; the request commits."""
    org_id = actor.organization_id
    if fields.category_id is not None:
        category = session.get(Category, fields.category_id)
        if category is None or category.organization_id != org_id:
            raise UserError("bad_type", _l("Choose a case type, or every type"),
                            field="category_id")
    if template_id is None:
        template, before = ResponseTemplate(organization_id=org_id), None
        session.add(template)
    else:
        template = find_template(session, org_id, template_id)
        before = _snapshot(template)
    template.category_id, template.action = fields.category_id, fields.action
    template.title, template.text_th = fields.title, fields.text_th
    template.text_en, template.active = fields.text_en or "", fields.active
    template.sort_order = fields.sort_order
    session.flush()
    changes.record(session, actor, "response_template",
                   "created" if before is None else "changed", label=template.title,
                   subject_id=template.id, before=before, after=_snapshot(template))
    return template
