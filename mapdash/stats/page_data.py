"""What the statistics page, the report and the workbook show of the figures: the names of
villages, types and departments, the tables' rows, the month chart's bars, the filter's
choices, the map's data, and the figures written out (durations, shares)."""
import json
from dataclasses import dataclass
from functools import partial

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.i18n import _, current_language, localized, village_label
from mapdash.maps import geo
from mapdash.models import Category, Department, Organization, User, Village
from mapdash.stats.figures import ORGANIZATION, Figures, Row, StatsFilter, months_in_order, province_members
from mapdash.stats.period import FISCAL_MONTHS, fiscal_year_of, month_name, month_start
from mapdash.vocabulary import CHANNEL_LABELS


@dataclass(frozen=True)
class Names:
    villages: dict[int, Village]
    types: dict[int, Category]
    departments: dict[int, Department]
    # the organizations counted, in the order of the filter (a province's: by name)
    organizations: dict[int, Organization]


def names(session: Session, f: StatsFilter) -> Names:
    """The names of what the filter's cases belong to, in every organization it counts."""
    ids = list(f.organizations)

    def by_id(model, *order):
        return {item.id: item for item in session.scalars(
            select(model).where(model.organization_id.in_(ids)).order_by(*order))}
    found = {org.id: org for org in session.scalars(
        select(Organization).where(Organization.id.in_(ids)))}
    return Names(by_id(Village, Village.number, Village.organization_id),
                 by_id(Category, Category.sort_order, Category.organization_id),
                 by_id(Department, Department.code, Department.organization_id),
                 {org_id: found[org_id] for org_id in ids if org_id in found})


def duration_text(minutes: float | None) -> str:
    """'45 min', '3 h 20 min', '2 d 4 h' in the reader's language; '–' when nothing to measure."""
    if minutes is None:
        return "–"
    total = round(minutes)
    if total < 60:
        return _("%(m)s min", m=total)
    hours, mins = divmod(total, 60)
    if hours < 48:
        return _("%(h)s h %(m)s min", h=hours, m=mins)
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h", d=days, h=hours)


def share_text(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def stars_text(stars: float | None) -> str:
    return "–" if stars is None else f"{stars:.2f}"


def label_of(breakdown: str, key, n: Names) -> str:
    """A group's name; a village, type or department with its organization's when the
    figures count several (each has its own)."""
    label = _label(breakdown, key, n)
    if len(n.organizations) > 1 and breakdown in ("village", "type", "department"):
        items: dict[str, dict] = {"village": n.villages, "type": n.types,
                                  "department": n.departments}
        item = items[breakdown].get(key)
        if item is not None and item.organization_id in n.organizations:
            return f"{label} · {localized(n.organizations[item.organization_id])}"
    return label


def _label(breakdown: str, key, n: Names) -> str:
    if breakdown == ORGANIZATION:
        return localized(n.organizations[key]) if key in n.organizations else str(key)
    if breakdown == "month":
        return month_name(key)
    if breakdown == "village":
        return _("Outside every village") if key is None or key not in n.villages \
            else str(village_label(n.villages[key]))
    if breakdown == "type":
        return localized(n.types[key]) if key in n.types else str(key)
    if breakdown == "department":
        return localized(n.departments[key]) if key in n.departments else str(key)
    return str(CHANNEL_LABELS.get(key, key))


def _order(breakdown: str, key, n: Names):
    """Villages by number (outside last), types by their order, the rest as they come."""
    if breakdown == "village":
        return (1, 0) if key is None or key not in n.villages else (0, n.villages[key].number)
    if breakdown == "type":
        return list(n.types).index(key) if key in n.types else len(n.types)
    if breakdown == "department":
        return list(n.departments).index(key) if key in n.departments else len(n.departments)
    if breakdown == ORGANIZATION:
        return list(n.organizations).index(key) if key in n.organizations \
            else len(n.organizations)
    if breakdown == "channel":
        return list(CHANNEL_LABELS).index(key) if key in CHANNEL_LABELS else len(CHANNEL_LABELS)
    return key


def tables(figures: Figures, n: Names) -> dict[str, list[tuple[str, Row]]]:
    """Each breakdown's (label, figures) rows in order; months: every month of the period,
    organizations: every one counted (both with zeros when without cases)."""
    rows: dict[str, list[tuple[str, Row]]] = {
        "month": [(month_name(month), row) for month, row in months_in_order(figures)]}
    for breakdown in figures.filter.breakdowns[1:]:
        found = figures.by[breakdown]
        if breakdown == ORGANIZATION:
            found = {key: found.get(key, Row()) for key in (*n.organizations, *found)}
        keys = sorted(found, key=partial(_order, breakdown, n=n))
        rows[breakdown] = [(label_of(breakdown, key, n), found[key]) for key in keys]
    return rows


@dataclass(frozen=True)
class Bar:
    label: str
    received: int
    resolved: int


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    top: int            # the axis's top value
    ticks: list[int]    # the axis's marked values


def month_chart(figures: Figures) -> Chart:
    bars = [Bar(month_name(month, short=True), row.received, row.resolved)
            for month, row in months_in_order(figures)]
    top = _nice_top(max((bar.received for bar in bars), default=0))
    step = top // 4
    return Chart(bars, top, [step * i for i in range(5)])


def _nice_top(value: int) -> int:
    """The smallest of 4, 8, 20, 40, 80, 200... (a multiple of 4) that is ≥ value."""
    top = 4
    while top < value:
        top = top * 2 if str(top)[0] in "24" else top * 5 // 2
    return top


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def choices(session: Session, user: User, f: StatsFilter, this_year: int,
            counted: Names) -> dict[str, list[Choice]]:
    """The filter's options: fiscal years (from the first case's to this one), the parts of a
    year, a province's organizations, villages, types, departments (an officer: their own
    only; of one organization only: none while a province's figures count several) and
    channels. `counted`: the names of what the figures count (names())."""
    members = province_members(session, user)
    everyone = [user.organization_id, *(org.id for org in members)]
    # Each organization's first case from its index: min() over "= ANY(:orgs)" read them all.
    first = session.scalar(text(
        "SELECT min(f.created_at) FROM unnest(CAST(:orgs AS integer[])) AS o(id) "
        "CROSS JOIN LATERAL (SELECT created_at FROM incidents WHERE organization_id = o.id "
        "ORDER BY created_at LIMIT 1) f"), {"orgs": everyone})
    oldest = min(fiscal_year_of(first), this_year) if first else this_year
    n = counted if not f.several else Names({}, {}, {}, {})
    organizations = [Choice(str(user.organization_id), localized(user.organization))] + [
        Choice(str(org.id), localized(org)) for org in members] if members else []
    scope = geo.department_scope(user)
    years = [Choice(str(year), str(year))
             for year in range(this_year, oldest - 1, -1)]
    parts = [Choice("", _("The whole year"))]
    parts += [Choice(f"q{q}", _("Quarter %(quarter)s", quarter=q)) for q in range(1, 5)]
    parts += [Choice(f"m{month}", month_name(month_start(this_year, month)).split(" ")[0])
              for month in FISCAL_MONTHS]
    return {
        "years": years, "parts": parts, "organizations": organizations,
        "villages": [Choice(str(v.number), str(village_label(v))) for v in n.villages.values()],
        "types": [Choice(c.code, localized(c)) for c in n.types.values()],
        "departments": [Choice(d.code, localized(d)) for d in n.departments.values()
                        if not scope or d.id in scope],
        "channels": [Choice(code, str(label)) for code, label in CHANNEL_LABELS.items()],
    }


def map_data(session: Session, figures: Figures, n: Names) -> str:
    """The villages (GeoJSON, with their figures) and the heat map's cells, as JSON for the
    page's script (static/js/stats.js)."""
    outlines: dict[int, str] = dict(session.execute(text(
        "SELECT id, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.0001), 6) FROM villages "
        "WHERE organization_id = ANY(:orgs)"), {"orgs": list(figures.filter.organizations)}).all())
    by_village = figures.by["village"]
    features = []
    for village_id in n.villages:
        row = by_village.get(village_id, Row())
        features.append({"type": "Feature", "geometry": json.loads(outlines[village_id]),
                         "properties": {
                             "label": label_of("village", village_id, n), "received": row.received,
                             "still_open": row.still_open, "overdue": row.overdue,
                             "resolve_p50": duration_text(row.p50.get("resolve")),
                             "selected": figures.filter.village_id == village_id}})
    data = json.dumps({"villages": {"type": "FeatureCollection", "features": features},
                       "heat": figures.heat, "lang": current_language()}, ensure_ascii=False)
    # Safe inside <script type="application/json">, as i18n.script_catalogue_json.
    return data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
