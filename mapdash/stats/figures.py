"""The figures of the statistics, for the cases reported in a period (their state now):

- received, accepted (ever accepted by staff), resolved, rejected, still open, overdue now;
- the median and 90th percentile of the time from the report to the first acceptance, to the
  first assignment and to the resolution (of the cases that got there);
- per step of seed 001's service clock (workflow.CLOCK_STEPS), the share of the cases that went
  through it within the limit their case kept (intake: report to acceptance; preparing:
  acceptance to assignment; the work: assignment to resolution);
- satisfaction: the average of the citizens' stars, how many rated, the share reopened;

for every case of the filter, and per month, village, case type, department and channel, in
one scan (GROUPING SETS); and where the cases were reported, counted on a grid for the heat
map. The times of acceptance and assignment come from case_milestones (sql/021), which a
trigger keeps from the events.

Counted once and kept (stats_cache): a fiscal year of a million cases is counted in seconds,
read back in milliseconds. Kept figures go out of date when a case of the period changes
(stats_changes, kept by triggers: sql/021, sql/026) or when an open case crosses the limit
of its step (the kept "overdue now" says until when it is exact). Out-of-date figures are
still shown at once, marked as being recounted, and the notification worker recounts them
(recount_one, most recently viewed first); only a filter never counted is counted on the
request.

An officer's figures are their department's (geo.department_scope). A province's admin or
executive sees the organizations within the province (province_members) and the province's own
cases, all together with a table per organization, or one of them."""
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mapdash.cases.workflow import CLOCK_STEPS
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.maps import geo
from mapdash.models import Category, Department, Organization, StatsCache, User, Village
from mapdash.stats.period import Period

STEPS = tuple(CLOCK_STEPS)  # intake, prepare, work
# The status whose limit is each step's (workflow.STEP_OF_STATUS), in geo.limits_by_set.
_STATUS_OF_STEP = {"intake": "new", "prepare": "accepted", "work": "assigned"}
MEASURES = ("accept", "assign", "resolve")
BREAKDOWNS = ("month", "village", "type", "department", "channel")
# ... and per organization when the figures count several (a province's).
ORGANIZATION = "organization"
_KEYS = {"month": "month", "village": "village_id", "type": "category_id",
         "department": "department_id", "channel": "channel", ORGANIZATION: "organization_id"}
# Who of a province sees the organizations within it (an officer: their department only).
PROVINCE_ROLES = ("admin", "executive")
# The heat map's cells, in degrees (about 220 m north-south).
HEAT_CELL = 0.002
# A view marks its kept figures as read (the worker recounts the most recently viewed first)
# at most this often, and the worker recounts only figures viewed within RECOUNT_VIEWED_WITHIN
# (older ones are recounted after their next view).
VIEWED_GRAIN = timedelta(minutes=1)
RECOUNT_VIEWED_WITHIN = timedelta(days=2)


@dataclass(frozen=True)
class StatsFilter:
    organization_id: int  # the viewer's, who keeps the figures (stats_cache)
    period: Period
    village_id: int | None = None
    category_id: int | None = None
    department_id: int | None = None
    channel: str | None = None
    # the organizations whose cases are counted, when not the viewer's own alone (a province)
    organization_ids: tuple[int, ...] = ()

    @property
    def organizations(self) -> tuple[int, ...]:
        return self.organization_ids or (self.organization_id,)

    @property
    def several(self) -> bool:
        return len(self.organizations) > 1

    @property
    def breakdowns(self) -> tuple[str, ...]:
        return (*BREAKDOWNS, ORGANIZATION) if self.several else BREAKDOWNS


@dataclass
class Row:
    """The figures of one group of cases (all of them, one month, one village...)."""
    received: int = 0
    accepted: int = 0
    resolved: int = 0
    rejected: int = 0
    still_open: int = 0
    overdue: int = 0
    # minutes, None when no case got there
    p50: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(MEASURES))
    p90: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(MEASURES))
    # step -> (within the limit, went through the step)
    within: dict[str, tuple[int, int]] = field(
        default_factory=lambda: dict.fromkeys(STEPS, (0, 0)))
    average_stars: float | None = None
    rated: int = 0
    reopened: int = 0

    def within_share(self, step: str) -> float | None:
        ok, measured = self.within[step]
        return ok / measured if measured else None

    @property
    def reopened_share(self) -> float | None:
        return self.reopened / self.received if self.received else None


@dataclass
class Figures:
    filter: StatsFilter
    total: Row
    # breakdown -> {key: Row}; keys: a month's first day, a village/type/department id (None:
    # a case outside every village), a channel
    by: dict[str, dict] = field(default_factory=dict)
    heat: list[tuple[float, float, int]] = field(default_factory=list)  # lon, lat, cases
    # when the figures were counted; `recounting`: out of date since, shown until the worker
    # has counted them again
    counted_at: datetime | None = None
    recounting: bool = False

    def as_of(self, now: datetime) -> datetime:
        """The moment the figures describe: `now` when up to date, else when counted."""
        return self.counted_at if self.recounting and self.counted_at else now


def province_members(session: Session, user: User) -> list[Organization]:
    """The organizations a province's admin or executive sees besides their own, by name:
    those whose boundary has its point on the surface inside the province (a tambon on the
    province's border, or slightly over it, is not lost); none for anyone else."""
    own = user.organization
    if own.kind != "province" or user.role not in PROVINCE_ROLES:
        return []
    return list(session.scalars(select(Organization).from_statement(text("""
        SELECT o.* FROM organizations o JOIN organizations p ON p.id = :province
        WHERE o.id <> p.id AND o.kind <> 'province'
          AND ST_Covers(p.boundary, ST_PointOnSurface(o.boundary))
        ORDER BY o.name_th, o.id""")).params(province=own.id)))


def stats_filter(session: Session, user: User, period: Period, *, village: int | None = None,
                 case_type: str | None = None, department: str | None = None,
                 channel: str | None = None, organization: int | None = None) -> StatsFilter:
    """The filter's choices checked against the user's organization and narrowed to what the
    user may see: an officer their department's cases; a province's admin or executive the
    organizations within the province (all, or the one chosen). Villages, types and
    departments belong to one organization: they narrow the figures of one only."""
    own = user.organization_id
    members = [member.id for member in province_members(session, user)]
    if organization is not None and organization not in (own, *members):
        refusal = (_l("You see the figures of your province and the organizations within it "
                      "only") if members else _l("You see the figures of your own organization "
                                                 "only"))
        raise UserError("other_organization", refusal, field="organization", status=403)
    organizations = (organization,) if organization is not None else (own, *members)
    org = organizations[0]
    village_id = category_id = department_id = None
    if len(organizations) > 1 and any(
            value is not None for value in (village, case_type, department)):
        raise UserError("choose_organization",
                        _l("Choose an organization to see one village, case type or "
                           "department"), field="organization")
    if village is not None:
        village_id = session.scalar(select(Village.id).where(
            Village.organization_id == org, Village.number == village))
        if village_id is None:
            raise UserError("bad_village", _l("%(what)s: %(values)s",
                                              what=_l("Unknown village number"), values=village),
                            field="village")
    if case_type is not None:
        category_id = session.scalar(select(Category.id).where(
            Category.organization_id == org, Category.code == case_type))
        if category_id is None:
            raise UserError("bad_type", _l("%(what)s: %(values)s", what=_l("Unknown case type"),
                                           values=case_type), field="type")
    if department is not None:
        department_id = session.scalar(select(Department.id).where(
            Department.organization_id == org, Department.code == department))
        if department_id is None:
            raise UserError("bad_department", _l("%(what)s: %(values)s",
                                                 what=_l("Unknown department"), values=department),
                            field="department")
    scope = geo.department_scope(user)
    if scope:
        if department_id is not None and department_id not in scope:
            raise UserError("other_department",
                            _l("Officers see only their own department's cases"),
                            field="department", status=403)
        department_id = scope[0]
    return StatsFilter(own, period, village_id, category_id, department_id, channel,
                       () if organizations == (own,) else organizations)


def _where(f: StatsFilter) -> tuple[str, dict]:
    """The cases of the filter: constant clauses, every value a bound parameter."""
    clauses = ["i.organization_id = ANY(:orgs)", "i.created_at >= :start",
               "i.created_at < :end"]
    params: dict = {"orgs": list(f.organizations), "start": f.period.start, "end": f.period.end}
    for clause, key, value in (("i.village_id = :village", "village", f.village_id),
                               ("i.category_id = :category", "category", f.category_id),
                               ("i.department_id = :department", "department", f.department_id),
                               ("i.channel = :channel", "channel", f.channel)):
        if value is not None:
            clauses.append(clause)
            params[key] = value
    return " AND ".join(clauses), params


def _limit(step: str) -> str:
    """The case's limit of a step, as an interval (its own set of limits, geo.limits_by_set)."""
    status = _STATUS_OF_STEP[step]
    return ("make_interval(mins => (CAST(:limits AS jsonb) -> i.time_limits_id::text "
            f"->> '{status}')::integer)")


_MONTH = "date_trunc('month', i.created_at AT TIME ZONE 'Asia/Bangkok')::date"


def _grouping(f: StatsFilter) -> tuple[str, str]:
    """The grouped columns (each with whether it is grouped) and the GROUPING SETS of the
    filter's breakdowns."""
    columns = [_KEYS[name] for name in f.breakdowns]
    flags = ", ".join(f"GROUPING({_KEYS[name]}) AS g_{name}" for name in f.breakdowns)
    sets = ", ".join(f"({column})" for column in columns)
    return f"{flags}, {', '.join(columns)}", f"GROUPING SETS ((), {sets})"


def figures_sql(f: StatsFilter) -> tuple[str, dict]:
    """The one query of every figure and breakdown, and its parameters (also for the bench)."""
    where, params = _where(f)
    columns, sets = _grouping(f)
    minutes = "extract(epoch FROM {} - i.created_at) / 60"
    quantiles = ",\n".join(
        f"percentile_cont({q}) WITHIN GROUP (ORDER BY to_{m}) AS {m}_p{int(q * 100)}"
        for m in MEASURES for q in (0.5, 0.9))
    within = ",\n".join(f"count({s}_ok) AS {s}_measured, count(*) FILTER (WHERE {s}_ok) AS {s}_ok"
                        for s in STEPS)
    sql = f"""
        WITH c AS (
            SELECT {_MONTH} AS month, i.organization_id,
                   i.village_id, i.category_id, i.department_id, i.channel, i.status, i.is_open,
                   i.reopen_count, r.stars,
                   {minutes.format("m.accepted_at")} AS to_accept,
                   {minutes.format("m.assigned_at")} AS to_assign,
                   CASE WHEN i.status = 'resolved' THEN {minutes.format("i.closed_at")} END
                       AS to_resolve,
                   m.accepted_at - i.created_at <= {_limit("intake")} AS intake_ok,
                   m.assigned_at - m.accepted_at <= {_limit("prepare")} AS prepare_ok,
                   CASE WHEN i.status = 'resolved'
                        THEN i.closed_at - m.assigned_at <= {_limit("work")} END AS work_ok
            FROM incidents i
            LEFT JOIN case_milestones m ON m.incident_id = i.id
            LEFT JOIN case_ratings r ON r.incident_id = i.id
            WHERE {where})
        SELECT {columns},
               count(*) AS received, count(to_accept) AS accepted,
               count(*) FILTER (WHERE status = 'resolved') AS resolved,
               count(*) FILTER (WHERE status = 'rejected') AS rejected,
               count(*) FILTER (WHERE is_open) AS still_open,
               {quantiles},
               {within},
               avg(stars)::float AS average_stars, count(stars) AS rated,
               count(*) FILTER (WHERE reopen_count > 0) AS reopened
        FROM c
        GROUP BY {sets}"""  # noqa: S608 - constant fragments, bound values
    return sql, params


def overdue_sql(f: StatsFilter) -> tuple[str, dict]:
    """The open cases past their due time at :now (incidents.due_at: the limit of the step
    they wait in, an information request's last day; never without a limit), grouped as the
    figures, and the earliest due time still ahead (until when these counts hold while no
    case changes), from the open cases alone (a partial index)."""
    where, params = _where(f)
    columns, sets = _grouping(f)
    sql = f"""
        SELECT {columns}, count(*) FILTER (WHERE deadline < :now) AS overdue,
               min(deadline) FILTER (WHERE deadline >= :now) AS until
        FROM (SELECT {_MONTH} AS month, i.organization_id, i.village_id, i.category_id,
                     i.department_id, i.channel, i.due_at AS deadline
              FROM incidents i
              WHERE {where} AND i.is_open) c
        GROUP BY {sets}"""  # noqa: S608 - constant fragments, bound values
    return sql, params


def heat_sql(f: StatsFilter) -> tuple[str, dict]:
    where, params = _where(f)
    sql = f"""
        SELECT round(ST_X(i.location) / :cell) * :cell AS lon,
               round(ST_Y(i.location) / :cell) * :cell AS lat, count(*) AS cases
        FROM incidents i
        WHERE {where} AND i.location IS NOT NULL
        GROUP BY 1, 2"""  # noqa: S608 - constant fragments, bound values
    return sql, {**params, "cell": HEAT_CELL}


def _row(record) -> Row:
    return Row(
        received=record.received, accepted=record.accepted, resolved=record.resolved,
        rejected=record.rejected, still_open=record.still_open,
        p50={m: getattr(record, f"{m}_p50") for m in MEASURES},
        p90={m: getattr(record, f"{m}_p90") for m in MEASURES},
        within={s: (getattr(record, f"{s}_ok"), getattr(record, f"{s}_measured")) for s in STEPS},
        average_stars=record.average_stars, rated=record.rated, reopened=record.reopened)


def _groups(session: Session, f: StatsFilter, sql: str, params: dict):
    """(breakdown or None for all the cases, its key, the record) of a GROUPING SETS query."""
    for record in session.execute(text(sql), params):
        groups = [name for name in f.breakdowns if getattr(record, f"g_{name}") == 0]
        if not groups:
            yield None, None, record
        else:
            [name] = groups
            yield name, getattr(record, _KEYS[name]), record


def _count(session: Session, f: StatsFilter) -> Figures:
    """Every figure but "overdue now", counted over the cases."""
    sql, params = figures_sql(f)
    params["limits"] = geo.limits_by_set(session)
    # A year's cases are sorted once per breakdown for the percentiles: in memory, and not
    # worth compiling (JIT) for one run.
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    session.execute(text("SET LOCAL jit = off"))
    figures = Figures(f, Row(), {name: {} for name in f.breakdowns})
    for name, key, record in _groups(session, f, sql, params):
        if name is None:
            figures.total = _row(record)
        else:
            figures.by[name][key] = _row(record)
    sql, params = heat_sql(f)
    figures.heat = [(float(lon), float(lat), cases)
                    for lon, lat, cases in session.execute(text(sql), params)]
    return figures


def filter_key(f: StatsFilter) -> str:
    """The kept figures' key; the organizations counted are added when not the viewer's own
    alone (a province's: all those within it, or the one chosen)."""
    p = f.period
    parts = [p.fiscal_year, p.quarter, p.month, f.village_id, f.category_id, f.department_id,
             f.channel]
    if f.organization_ids:
        parts.append(",".join(map(str, f.organization_ids)))
    return "|".join(str(part if part is not None else "") for part in parts)


def _latest_change(session: Session, f: StatsFilter) -> datetime | None:
    first, last = f.period.months[0], f.period.months[-1]
    return session.scalar(text(
        "SELECT max(changed_at) FROM stats_changes WHERE organization_id = ANY(:orgs) "
        "AND month BETWEEN :first AND :last"), {"orgs": list(f.organizations), "first": first,
                                                 "last": last})


def out_of_date(kept_change: datetime | None, overdue_until: datetime | None,
                latest_change: datetime | None, now: datetime) -> bool:
    """Kept figures no longer hold at `now`: a case of the period changed since they were
    counted, or an open case has crossed a limit since (overdue_until passed)."""
    return kept_change != latest_change or (overdue_until is not None and now > overdue_until)


def compute(session: Session, f: StatsFilter, now: datetime | None = None) -> Figures:
    """The figures of the filter, "overdue now" at `now` (default: the present).

    Kept figures are returned at once, marked `recounting` when out of date (the worker
    recounts them: recount_one); a filter never counted is counted here and kept."""
    now = now or datetime.now(UTC)
    kept = session.execute(select(
        StatsCache.changed_at, StatsCache.figures, StatsCache.overdue, StatsCache.overdue_until,
        StatsCache.computed_at, StatsCache.viewed_at).where(
        StatsCache.organization_id == f.organization_id,
        StatsCache.filter_key == filter_key(f))).first()
    if kept is None:
        return recount_one(session, f, now)
    figures = _from_json(f, kept.figures)
    _apply_overdue(figures, kept.overdue)
    figures.counted_at = kept.computed_at
    figures.recounting = out_of_date(kept.changed_at, kept.overdue_until,
                                     _latest_change(session, f), now)
    if kept.viewed_at < now - VIEWED_GRAIN:
        with Session(session.get_bind()) as keeper:
            keeper.execute(update(StatsCache).where(
                StatsCache.organization_id == f.organization_id,
                StatsCache.filter_key == filter_key(f)).values(viewed_at=now))
            keeper.commit()
    return figures


def recount_one(session: Session, f: StatsFilter, now: datetime) -> Figures:
    """Count the figures of the filter, "overdue now" at `now`, and keep them; when only
    "overdue now" went out of date (no case of the period changed), only it is counted.

    The period's latest change is read before counting: a change committed meanwhile leaves
    the kept figures marked older than it, so they are counted again."""
    changed_at = _latest_change(session, f)
    kept = session.execute(select(StatsCache.changed_at, StatsCache.figures).where(
        StatsCache.organization_id == f.organization_id,
        StatsCache.filter_key == filter_key(f))).first()
    if kept is not None and kept.changed_at == changed_at:
        figures = _from_json(f, kept.figures)
    else:
        figures = _count(session, f)
    sql, params = overdue_sql(f)
    params["now"] = now
    overdue: dict = {"total": 0, "by": {name: [] for name in f.breakdowns}}
    until = None
    for name, group, record in _groups(session, f, sql, params):
        if name is None:
            overdue["total"], until = record.overdue, record.until
        elif record.overdue:
            overdue["by"][name].append([_key_to_json(name, group), record.overdue])
    _apply_overdue(figures, overdue)
    figures.counted_at = now
    values = {"changed_at": changed_at, "figures": _to_json(figures), "overdue": overdue,
              "overdue_until": until, "computed_at": now, "viewed_at": now}
    # Kept in a transaction of its own: the reader's session may be rolled back.
    with Session(session.get_bind()) as keeper:
        keeper.execute(insert(StatsCache).values(
            organization_id=f.organization_id, filter_key=filter_key(f),
            organization_ids=list(f.organizations), first_month=f.period.months[0],
            last_month=f.period.months[-1],
            **values).on_conflict_do_update(
            index_elements=["organization_id", "filter_key"],
            set_={**values, "viewed_at": func.greatest(StatsCache.viewed_at, now)}))
        keeper.commit()
    return figures


def kept_out_of_date(session: Session, now: datetime, limit: int) -> list[StatsFilter]:
    """The kept figures out of date at `now` and viewed lately, most recently viewed first:
    what the worker recounts."""
    rows = session.execute(text("""
        SELECT c.organization_id, c.filter_key
        FROM stats_cache c
        WHERE c.viewed_at > :viewed_since
          AND (c.overdue_until < :now OR c.changed_at IS DISTINCT FROM (
                SELECT max(s.changed_at) FROM stats_changes s
                WHERE s.organization_id = ANY(c.organization_ids)
                  AND s.month BETWEEN c.first_month AND c.last_month))
        ORDER BY c.viewed_at DESC, c.organization_id, c.filter_key
        LIMIT :limit"""), {"now": now, "viewed_since": now - RECOUNT_VIEWED_WITHIN,
                           "limit": limit}).all()
    return [filter_of_key(row.organization_id, row.filter_key) for row in rows]


def filter_of_key(organization_id: int, key: str) -> StatsFilter:
    """The filter a kept key was made from (filter_key)."""
    year, quarter, month, village, category, department, channel, *organizations = \
        key.split("|")

    def number(part: str) -> int | None:
        return int(part) if part else None
    return StatsFilter(organization_id, Period(int(year), quarter=number(quarter),
                                               month=number(month)),
                       number(village), number(category), number(department), channel or None,
                       tuple(int(part) for part in organizations[0].split(","))
                       if organizations else ())


def _apply_overdue(figures: Figures, overdue: dict) -> None:
    figures.total.overdue = overdue["total"]
    for name, pairs in overdue["by"].items():
        for key, count in pairs:
            row = figures.by[name].get(_key_from_json(name, key))
            if row is not None:
                row.overdue = count


def _key_to_json(name: str, key):
    return key.isoformat() if name == "month" else key


def _key_from_json(name: str, key):
    return date.fromisoformat(key) if name == "month" else key


def _to_json(figures: Figures) -> dict:
    """Every figure but "overdue now" (kept apart, with its own validity)."""
    return {"total": asdict(figures.total),
            "by": {name: [[_key_to_json(name, key), asdict(row)] for key, row in rows.items()]
                   for name, rows in figures.by.items()},
            "heat": [list(cell) for cell in figures.heat]}


def _row_from_json(data: dict) -> Row:
    return Row(**{**data, "overdue": 0,
                  "within": {step: tuple(pair) for step, pair in data["within"].items()}})


def _from_json(f: StatsFilter, data: dict) -> Figures:
    return Figures(f, _row_from_json(data["total"]),
                   {name: {_key_from_json(name, key): _row_from_json(row) for key, row in rows}
                    for name, rows in data["by"].items()},
                   [(lon, lat, cases) for lon, lat, cases in data["heat"]])


def months_in_order(figures: Figures) -> list[tuple[date, Row]]:
    """Every month of the period, an empty one with zero cases."""
    found = figures.by["month"]
    return [(month, found.get(month, Row())) for month in figures.filter.period.months]


@dataclass(frozen=True)
class CaseLine:
    """One case behind the figures, as the workbook lists it (no reporter's data)."""
    id: int
    type_th: str
    type_en: str
    village_number: int | None
    village_th: str | None
    village_en: str | None
    created_at: datetime
    accepted_at: datetime | None
    assigned_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    status: str
    lat: float | None
    lon: float | None
    channel: str
    department_th: str
    department_en: str
    stars: int | None
    reopen_count: int
    organization_th: str
    organization_en: str


def case_lines(session: Session, f: StatsFilter) -> Iterable[CaseLine]:
    """The cases of the filter, oldest first, streamed."""
    where, params = _where(f)
    sql = f"""
        SELECT i.id, c.name_th AS type_th, c.name_en AS type_en, v.number AS village_number,
               v.name_th AS village_th, v.name_en AS village_en, i.created_at, m.accepted_at,
               m.assigned_at, CASE WHEN i.status = 'resolved' THEN i.closed_at END AS resolved_at,
               i.closed_at, i.status, ST_Y(i.location) AS lat, ST_X(i.location) AS lon,
               i.channel, d.name_th AS department_th, d.name_en AS department_en, r.stars,
               i.reopen_count, o.name_th AS organization_th, o.name_en AS organization_en
        FROM incidents i
        JOIN organizations o ON o.id = i.organization_id
        JOIN categories c ON c.id = i.category_id
        JOIN departments d ON d.id = i.department_id
        LEFT JOIN villages v ON v.id = i.village_id
        LEFT JOIN case_milestones m ON m.incident_id = i.id
        LEFT JOIN case_ratings r ON r.incident_id = i.id
        WHERE {where}
        ORDER BY i.created_at, i.id"""  # noqa: S608 - constant fragments, bound values
    result = session.execute(text(sql).execution_options(yield_per=2000), params)
    for record in result:
        yield CaseLine(**record._asdict())
