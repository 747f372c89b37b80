"""The statistics page (/stats) for administrators, executives and officers (their
department's), and the same figures as a monthly report to print (PDF) and as a workbook."""
from datetime import UTC, datetime, timedelta
from typing import Annotated

from flask import Blueprint, make_response, render_template, request, url_for
from flask_login import current_user
from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.api.params import OUT_OF_RANGE, OneOf, Params, Refusal, accepts, whole_number
from mapdash.i18n import _l, format_date
from mapdash.maps import geo, leaflet
from mapdash.models import User
from mapdash.office.auth import role_required
from mapdash.stats import figures as stats
from mapdash.stats import page_data, report_pdf, workbook
from mapdash.stats.period import Period, fiscal_year_of
from mapdash.vocabulary import CHANNELS, STATS_ROLES

bp = Blueprint("stats", __name__, url_prefix="/stats")

# The fiscal years one may ask for (Buddhist Era): from before any case to far ahead.
FIRST_YEAR, LAST_YEAR = 2500, 2700


class StatsQuery(Params):
    fiscal_year: Annotated[int | None, Field(alias="year", ge=FIRST_YEAR, le=LAST_YEAR),
                           BeforeValidator(whole_number),
                           Refusal("bad_year", _l("The fiscal year must be a Buddhist Era year "
                                                  "from %(low)s to %(high)s", low=FIRST_YEAR,
                                                  high=LAST_YEAR))] = None
    # The part of the year: q1-q4 (the first quarter is October to December) or m1-m12 (a
    # calendar month); none: the whole year.
    part: Annotated[str | None, Field(pattern=r"^(q[1-4]|m([1-9]|1[0-2]))$"),
                    Refusal("bad_part", _l("Choose the whole year, a quarter or a month from "
                                           "the list"))] = None
    village: Annotated[int | None, Field(ge=1, le=2**31 - 1), BeforeValidator(whole_number),
                       Refusal("bad_village", _l("Unknown village number"),
                               when=OUT_OF_RANGE),
                       Refusal("bad_village", _l("Unknown village number"))] = None
    case_type: Annotated[str | None, Field(alias="type", max_length=100),
                         Refusal("bad_type", _l("Unknown case type"))] = None
    department: Annotated[str | None, Field(max_length=100),
                          Refusal("bad_department", _l("Unknown department"))] = None
    channel: Annotated[str | None, OneOf(CHANNELS),
                       Refusal("bad_channel", _l("Choose a channel from the list"))] = None
    # A province's admin or executive: one organization within the province (none: all).
    organization: Annotated[int | None, Field(ge=1, le=2**31 - 1),
                            BeforeValidator(whole_number),
                            Refusal("bad_organization", _l("Unknown organization"),
                                    when=OUT_OF_RANGE),
                            Refusal("bad_organization", _l("Unknown organization"))] = None

    def period(self) -> Period:
        year = self.fiscal_year or fiscal_year_of(datetime.now(UTC))
        if self.part is None:
            return Period(year)
        number = int(self.part[1:])
        return Period(year, quarter=number) if self.part[0] == "q" else Period(year, month=number)

    def stats_filter(self, session: Session, user: User) -> stats.StatsFilter:
        return stats.stats_filter(session, user, self.period(), village=self.village,
                                  case_type=self.case_type, department=self.department,
                                  channel=self.channel, organization=self.organization)


def _figures(query: StatsQuery) -> tuple[Session, stats.StatsFilter, datetime, stats.Figures]:
    """The reader's filter and its figures, "overdue" as of now: what the page, the report
    and the workbook each show."""
    session = db.session()
    f = query.stats_filter(session, current_user)
    now = datetime.now(UTC)
    return session, f, now, stats.compute(session, f, now)


@bp.get("")
@role_required(*STATS_ROLES)
@accepts(query=StatsQuery)
def index(query: StatsQuery):
    session, f, now, figures = _figures(query)
    # the map shows the one organization counted, else the viewer's (a province)
    org_id = f.organizations[0] if not f.several else current_user.organization_id
    counted_at = format_date(figures.counted_at, with_time=True) if figures.recounting else None
    names = page_data.names(session, f)
    fmap = leaflet.build_map(geo.organization_center(session, org_id), zoom=12)
    args: dict = request.args.to_dict()
    return render_template(
        "stats/index.html", figures=figures, names=names, query=query, f=f,
        rows=page_data.tables(figures, names), chart=page_data.month_chart(figures),
        choices=page_data.choices(session, current_user, f, fiscal_year_of(now), names),
        map=leaflet.embed(fmap), bounds=geo.organization_bounds(session, org_id),
        map_data=page_data.map_data(session, figures, names),
        officer=current_user.role == "officer", duration=page_data.duration_text,
        share=page_data.share_text, stars=page_data.stars_text,
        first_day=format_date(f.period.start), last_day=format_date(f.period.end - timedelta(days=1)),
        counted_at=counted_at, pdf_url=url_for(".report", **args),
        xlsx_url=url_for(".cases_workbook", **args))


@bp.get("/report.pdf")
@role_required(*STATS_ROLES)
@accepts(query=StatsQuery)
def report(query: StatsQuery):
    session, f, now, figures = _figures(query)
    pdf = report_pdf.monthly_report(session, figures, current_user, now)
    return _download(pdf, "application/pdf", f"mapdash-{f.period.slug}.pdf")


@bp.get("/report.xlsx")
@role_required(*STATS_ROLES)
@accepts(query=StatsQuery)
def cases_workbook(query: StatsQuery):
    session, f, now, figures = _figures(query)
    book = workbook.workbook(session, figures, figures.as_of(now))
    return _download(book, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"mapdash-{f.period.slug}.xlsx")


def _download(content: bytes, mimetype: str, filename: str):
    response = make_response(content)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
