"""Admins: the organization's staff accounts (office/staff.py).

A set-password link is shown once, on the page that answers the form that made it (never
kept in the session, never shown again: only its hash is stored, password_links.py), and
e-mailed to the person when mail is set up."""
from datetime import UTC, datetime
from typing import Annotated

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import Field

from mapdash import db
from mapdash.api.params import IntegerId, OneOf, Params, Refusal, parse
from mapdash.errors import UserError
from mapdash.i18n import _, _l
from mapdash.office import departments, password_links, staff
from mapdash.office.auth import role_required
from mapdash.office.password_links import IssuedLink
from mapdash.vocabulary import EMAIL, ROLE_LABELS, ROLES

bp = Blueprint("admin_staff", __name__, url_prefix="/admin/staff")
NO_STORE = {"Cache-Control": "no-store"}


class AccountForm(Params):
    """An account's name, role and department (an officer needs one)."""
    display_name: Annotated[str, Field(max_length=100), Refusal(
        "bad_name", _l("Write the person's name (at most 100 characters)"))]
    role: Annotated[str, OneOf(ROLES), Refusal("bad_role", _l("Choose a role from the list"))]
    department_id: Annotated[IntegerId | None, Refusal(
        "bad_department", _l("Choose a department from the list"))] = None


class NewAccountForm(AccountForm):
    email: Annotated[str, Field(max_length=254, pattern=EMAIL.pattern), Refusal(
        "bad_email", _l("Not a valid e-mail address"))]


def _list_page(error: UserError | None = None, link: IssuedLink | None = None,
               added=None, status: int = 200):
    session = db.session()
    org_id = current_user.organization_id
    return render_template(
        "admin/staff.html", rows=staff.listing(session, org_id, datetime.now(UTC)),
        departments=departments.listing(session, org_id), role_labels=ROLE_LABELS,
        error=error, typed=request.form if error else {}, link=link, added=added,
        can_email=password_links.can_email()), status, NO_STORE if link else {}


def _account_page(user_id: int, error: UserError | None = None,
                  link: IssuedLink | None = None, status: int = 200):
    session = db.session()
    return render_template(
        "admin/staff_account.html", user=staff.account(session, current_user, user_id),
        departments=departments.listing(session, current_user.organization_id),
        role_labels=ROLE_LABELS, error=error, typed=request.form if error else {}, link=link,
        can_email=password_links.can_email()), status, NO_STORE if link else {}


def _refused(error: UserError) -> UserError:
    """A refusal answered on the page: nothing of the failed change is kept or shown."""
    if error.status == 404:
        raise error
    db.session().rollback()
    return error


@bp.get("/")
@role_required("admin")
def index():
    return _list_page()


@bp.post("/")
@role_required("admin")
def add():
    """A new account and its set-password link, shown on the answer."""
    try:
        form = parse(NewAccountForm, request.form)
        user, link = staff.add(db.session(), current_user, display_name=form.display_name,
                               email=form.email, role=form.role,
                               department_id=form.department_id, now=datetime.now(UTC))
    except UserError as error:
        return _list_page(error=_refused(error), status=error.status)
    return _list_page(link=link, added=user)


@bp.get("/<integer_id:user_id>")
@role_required("admin")
def account(user_id: int):
    return _account_page(user_id)


# Not the page's own address: a POST rule beside the GET one would answer an out-of-range id
# with 405 instead of 404 (tests/test_ids_in_range.py).
@bp.post("/<integer_id:user_id>/change")
@role_required("admin")
def change(user_id: int):
    try:
        form = parse(AccountForm, request.form)
        user = staff.change(db.session(), current_user, user_id, display_name=form.display_name,
                            role=form.role, department_id=form.department_id)
    except UserError as error:
        return _account_page(user_id, error=_refused(error), status=error.status)
    flash(_("%(name)s: saved", name=user.display_name))
    return redirect(url_for(".index"), 303)


@bp.post("/<integer_id:user_id>/deactivate")
@role_required("admin")
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/<integer_id:user_id>/activate")
@role_required("admin")
def activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    try:
        user = staff.set_active(db.session(), current_user, user_id, active)
    except UserError as error:
        return _account_page(user_id, error=_refused(error), status=error.status)
    flash(_("%(name)s may sign in again", name=user.display_name) if active else
          _("%(name)s is deactivated: signed out everywhere, no more sign-ins",
            name=user.display_name))
    return redirect(url_for(".account", user_id=user_id), 303)


@bp.post("/<integer_id:user_id>/password-link")
@role_required("admin")
def reset_password(user_id: int):
    """The old password stops working; a new link, shown on the answer."""
    try:
        _user, link = staff.reset_password(db.session(), current_user, user_id,
                                           datetime.now(UTC))
    except UserError as error:
        return _account_page(user_id, error=_refused(error), status=error.status)
    return _account_page(user_id, link=link)
