"""The approved applications of a registration type for a fiscal year as an Excel workbook:
the list the department pays the allowance from, so the numbers are whole (ID number and
account as text, so Excel keeps their leading zeros). Served to the type's department and
the admins only (views/registrations.py), never cached."""
import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.i18n import LOCAL_TZ, _, current_language, localized
from mapdash.models import Category, Incident, IncidentEvent, Organization, Registration
from mapdash.registrations import rules
from mapdash.registrations.applications import bank_name

BOLD = Font(bold=True)
TEXT = "@"
DATE = "yyyy-mm-dd"


def approved(session: Session, category: Category, year: int) -> list[tuple]:
    """(case, registration, approved at) of the type's approved applications of `year`, in
    the order they were made."""
    approved_at = (select(IncidentEvent.created_at).where(
        IncidentEvent.incident_id == Incident.id, IncidentEvent.action == "resolve")
        .order_by(IncidentEvent.id.desc()).limit(1).scalar_subquery())
    return list(session.execute(
        select(Incident, Registration, approved_at)
        .join(Registration, Registration.incident_id == Incident.id)
        .where(Incident.category_id == category.id, Registration.fiscal_year == year,
               Incident.status == "resolved")
        .order_by(Incident.created_at, Incident.id)).all())


def approved_workbook(session: Session, category: Category, year: int, now: datetime) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Approved %(year)s", year=year))
    for column, width in zip("ABCDEFGHIJKLMN", (6, 12, 28, 20, 12, 8, 8, 22, 30, 14, 26, 18, 28,
                                                12), strict=True):
        sheet.column_dimensions[column].width = width
    organization = session.get_one(Organization, category.organization_id)

    def cell(value, number_format=None, bold=False):
        made = WriteOnlyCell(sheet, value=value)
        if number_format:
            made.number_format = number_format
        if bold:
            made.font = BOLD
        return made

    sheet.append([cell(_("%(type)s: approved applications, fiscal year %(year)s",
                         type=localized(category), year=year), bold=True)])
    sheet.append([localized(organization)])
    sheet.append([_("As they stand on"), cell(now.astimezone(LOCAL_TZ).replace(tzinfo=None),
                                              "yyyy-mm-dd hh:mm")])
    sheet.append([])
    end = rules.fiscal_year_end(year)
    sheet.append([cell(text, bold=True) for text in (
        _("No."), _("Tracking code"), _("Full name"), _("ID card number"), _("Birth date"),
        _("Age on %(day)s", day=rules.thai_date(end)), _("Village no."), _("Village"),
        _("Address"), _("Phone"), _("Bank"), _("Account number"), _("Account name"),
        _("Approved on"))])
    lang = current_language()
    for number, (incident, registration, approved_at) in enumerate(
            approved(session, category, year), start=1):
        village = registration.village
        sheet.append([
            number, incident.tracking_code, registration.full_name,
            cell(rules.format_national_id(registration.national_id), TEXT),
            cell(registration.birth_date, DATE), rules.age_on(registration.birth_date, end),
            village.number if village else None, localized(village) if village else None,
            registration.address, cell(registration.phone, TEXT),
            bank_name(registration.bank, lang), cell(registration.account_number, TEXT),
            registration.account_name,
            cell(approved_at.astimezone(LOCAL_TZ).date() if approved_at else None, DATE)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
