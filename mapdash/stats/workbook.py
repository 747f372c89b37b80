"""The statistics as an Excel workbook (.xlsx): the figures of the period, a sheet per
breakdown, and the cases behind them with the columns of FixMyStreet's dashboard export that
apply here (id, type, village, created, accepted, resolved, closed, status, lat/lon, channel,
department, rating). Numbers are numbers and dates are dates (Thai time; Excel has no time
zones), so the office can sum and chart them. Nothing about the reporters: no names, contacts
or descriptions.

Written streaming (openpyxl's write-only mode): a fiscal year may hold many cases."""
import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.orm import Session

from mapdash.i18n import LOCAL_TZ, _, _p, localized
from mapdash.stats import page_data
from mapdash.stats.figures import MEASURES, STEPS, Figures, Row, case_lines
from mapdash.vocabulary import CHANNEL_LABELS, STATUS_LABELS

DATE_FORMAT = "yyyy-mm-dd hh:mm"
HOURS_FORMAT = "0.00"
SHARE_FORMAT = "0.0%"
BOLD = Font(bold=True)


def workbook(session: Session, figures: Figures, now: datetime) -> bytes:
    names = page_data.names(session, figures.filter)
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Summary"))
    summary.column_dimensions["A"].width = 42
    summary.column_dimensions["B"].width = 18
    _summary(summary, figures, now)
    tables = page_data.tables(figures, names)
    several = [("organization", _("Per organization"), _("Organization"))] \
        if figures.filter.several else []
    for key, title, first in (*several, ("month", _("Per month"), _("Month")),
                              ("village", _("Per village"), _("Village")),
                              ("type", _("Per case type"), _("Case type")),
                              ("department", _("Per department"), _("Department")),
                              ("channel", _("Per channel"), _("Channel"))):
        sheet = book.create_sheet(title)
        sheet.column_dimensions["A"].width = 32
        _breakdown(sheet, first, tables[key])
    _cases(book.create_sheet(_("Cases")), session, figures, names)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet: WriteOnlyWorksheet, value, number_format: str | None = None, bold=False):
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = BOLD
    return cell


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 4)


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


def _summary(sheet, figures: Figures, now: datetime) -> None:
    f, t = figures.filter, figures.total
    sheet.append([_cell(sheet, _("Service report: %(period)s", period=f.period.label), bold=True)])
    sheet.append([_("From"), _cell(sheet, f.period.start.replace(tzinfo=None), "yyyy-mm-dd")])
    sheet.append([_("Until (not included)"), _cell(sheet, f.period.end.replace(tzinfo=None),
                                                  "yyyy-mm-dd")])
    sheet.append([_("As they stand on"), _cell(sheet, _local(now), DATE_FORMAT)])
    sheet.append([])
    for label, value in ((_p("stats", "Received"), t.received), (_("Accepted"), t.accepted),
                         (_("Resolved"), t.resolved), (_("Rejected"), t.rejected),
                         (_("Still open"), t.still_open), (_("Overdue now"), t.overdue)):
        sheet.append([label, value])
    sheet.append([])
    for measure, what in zip(MEASURES, (_("to accept"), _("to assign"), _("to resolve")),
                             strict=True):
        sheet.append([_("Median %(what)s (hours)", what=what),
                      _cell(sheet, _hours(t.p50[measure]), HOURS_FORMAT)])
        sheet.append([_("90%% %(what)s (hours)", what=what),
                      _cell(sheet, _hours(t.p90[measure]), HOURS_FORMAT)])
    for step, label in zip(STEPS, _step_labels(), strict=True):
        sheet.append([_("Within limit: %(step)s", step=label),
                      _cell(sheet, t.within_share(step), SHARE_FORMAT)])
    sheet.append([])
    sheet.append([_("Average rating (1–5 stars)"), _cell(sheet, t.average_stars, "0.00")])
    sheet.append([_("Cases rated"), t.rated])
    sheet.append([_("Reopened"), _cell(sheet, t.reopened_share, SHARE_FORMAT)])
    sheet.append([_("Cases reopened"), t.reopened])


def _step_labels() -> tuple[str, str, str]:
    return _("Intake and check"), _("Inform, print, set the status"), _("The work")


def _breakdown(sheet, first: str, rows: list[tuple[str, Row]]) -> None:
    header = [first, _p("stats", "Received"), _("Accepted"), _("Resolved"), _("Rejected"), _("Still open"),
              _("Overdue now")]
    for what in (_("to accept"), _("to assign"), _("to resolve")):
        header += [_("Median %(what)s (hours)", what=what), _("90%% %(what)s (hours)", what=what)]
    header += [_("Within limit: %(step)s", step=label) for label in _step_labels()]
    header += [_("Average rating"), _("Cases rated"), _("Cases reopened")]
    sheet.append([_cell(sheet, text, bold=True) for text in header])
    for label, row in rows:
        line = [label, row.received, row.accepted, row.resolved, row.rejected, row.still_open,
                row.overdue]
        for measure in MEASURES:
            line += [_cell(sheet, _hours(row.p50.get(measure)), HOURS_FORMAT),
                     _cell(sheet, _hours(row.p90.get(measure)), HOURS_FORMAT)]
        line += [_cell(sheet, row.within_share(step), SHARE_FORMAT) for step in STEPS]
        line += [_cell(sheet, row.average_stars, "0.00"), row.rated, row.reopened]
        sheet.append(line)


def _cases(sheet, session: Session, figures: Figures, names) -> None:
    """The cases, with the organization of each when the figures count several."""
    several = figures.filter.several
    widths = (10, *((30,) if several else ()), 26, 8, 24, 17, 17, 17, 17, 17, 18, 11, 11, 16,
              26, 8, 8)
    for column, width in zip("ABCDEFGHIJKLMNOPQ", widths, strict=False):
        sheet.column_dimensions[column].width = width
    sheet.append([_cell(sheet, text, bold=True) for text in (
        _("Case id"), *((_("Organization"),) if several else ()), _("Case type"),
        _("Village no."), _("Village"), _("Created"),
        _("Accepted"), _("Assigned"), _("Resolved"), _("Closed"), _("Status"), _("Latitude"),
        _("Longitude"), _("Channel"), _("Department"), _("Rating"), _("Times reopened"))])
    for case in case_lines(session, figures.filter):
        sheet.append([
            case.id, *((localized(case, "organization"),) if several else ()),
            localized(case, "type"), case.village_number,
            localized(case, "village") if case.village_th else None,
            *(_cell(sheet, _local(moment), DATE_FORMAT) for moment in (
                case.created_at, case.accepted_at, case.assigned_at, case.resolved_at,
                case.closed_at)),
            str(STATUS_LABELS[case.status]), case.lat, case.lon,
            str(CHANNEL_LABELS.get(case.channel, case.channel)), localized(case, "department"),
            case.stars, case.reopen_count])
