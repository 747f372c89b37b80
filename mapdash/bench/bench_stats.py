"""The statistics (issue 12) of the last whole fiscal year, which holds most of the synthetic
cases: the page and the monthly report PDF, signed in as the demo admin, each next to the SQL
behind it run directly. The figures, "overdue now" too, are kept once counted (stats_cache):
the page is timed as it is read most of the time (figures kept and up to date), right after a
change to a case of the year (the kept figures shown at once, marked as being recounted), and
the notification worker's recount that follows (everything counted again, off the request),
next to the counting queries.

The synthetic cases have no events: before measuring, each closed or progressed case is given
the acceptance and assignment times its events would have left (case_milestones, normally
kept by the trigger of sql/021), and a third of the resolved ones a rating, so that the joins
the statistics make carry rows as in service."""
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.bench import Figure, format_row, percentile
from mapdash.demo.load import DEMO_PASSWORD
from mapdash.integrations.notify.worker import Worker
from mapdash.maps import geo
from mapdash.models import StatsCache, User
from mapdash.stats import figures as stats
from mapdash.stats.period import Period, fiscal_year_of


def run(ctx) -> None:
    engine = ctx.app.extensions["db_engine"]
    with Session(engine) as session:
        _milestones_and_ratings(session)
        admin = session.scalars(select(User).where(User.email == "admin@demo.mapdash.test")).one()
        year = fiscal_year_of(datetime.now(UTC)) - 1
        f = stats.StatsFilter(admin.organization_id, Period(year))
        cases = session.scalar(text(
            "SELECT count(*) FROM incidents WHERE organization_id = :org AND created_at >= :start "
            "AND created_at < :end"), {"org": f.organization_id, "start": f.period.start,
                                       "end": f.period.end})
        print(f"# fiscal year {year}: {cases:,} cases", flush=True)
        figures_sql, figures_params = stats.figures_sql(f)
        heat_sql, heat_params = stats.heat_sql(f)
        overdue_sql, overdue_params = stats.overdue_sql(f)
        limits = geo.limits_by_set(session)
        figures_params = {**figures_params, "limits": limits}

        def counting_queries():  # what the worker's recount runs
            session.execute(text(figures_sql), figures_params).all()
            session.execute(text(heat_sql), heat_params).all()
            session.execute(text(overdue_sql), {**overdue_params, "now": datetime.now(UTC)}).all()
            session.rollback()

        def kept_queries():  # what the page reads of the figures, up to date or not
            session.execute(text(
                "SELECT max(changed_at) FROM stats_changes WHERE organization_id = :org "
                "AND month BETWEEN :first AND :last"), {"org": f.organization_id,
                                                         "first": f.period.months[0],
                                                         "last": f.period.months[-1]}).all()
            session.execute(select(StatsCache.figures, StatsCache.overdue).where(
                StatsCache.organization_id == f.organization_id,
                StatsCache.filter_key == stats.filter_key(f))).all()
            session.rollback()

        def a_change():  # a case of the year changed
            session.execute(text("UPDATE stats_changes SET changed_at = clock_timestamp() "
                                 "WHERE organization_id = :org AND month BETWEEN :first "
                                 "AND :last"), {"org": f.organization_id,
                                                "first": f.period.months[0],
                                                "last": f.period.months[-1]})
            session.commit()

        client = ctx.app.test_client()
        client.post("/login", data={"email": admin.email, "password": DEMO_PASSWORD})
        path = f"/stats?year={year}"
        page = _page(client, path)
        worker = Worker(ctx.app)

        def first_view():  # nothing kept for the filter: counted on the request
            session.execute(text("DELETE FROM stats_cache"))
            session.commit()
            page()

        def recount_after_a_change():
            a_change()
            if worker.recount_stats(datetime.now(UTC)) != 1:
                raise RuntimeError("the worker recounted nothing")

        # Counting a year takes seconds: a few runs, no warm-up.
        _slow(ctx, f"GET {path} first view (counted on the request)", first_view,
              counting_queries)
        _slow(ctx, f"worker: recount of {path} after a change", recount_after_a_change,
              counting_queries)
        ctx.measure(f"GET {path} (fiscal year, figures kept)", page, sql=kept_queries,
                    floor_ms=300, repeat=20)
        a_change()
        marked = client.get(path).get_data(as_text=True)
        if 'id="stats-recounting"' not in marked:
            raise RuntimeError("the page after a change is not marked as being recounted")
        ctx.measure(f"GET {path} after a change (kept shown, being recounted)", page,
                    sql=kept_queries, floor_ms=300, repeat=20)
        worker.recount_stats(datetime.now(UTC))
        ctx.measure(f"GET /stats/report.pdf?year={year} (figures kept)",
                    _page(client, f"/stats/report.pdf?year={year}"), sql=kept_queries,
                    floor_ms=3000, repeat=10)


def _slow(ctx, name: str, fn, sql) -> None:
    server = ctx.timings(fn, 3, warmup=0)
    direct = ctx.timings(sql, 3, warmup=0)
    figure = Figure(name, percentile(server, 50), percentile(server, 95), None,
                    percentile(direct, 50), percentile(direct, 95))
    ctx.figures.append(figure)
    print(format_row(figure), flush=True)


def _milestones_and_ratings(session: Session) -> None:
    session.execute(text("""
        INSERT INTO case_milestones (incident_id, accepted_at, assigned_at)
        SELECT id, created_at + make_interval(mins => 1 + (id % 40)::int),
               CASE WHEN status IN ('assigned', 'in_progress', 'resolved')
                    THEN created_at + make_interval(mins => 20 + (id % 300)::int) END
        FROM incidents
        WHERE status <> 'new' AND NOT EXISTS (
            SELECT 1 FROM case_milestones m WHERE m.incident_id = incidents.id)"""))
    session.execute(text("""
        INSERT INTO case_ratings (incident_id, stars)
        SELECT id, 1 + (id % 5)::int FROM incidents WHERE status = 'resolved' AND id % 3 = 0
        ON CONFLICT DO NOTHING"""))
    session.commit()
    session.execute(text("ANALYZE case_milestones"))
    session.execute(text("ANALYZE case_ratings"))
    session.commit()


def _page(client, path):
    def get():
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return get
