"""The statistics page, the monthly report (PDF) and the workbook (issue 12), on a small set of
cases in fiscal year 2561 (1 Oct 2017 - 30 Sep 2018), apart from the demo's cases (2026):
every figure below is counted by hand from the cases listed in `known_cases`.

The seven cases of fiscal year 2561 (limits of seed 001: intake 10 min, preparing 20 min,
work 7 days; the emergency type: 3 min, 20 min, 60 min):

  A streetlight, village 1, web     10 Jan 2018 09:00, accepted +6 min, assigned +30 min,
    resolved +2 days; 5 stars
  B streetlight, village 1, LINE    11 Jan 2018 09:00, accepted +20 min, assigned +30 min,
    resolved +10 days; 3 stars, reopened once
  C road, village 2, phone          5 Feb 2018 10:00, accepted +4 min, rejected +1 h
  D water, village 2, web           20 Feb 2018 08:00, new (open, overdue)
  E ems, village 1, counter         1 Mar 2018 12:00, accepted +1 min, assigned +5 min,
    in progress (open, overdue)
  F streetlight, no village, web    1 Oct 2017 00:00 (the first minute of the year),
    accepted +8 min (open, overdue)
  G streetlight, village 1, web     30 Sep 2018 23:59 (the last minute of the year), resolved
    2 h 1 min later with no acceptance recorded

and two just outside it: 30 Sep 2017 23:59 and 1 Oct 2018 00:00.
"""
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, text

from mapdash.demo.load import DEMO_PASSWORD
from mapdash.integrations.notify.worker import Worker
from mapdash.models import CaseMilestones, Category, Organization, User, Village
from mapdash.office.auth import create_user
from mapdash.stats import figures as stats
from mapdash.stats.period import Period, fiscal_year_of
from tests.factories import insert_known_case
from tests.support import csrf_token, login

TH = timezone(timedelta(hours=7))
EXECUTIVE = "executive@demo.mapdash.test"
FY = 2561


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=TH)


MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
# name: (type, village number, channel, created, status, accepted after, assigned after,
#        closed after, stars, reopened)
CASES = {
    "A": ("streetlight", 1, "web", at(2018, 1, 10, 9), "resolved", 6 * MIN, 30 * MIN, 2 * DAY, 5, 0),
    "B": ("streetlight", 1, "line", at(2018, 1, 11, 9), "resolved", 20 * MIN, 30 * MIN, 10 * DAY,
          3, 1),
    "C": ("road", 2, "phone", at(2018, 2, 5, 10), "rejected", 4 * MIN, None, HOUR, None, 0),
    "D": ("water", 2, "web", at(2018, 2, 20, 8), "new", None, None, None, None, 0),
    "E": ("ems", 1, "counter", at(2018, 3, 1, 12), "in_progress", MIN, 5 * MIN, None, None, 0),
    "F": ("streetlight", None, "web", at(2017, 10, 1, 0, 0), "accepted", 8 * MIN, None, None,
          None, 0),
    "G": ("streetlight", 1, "web", at(2018, 9, 30, 23, 59), "resolved", None, None,
          121 * MIN, None, 0),
    "before": ("streetlight", 1, "web", at(2017, 9, 30, 23, 59), "new", None, None, None, None, 0),
    "after": ("streetlight", 1, "web", at(2018, 10, 1, 0, 0), "new", None, None, None, None, 0),
}


@pytest.fixture
def known_cases(demo_session):
    """The cases above, in the demo's organization; their events written as the workflow
    writes them (the trigger of sql/021 keeps the milestones)."""
    s = demo_session
    org = s.scalars(select(Organization)).first()
    categories = {c.code: c for c in s.scalars(select(Category).where(
        Category.organization_id == org.id))}
    villages = {v.number: v for v in s.scalars(select(Village).where(
        Village.organization_id == org.id))}
    ids = {}
    for name, (code, number, channel, created, status, accepted, assigned, closed, stars,
               reopened) in CASES.items():
        category = categories[code]
        village = villages.get(number) if number else None
        point = "POINT(100.5 14.5)"
        if village is not None:
            point = s.scalar(text("SELECT ST_AsText(ST_PointOnSurface(geom)) FROM villages "
                                  "WHERE id = :id"), {"id": village.id})
        ids[name] = insert_known_case(s, f"STAT-{name}", org, category, village, point,
                                      channel, created, status, accepted, assigned, closed,
                                      stars, reopened)
    create_user(s, organization_id=org.id, email=EXECUTIVE, password=DEMO_PASSWORD,
                role="executive", display_name="นายก (ทดสอบ)", check_strength=False)
    s.commit()
    return ids


def signed_in(client, email=EXECUTIVE):
    response = login(client, email, DEMO_PASSWORD)
    assert response.status_code == 302
    return response


def figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert match, name
    return match.group(1).strip()


def table_row(page: str, table: str, label: str) -> dict[str, str]:
    body = page.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        header = re.search(r'<th scope="row">([^<]*)</th>', row)
        if header and header.group(1).strip() == label:
            return {col: value.strip() for col, value in
                    re.findall(r'data-col="([^"]+)">([^<]*)<', row)}
    raise AssertionError(f"no row {label} in {table}")


# --- by hand: the whole fiscal year 2561 ----------------------------------------------------
TOTALS = {"received": "7", "accepted": "5", "resolved": "3", "rejected": "1", "still_open": "3",
          "overdue": "3",
          # to accept: 1, 4, 6, 8, 20 min; to assign: 5, 30, 30 min;
          # to resolve: 121 min, 2 days, 10 days (90%: 2 d + 0.8 x 8 d = 12,096 min = 8 d 9 h)
          "accept_p50": "6 min", "accept_p90": "15 min", "assign_p50": "30 min",
          "assign_p90": "30 min", "resolve_p50": "2 d 0 h", "resolve_p90": "8 d 9 h",
          # intake: A, C, E, F of A B C E F; preparing: B, E of A B E; work: A of A B
          "within_intake": "80%", "within_prepare": "67%", "within_work": "50%",
          "average_stars": "4.00", "rated": "2", "reopened": "14%"}


def test_an_executive_lands_on_the_statistics_and_sees_every_figure_counted_by_hand(
        demo_client, known_cases):
    response = signed_in(demo_client)
    assert response.headers["Location"].endswith("/stats")
    page = demo_client.get(f"/stats?year={FY}&lang=en").get_data(as_text=True)
    for name, expected in TOTALS.items():
        assert figure(page, name) == expected, name
    assert figure(page, "within_intake_count") == "4 of 5"
    assert figure(page, "reopened_count") == "1 of 7"
    # per village: 1 = A B E G, 2 = C D, none = F
    v1 = table_row(page, "village", "Village 1 " + village_name(demo_client, 1))
    assert (v1["received"], v1["accepted"], v1["resolved"], v1["rejected"], v1["still_open"],
            v1["overdue"]) == ("4", "3", "3", "0", "1", "1")
    # village 1's to resolve: 121 min, 2 d, 10 d; its rating: 5 and 3
    assert (v1["resolve_p50"], v1["average_stars"], v1["rated"], v1["reopened"]) == \
        ("2 d 0 h", "4.00", "2", "25%")
    v2 = table_row(page, "village", "Village 2 " + village_name(demo_client, 2))
    assert (v2["received"], v2["rejected"], v2["still_open"], v2["accept_p50"],
            v2["within_intake"]) == ("2", "1", "1", "4 min", "100%")
    outside = table_row(page, "village", "Outside every village")
    assert (outside["received"], outside["overdue"]) == ("1", "1")
    # per month: every month of the year, empty ones too
    assert table_row(page, "month", "October 2017")["received"] == "1"
    assert table_row(page, "month", "January 2018")["resolved"] == "2"
    assert table_row(page, "month", "December 2017")["received"] == "0"
    assert table_row(page, "month", "September 2018")["received"] == "1"
    # per type, department and channel
    assert table_row(page, "type", "Streetlight out")["received"] == "4"
    assert table_row(page, "type", "Accident / medical emergency")["within_prepare"] == "100%"
    assert table_row(page, "department", "Engineering Division")["received"] == "6"
    assert table_row(page, "department", "Public Health and Environment Division")["overdue"] == "1"
    assert table_row(page, "channel", "Website")["received"] == "4"
    assert table_row(page, "channel", "LINE")["reopened"] == "100%"
    assert table_row(page, "channel", "By phone")["rejected"] == "1"
    # the chart has a bar pair per month
    assert page.count('class="bar-received"') == 12


def village_name(client, number: int) -> str:
    with client.application.app_context():
        from mapdash import db
        return db.session().scalar(select(Village.name_en).where(Village.number == number))


def direct_counts(session, org_id: int, period: Period) -> tuple:
    return tuple(session.execute(text("""
        SELECT count(*), count(*) FILTER (WHERE status = 'resolved'),
               count(*) FILTER (WHERE status = 'rejected'), count(*) FILTER (WHERE is_open),
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM incident_events e
                                              WHERE e.incident_id = i.id AND e.action = 'accept')),
               count(r.stars), count(*) FILTER (WHERE reopen_count > 0)
        FROM incidents i LEFT JOIN case_ratings r ON r.incident_id = i.id
        WHERE i.organization_id = :org AND i.created_at >= :start AND i.created_at < :end"""),
        {"org": org_id, "start": period.start, "end": period.end}).one())


def worker_recounts(app, now: datetime | None = None) -> int:
    """One pass of the notification worker's recount of the kept figures out of date."""
    return Worker(app).recount_stats(now or datetime.now(timezone.utc))


def computed_counts(session, org_id: int, period: Period) -> tuple:
    computed = stats.compute(session, stats.StatsFilter(org_id, period))
    assert not computed.recounting
    found = computed.total
    for breakdown in ("month", "village", "type", "department", "channel"):
        parts = computed.by[breakdown].values()
        assert sum(row.received for row in parts) == found.received, breakdown
        assert sum(row.rated for row in parts) == found.rated, breakdown
    return (found.received, found.resolved, found.rejected, found.still_open, found.accepted,
            found.rated, found.reopened)


def test_the_figures_match_a_direct_count_over_the_cases(demo_app, demo_session, known_cases):
    """The figures against plain counts of the cases, for every fiscal year holding cases
    (the demo's too), then again from the kept figures, and again after cases changed and
    the worker recounted them: the kept figures never drift from the cases."""
    org = demo_session.scalars(select(Organization)).first()
    years = {fiscal_year_of(moment) for (moment,) in demo_session.execute(
        text("SELECT created_at FROM incidents"))}
    assert {2560, 2561, 2562} <= years
    for year in years:
        expected = direct_counts(demo_session, org.id, Period(year))
        assert computed_counts(demo_session, org.id, Period(year)) == expected, year
        assert computed_counts(demo_session, org.id, Period(year)) == expected, year
    assert demo_session.scalar(text("SELECT count(*) FROM stats_cache")) == len(years)
    # D is resolved, G rated, C reopened, E moved to another village: each a change
    demo_session.execute(text("UPDATE incidents SET status = 'resolved', closed_at = now() "
                              "WHERE id = :id"), {"id": known_cases["D"]})
    demo_session.commit()
    demo_session.execute(text("INSERT INTO case_ratings (incident_id, stars) VALUES (:id, 2)"),
                         {"id": known_cases["G"]})
    demo_session.commit()
    demo_session.execute(text("UPDATE incidents SET reopen_count = 1 WHERE id = :id"),
                         {"id": known_cases["C"]})
    demo_session.commit()
    demo_session.execute(text("UPDATE incidents SET status = 'accepted', closed_at = NULL "
                              "WHERE id = :id"), {"id": known_cases["C"]})
    demo_session.commit()
    year = Period(FY)
    assert direct_counts(demo_session, org.id, year) == (7, 4, 0, 3, 5, 3, 2)
    # until the worker's pass the kept figures are shown, marked as being recounted
    kept = stats.compute(demo_session, stats.StatsFilter(org.id, year))
    assert kept.recounting and (kept.total.resolved, kept.total.rejected) == (3, 1)
    assert worker_recounts(demo_app) >= 1
    assert computed_counts(demo_session, org.id, year) == (7, 4, 0, 3, 5, 3, 2)
    demo_session.execute(text("UPDATE incidents SET followers_count = 3 WHERE id = :id"),
                         {"id": known_cases["A"]})  # not a figure: the kept ones still hold
    demo_session.commit()
    kept_at = demo_session.scalar(text("SELECT computed_at FROM stats_cache WHERE filter_key = "
                                       ":key"), {"key": f"{FY}||||||"})
    computed_counts(demo_session, org.id, year)
    assert demo_session.scalar(text("SELECT computed_at FROM stats_cache WHERE filter_key = "
                                    ":key"), {"key": f"{FY}||||||"}) == kept_at


def kept_row(session, key: str):
    return session.execute(text("SELECT computed_at, overdue_until FROM stats_cache "
                                "WHERE filter_key = :key"), {"key": key}).one()


def test_after_a_change_the_kept_figures_are_shown_marked_until_the_worker_recounts(
        demo_app, demo_client, demo_session, known_cases):
    signed_in(demo_client)
    page = demo_client.get(f"/stats?year={FY}&lang=en").get_data(as_text=True)
    assert (figure(page, "resolved"), figure(page, "still_open")) == ("3", "3")
    assert 'id="stats-recounting"' not in page
    counted_at = kept_row(demo_session, f"{FY}||||||").computed_at.astimezone(TH)
    # D is resolved: the next views show the kept figures at once, said to be recounted
    demo_session.execute(text("UPDATE incidents SET status = 'resolved', closed_at = now() "
                              "WHERE id = :id"), {"id": known_cases["D"]})
    demo_session.commit()
    page = demo_client.get(f"/stats?year={FY}&lang=en").get_data(as_text=True)
    assert (figure(page, "resolved"), figure(page, "still_open")) == ("3", "3")
    note = re.search(r'id="stats-recounting"[^>]*>([^<]*)<', page).group(1)
    assert "being recounted" in note
    assert f"{counted_at.year} {counted_at:%H:%M}" in note
    thai = demo_client.get(f"/stats?year={FY}&lang=th").get_data(as_text=True)
    note = re.search(r'id="stats-recounting"[^>]*>([^<]*)<', thai).group(1)
    assert "กำลังนับใหม่" in note and f"{counted_at.year + 543} {counted_at:%H:%M}" in note
    # the report and the workbook: the same kept figures, as they stood when counted
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(demo_client.get(
        f"/stats/report.pdf?year={FY}&lang=en").data)).pages)
    flat = re.sub(r"\s+", " ", pdf)
    assert "Received 7 Accepted 5 Resolved 3" in flat and "being recounted" in flat
    assert f"{counted_at.year} {counted_at:%H:%M}" in flat
    book = load_workbook(io.BytesIO(demo_client.get(f"/stats/report.xlsx?year={FY}&lang=en").data))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert summary["Resolved"] == 3
    assert abs(summary["As they stand on"] - counted_at.replace(tzinfo=None)) < timedelta(seconds=1)
    # the worker's pass counts them again: the new figures, no note
    assert worker_recounts(demo_app) >= 1
    page = demo_client.get(f"/stats?year={FY}&lang=en").get_data(as_text=True)
    assert (figure(page, "resolved"), figure(page, "still_open"), figure(page, "overdue")) == \
        ("4", "2", "2")
    assert 'id="stats-recounting"' not in page


def test_the_kept_overdue_holds_until_an_open_case_crosses_its_limit(
        demo_app, demo_session, known_cases):
    """February 2018 holds C (rejected) and D (new since 20 Feb 08:00, intake limit 10 min):
    counted at 08:05, nothing is overdue, until 08:10."""
    org = demo_session.scalars(select(Organization)).first()
    february = stats.StatsFilter(org.id, Period(FY, month=2))
    key = stats.filter_key(february)
    first = stats.compute(demo_session, february, at(2018, 2, 20, 8, 5))
    assert (first.total.received, first.total.overdue, first.recounting) == (2, 0, False)
    assert kept_row(demo_session, key).overdue_until == at(2018, 2, 20, 8, 10)
    # up to the limit the kept count holds, and is read from the kept figures
    at_limit = stats.compute(demo_session, february, at(2018, 2, 20, 8, 10))
    assert (at_limit.total.overdue, at_limit.recounting) == (0, False)
    assert kept_row(demo_session, key).computed_at == at(2018, 2, 20, 8, 5)
    assert worker_recounts(demo_app, at(2018, 2, 20, 8, 10)) == 0
    # past it: still shown, marked; the worker's pass counts D overdue (and only that: the
    # other figures, kept, are unchanged)
    past = stats.compute(demo_session, february, at(2018, 2, 20, 8, 11))
    assert (past.total.overdue, past.recounting) == (0, True)
    assert worker_recounts(demo_app, at(2018, 2, 20, 8, 11)) == 1
    recounted = stats.compute(demo_session, february, at(2018, 2, 20, 8, 11))
    assert (recounted.total.overdue, recounted.recounting) == (1, False)
    assert (recounted.total.received, recounted.total.rejected, recounted.total.still_open,
            recounted.total.p50["accept"]) == (2, 1, 1, 4.0)
    village_2 = demo_session.scalar(select(Village.id).where(
        Village.organization_id == org.id, Village.number == 2))
    assert recounted.by["village"][village_2].overdue == 1
    assert recounted.by["month"][at(2018, 2, 1).date()].overdue == 1
    # no limit ahead any more: the count holds until a case of February changes
    assert kept_row(demo_session, key).overdue_until is None
    assert not stats.compute(demo_session, february, at(2030, 1, 1)).recounting
    demo_session.execute(text("UPDATE incidents SET status = 'accepted', step_started_at = :at "
                              "WHERE id = :id"), {"id": known_cases["D"],
                                                  "at": at(2018, 2, 20, 8, 12)})
    demo_session.commit()
    assert stats.compute(demo_session, february, at(2018, 2, 20, 8, 13)).recounting
    worker_recounts(demo_app, at(2018, 2, 20, 8, 13))
    accepted = stats.compute(demo_session, february, at(2018, 2, 20, 8, 13))
    assert (accepted.total.overdue, accepted.recounting) == (0, False)
    # preparing's limit: 20 minutes from 08:12
    assert kept_row(demo_session, key).overdue_until == at(2018, 2, 20, 8, 32)


def test_out_of_date_rule():
    counted, later = at(2018, 1, 1), at(2018, 1, 2)
    assert not stats.out_of_date(counted, None, counted, later)
    assert not stats.out_of_date(None, None, None, later)
    assert stats.out_of_date(counted, None, later, later)  # a case changed since
    assert stats.out_of_date(None, None, counted, later)  # the first change of the period
    assert not stats.out_of_date(counted, later, counted, later)  # up to the limit
    assert stats.out_of_date(counted, later, counted, later + MIN)  # past it


def test_fiscal_year_boundaries_are_thai_midnights(demo_client, known_cases):
    assert fiscal_year_of(at(2017, 9, 30, 23, 59)) == 2560
    assert fiscal_year_of(at(2017, 10, 1, 0, 0)) == 2561
    assert fiscal_year_of(datetime(2017, 9, 30, 17, 0, tzinfo=timezone.utc)) == 2561
    assert Period(2569).start == at(2025, 10, 1) and Period(2569).end == at(2026, 10, 1)
    assert Period(2569, quarter=2).start == at(2026, 1, 1)
    assert Period(2569, month=10).start == at(2025, 10, 1)
    assert Period(2569, month=9).end == at(2026, 10, 1)
    signed_in(demo_client)
    for year, expected in ((2560, "1"), (2562, "1")):  # "before" and "after" alone
        page = demo_client.get(f"/stats?year={year}").get_data(as_text=True)
        assert figure(page, "received") == expected
    october = demo_client.get(f"/stats?year={FY}&part=m10&lang=en").get_data(as_text=True)
    assert figure(october, "received") == "1"  # F, at 00:00 on 1 October
    september = demo_client.get(f"/stats?year={FY}&part=m9").get_data(as_text=True)
    assert figure(september, "received") == "1"  # G, at 23:59 on 30 September
    first_quarter = demo_client.get(f"/stats?year={FY}&part=q1").get_data(as_text=True)
    assert figure(first_quarter, "received") == "1"
    second_quarter = demo_client.get(f"/stats?year={FY}&part=q2").get_data(as_text=True)
    assert figure(second_quarter, "received") == "5"  # A B C D E
    thai = demo_client.get(f"/stats?year={FY}&lang=th").get_data(as_text=True)
    assert "ปีงบประมาณ 2561" in thai


def test_filters_narrow_the_figures(demo_client, known_cases):
    signed_in(demo_client)
    page = demo_client.get(f"/stats?year={FY}&village=1&lang=en").get_data(as_text=True)
    assert (figure(page, "received"), figure(page, "resolved"), figure(page, "overdue")) == \
        ("4", "3", "1")
    page = demo_client.get(f"/stats?year={FY}&type=streetlight&channel=web").get_data(as_text=True)
    assert figure(page, "received") == "3"  # A F G
    page = demo_client.get(f"/stats?year={FY}&department=public_health").get_data(as_text=True)
    assert (figure(page, "received"), figure(page, "still_open")) == ("1", "1")


@pytest.mark.parametrize("query, code", [
    ("year=abc", "bad_year"), ("year=1999", "bad_year"), ("part=q5", "bad_part"),
    ("part=m13", "bad_part"), ("village=999", "bad_village"), ("village=x", "bad_village"),
    ("type=unicorn", "bad_type"), ("department=nowhere", "bad_department"),
    ("channel=pigeon", "bad_channel"),
])
def test_bad_filters_are_refused_with_a_clear_message(demo_client, known_cases, query, code):
    signed_in(demo_client)
    for path in ("/stats", "/stats/report.pdf", "/stats/report.xlsx"):
        response = demo_client.get(f"{path}?{query}", headers={"Accept": "application/json"})
        assert response.status_code == 400, (path, query)
        assert code in response.get_data(as_text=True)


def test_roles_executive_reads_only_officer_sees_own_department_crew_and_strangers_refused(
        demo_client, demo_session, known_cases):
    # a stranger is sent to sign in, everywhere
    for path in ("/stats", "/stats/report.pdf", "/stats/report.xlsx"):
        response = demo_client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    # the executive reaches nothing that changes data
    signed_in(demo_client)
    assert demo_client.get("/stats").status_code == 200
    for path in ("/dispatch/", "/admin/", "/admin/staff/", "/dispatch/cases", "/dispatch/intake",
                 "/crew/",
                 f"/dispatch/cases/{known_cases['D']}"):
        assert demo_client.get(path).status_code == 403, path
    token = csrf_token(demo_client, "/stats")
    for path, data in ((f"/dispatch/cases/{known_cases['D']}/actions", {"action": "accept"}),
                       ("/dispatch/cases/actions.json", {"action": "accept",
                                                         "ids": str(known_cases["D"])}),
                       ("/dispatch/intake/streetlight", {"description": "x"}),
                       ("/admin/staff/", {"display_name": "x", "email": "x@example.org",
                                          "role": "admin"})):
        response = demo_client.post(path, data={**data, "csrf_token": token})
        assert response.status_code in (401, 403), path
    assert demo_session.scalar(text("SELECT status FROM incidents WHERE id = :id"),
                               {"id": known_cases["D"]}) == "new"
    demo_client.post("/logout")
    # the officer of engineering: their department only (E is public health's)
    signed_in(demo_client, "officer@demo.mapdash.test")
    page = demo_client.get(f"/stats?year={FY}").get_data(as_text=True)
    assert (figure(page, "received"), figure(page, "accepted"), figure(page, "still_open"),
            figure(page, "overdue")) == ("6", "4", "2", "2")
    assert demo_client.get(f"/stats?year={FY}&department=public_health").status_code == 403
    workbook = load_workbook(io.BytesIO(demo_client.get(f"/stats/report.xlsx?year={FY}").data))
    assert workbook.worksheets[-1].max_row == 1 + 6
    demo_client.post("/logout")
    # a crew member and a dispatcher: no statistics
    for email in ("crew@demo.mapdash.test", "dispatcher@demo.mapdash.test"):
        signed_in(demo_client, email)
        assert demo_client.get("/stats").status_code == 403, email
        assert demo_client.get("/stats/report.pdf").status_code == 403, email
        demo_client.post("/logout")


def test_an_admin_creates_an_executive_on_the_staff_page(demo_client, demo_session):
    signed_in(demo_client, "admin@demo.mapdash.test")
    page = demo_client.get("/admin/staff/").get_data(as_text=True)
    assert 'value="executive"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = demo_client.post("/admin/staff/", data={
        "csrf_token": token, "display_name": "ปลัด", "email": "palat@demo.mapdash.test",
        "role": "executive"})
    assert response.status_code in (200, 302)
    assert demo_session.scalar(select(User.role).where(
        User.email == "palat@demo.mapdash.test")) == "executive"


def test_the_report_pdf_carries_the_figures_of_the_page(demo_client, known_cases):
    signed_in(demo_client)
    response = demo_client.get(f"/stats/report.pdf?year={FY}&lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    pdf = " ".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", pdf)
    assert "Service report: Fiscal year 2561" in flat
    for expected in ("6 min", "15 min", "30 min", "2 d 0 h", "8 d 9 h", "80%", "67%", "50%",
                     "4.00", "4 of 5", "2 of 3", "1 of 2", "1 of 7", "14%"):
        assert expected in flat, expected
    # the counts' boxes
    assert "Received 7 Accepted 5 Resolved 3 Rejected 1 Still open 3 Overdue now 3" in flat
    # the village table: village 1 received 4, accepted 3, resolved 3, rejected 0, open 1,
    # overdue 1, median to resolve 2 d 0 h, work within limit 50%, rating 4.00
    assert re.search(r"Village 1 [^\n]*4 3 3 0 1 1 2 d 0 h 50% 4.00", flat)
    assert re.search(r"Outside every village 1 1 0 0 1 1 – – –", flat)
    # Thai by default, Sarabun embedded
    thai = demo_client.get(f"/stats/report.pdf?year={FY}&part=m1").data
    fonts = {str(font) for page in PdfReader(io.BytesIO(thai)).pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts


def test_the_workbook_holds_numbers_dates_and_the_cases_without_personal_data(
        demo_client, demo_session, known_cases):
    demo_session.execute(text("UPDATE incidents SET reporter_name = 'สมชาย ลับมาก', "
                              "reporter_phone = '0812345678' WHERE tracking_code LIKE 'STAT-%'"))
    demo_session.commit()
    signed_in(demo_client)
    response = demo_client.get(f"/stats/report.xlsx?year={FY}&lang=en")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert (summary["Received"], summary["Accepted"], summary["Resolved"], summary["Rejected"],
            summary["Still open"], summary["Overdue now"]) == (7, 5, 3, 1, 3, 3)
    assert summary["Median to accept (hours)"] == pytest.approx(0.1)
    assert summary["90% to accept (hours)"] == pytest.approx(15.2 / 60, abs=1e-4)
    assert summary["Median to resolve (hours)"] == pytest.approx(48)
    assert summary["90% to resolve (hours)"] == pytest.approx(201.6)
    assert summary["Within limit: Intake and check"] == pytest.approx(0.8)
    assert summary["Within limit: Inform, print, set the status"] == pytest.approx(2 / 3)
    assert summary["Within limit: The work"] == pytest.approx(0.5)
    assert summary["Average rating (1–5 stars)"] == pytest.approx(4)
    assert (summary["Cases rated"], summary["Cases reopened"]) == (2, 1)
    assert summary["Reopened"] == pytest.approx(1 / 7)
    villages = list(book["Per village"].iter_rows(values_only=True))
    assert villages[0][:7] == ("Village", "Received", "Accepted", "Resolved", "Rejected",
                               "Still open", "Overdue now")
    assert [row[1] for row in villages[1:]] == [4, 2, 1]  # villages 1, 2, outside
    months = list(book["Per month"].iter_rows(values_only=True))[1:]
    assert [row[1] for row in months] == [1, 0, 0, 2, 2, 1, 0, 0, 0, 0, 0, 1]
    cases = list(book["Cases"].iter_rows(values_only=True))
    assert cases[0] == ("Case id", "Case type", "Village no.", "Village", "Created", "Accepted",
                        "Assigned", "Resolved", "Closed", "Status", "Latitude", "Longitude",
                        "Channel", "Department", "Rating", "Times reopened")
    assert len(cases) == 1 + 7
    a = next(row for row in cases[1:] if row[0] == known_cases["A"])
    assert a[1:3] == ("Streetlight out", 1)
    assert a[4:9] == (datetime(2018, 1, 10, 9, 0), datetime(2018, 1, 10, 9, 6),
                      datetime(2018, 1, 10, 9, 30), datetime(2018, 1, 12, 9, 0),
                      datetime(2018, 1, 12, 9, 0))
    assert isinstance(a[10], float) and isinstance(a[11], float)
    assert (a[12], a[13], a[14], a[15]) == ("Website", "Engineering Division", 5, 0)
    everything = repr([list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets])
    assert "สมชาย" not in everything and "0812345678" not in everything


def test_the_milestones_follow_the_events(demo_session, known_cases):
    milestones = demo_session.get(CaseMilestones, known_cases["A"])
    assert milestones.accepted_at == at(2018, 1, 10, 9, 6)
    assert milestones.assigned_at == at(2018, 1, 10, 9, 30)
    # a second assignment leaves the first one's time
    demo_session.execute(text("INSERT INTO incident_events (incident_id, action, created_at) "
                              "VALUES (:id, 'assign', :at)"),
                         {"id": known_cases["A"], "at": at(2018, 1, 11)})
    demo_session.commit()
    demo_session.refresh(milestones)
    assert milestones.assigned_at == at(2018, 1, 10, 9, 30)
    assert demo_session.get(CaseMilestones, known_cases["D"]) is None



def test_browser_an_executive_picks_a_year_and_a_village_sees_the_chart_and_downloads(
        browser, live_server, demo_session, known_cases, screenshot_dir):
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="th-TH",
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", EXECUTIVE)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/stats")
    page.select_option("select[name=year]", str(FY))
    page.select_option("select[name=village]", "1")
    page.click("#stats-filters button[type=submit]")
    page.wait_for_url(f"{live_server}/stats?*village=1*")
    assert page.inner_text('[data-figure="received"]') == "4"
    assert page.inner_text('[data-figure="resolved"]') == "3"
    assert "ปีงบประมาณ 2561" in page.inner_text("h1")
    # the chart: a bar pair per month of the year, January's two cases drawn
    assert page.locator("#month-chart rect.bar-received").count() == 12
    january = page.locator("#month-chart rect.bar-received").nth(3)
    assert float(january.get_attribute("height")) > 0
    assert page.locator("#month-chart").bounding_box()["width"] > 700
    # the map: the villages drawn from our own data (no tiles here), the chosen one marked
    page.wait_for_function("() => document.getElementById('stats-map').dataset.loaded > 0")
    assert page.locator("#stats-map path.leaflet-interactive").count() >= 10
    page.locator(".leaflet-control-layers-overlays input").nth(1).check()
    assert page.locator("#stats-map canvas.heat-layer").count() == 1
    assert page.locator("#stats-map").get_attribute("data-heat-cells") != "0"
    page.screenshot(path=str(screenshot_dir / "stats-executive-tablet.png"), full_page=True, scale="css")
    with page.expect_download() as pdf_download:
        page.click("#download-pdf")
    assert pdf_download.value.suggested_filename == f"mapdash-fy{FY}.pdf"
    text_of_pdf = " ".join(p.extract_text() for p in PdfReader(pdf_download.value.path()).pages)
    assert "2561" in text_of_pdf
    with page.expect_download() as xlsx_download:
        page.click("#download-xlsx")
    assert xlsx_download.value.suggested_filename == f"mapdash-fy{FY}.xlsx"
    cases = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes())).worksheets[-1]
    assert cases.max_row == 1 + 4  # A B E G, village 1
    # E is resolved: the page shows the figures it kept, said to be recounted
    demo_session.execute(text("UPDATE incidents SET status = 'resolved', closed_at = now() "
                              "WHERE id = :id"), {"id": known_cases["E"]})
    demo_session.commit()
    page.reload()
    assert page.inner_text('[data-figure="resolved"]') == "3"
    assert "กำลังนับใหม่" in page.inner_text("#stats-recounting")
    for width, height, name in ((390, 844, "phone"), (1440, 900, "desktop")):
        page.set_viewport_size({"width": width, "height": height})
        page.locator("#stats-recounting").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"stats-recounting-{name}.png"))
    context.close()
