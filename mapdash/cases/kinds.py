"""What each kind of service (vocabulary.CASE_KINDS) calls things on the citizen's pages: the
home page's groups, the form's steps, placeholder and button, the confirmation and the due
date of the tracking page; whether its form asks for a place and photos; and which template
renders its form. One table, so every kind reads as what it is and a new kind's form is one
row here plus its template (templates/public/form_<kind>.html, extending report.html).
"""
from dataclasses import dataclass

from mapdash.i18n import LazyText, _l
from mapdash.models import Category, Organization
from mapdash.vocabulary import CASE_KINDS


@dataclass(frozen=True)
class KindTexts:
    group: LazyText          # the home page's heading over the types of this kind
    about: LazyText          # the short description under it
    details: LazyText        # the form's step title of the citizen's text
    placeholder: LazyText    # inside that text box
    submit: LazyText         # the form's button
    sent: LazyText           # the confirmation's heading
    due: LazyText            # the tracking page's label of the date it should be done by
    photos: bool = True      # the form asks for photos
    place: bool = True       # the form may ask for a place (when the type requires one)
    template: str = "public/report.html"


KIND_TEXTS: dict[str, KindTexts] = {
    "report": KindTexts(
        group=_l("Problem reports and complaints"),
        about=_l("Something broken or dangerous in the area: send a photo and the place, and "
                 "follow it until it is fixed"),
        details=_l("Details"), placeholder=_l("What happened, exactly where, since when"),
        submit=_l("Send report"), sent=_l("Your report was sent"),
        due=_l("Expected completion")),
    "information": KindTexts(
        group=_l("Request official information"),
        about=_l("Ask for documents or information the office holds (Official Information "
                 "Act B.E. 2540), answered within a set number of days"),
        details=_l("The information you want"),
        placeholder=_l("e.g. the budget and contract of the road repair in village 3, "
                       "fiscal year 2568"),
        submit=_l("Send request"), sent=_l("Your information request was sent"),
        due=_l("Answer due by"), photos=False, place=False,
        template="public/form_information.html"),
    "appointment": KindTexts(
        group=_l("Appointments and bookings"),
        about=_l("Book a time at a counter, the hall or a meeting room"),
        details=_l("What the appointment is for"),
        placeholder=_l("e.g. to register a birth, or the meeting the room is for"),
        submit=_l("Send the booking"), sent=_l("Your booking was sent"),
        due=_l("Expected answer"), photos=False, place=False),
    "proposal": KindTexts(
        group=_l("Proposals for the development plan"),
        about=_l("Propose a project for your village to be taken into the local development "
                 "plan"),
        details=_l("Your proposal"),
        placeholder=_l("What your village needs, where, and who would benefit"),
        submit=_l("Send proposal"), sent=_l("Your proposal was sent"),
        due=_l("Expected answer")),
    "registration": KindTexts(
        group=_l("Registrations"),
        about=_l("Register for an allowance or a service, with the documents it needs"),
        details=_l("About your registration"),
        placeholder=_l("Anything the office should know about your registration"),
        submit=_l("Send registration"), sent=_l("Your application was sent"),
        due=_l("Expected answer"), photos=False, place=False),
    "payment": KindTexts(
        group=_l("Payments"),
        about=_l("Send the slip of a fee or tax you paid and get a receipt"),
        details=_l("What you paid for"),
        placeholder=_l("e.g. the garbage fee of house 12/3 for October"),
        submit=_l("Send payment"), sent=_l("Your payment was sent"),
        due=_l("Receipt expected by"), photos=False, place=False),
}
assert set(KIND_TEXTS) == set(CASE_KINDS)  # every kind says what it is


def texts(category: Category) -> KindTexts:
    return KIND_TEXTS[category.kind]


def asks_place(category: Category) -> bool:
    """Whether the type's form asks where (and the intake requires it)."""
    return category.location_required and texts(category).place


def asks_photos(category: Category) -> bool:
    return texts(category).photos


def responsible(category: Category, organization: Organization) -> tuple[str | None, str | None]:
    """(name, phone) of who answers for the type, shown on its form and confirmation (seed
    003): the type's own contact (/admin/types), else its department's officer and the
    office's phone."""
    officer = category.department.officer
    name = category.contact_name or (officer.display_name if officer else None)
    return name or None, category.contact_phone or organization.phone


def grouped(categories: list[Category]) -> list[tuple[str, KindTexts, list[Category]]]:
    """The types by kind, in CASE_KINDS' order (problem reports first), each kind once."""
    groups = [(kind, KIND_TEXTS[kind], [c for c in categories if c.kind == kind])
              for kind in CASE_KINDS]
    return [group for group in groups if group[2]]
