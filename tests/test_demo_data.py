"""The synthetic demo tambon: geometry that tiles exactly, and cases whose histories hold up."""
import itertools
import re
import statistics
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import shapely
from shapely.geometry import MultiPolygon, Point

from mapdash.demo.data import DEMO_ORG, demo_cases, tambon_boundary, villages

NOW = datetime(2026, 3, 7, 14, 0, tzinfo=timezone.utc)
LOCAL = timezone(timedelta(hours=7))
CATEGORIES = {"streetlight", "water", "road", "ems", "fire", "drug_tip", "info_request",
              "appointment", "dev_plan", "disaster", "nuisance", "complaint"}
OPEN = {"new", "accepted", "info_requested", "assigned", "in_progress"}
CLOSED = {"resolved", "rejected", "duplicate"}
# action: (allowed from statuses, to status)
TRANSITIONS = {
    "accept": ({"new"}, "accepted"),
    "request_info": ({"accepted"}, "info_requested"),
    "reply": ({"info_requested"}, "accepted"),
    "assign": ({"accepted"}, "assigned"),
    "start": ({"assigned"}, "in_progress"),
    "resolve": ({"in_progress"}, "resolved"),
    "reject": ({"new", "accepted"}, "rejected"),
    "mark_duplicate": ({"new", "accepted"}, "duplicate"),
    "not_fixed": ({"resolved"}, "new"),  # the reporter says it is not fixed (issue 12)
}


@pytest.fixture(scope="module")
def cases():
    return demo_cases(NOW)


def age_days(case, now=NOW):
    return (now - case["created_at"]) / timedelta(days=1)


def test_org_is_labelled_synthetic():
    assert DEMO_ORG["slug"] == "demo-tambon" and DEMO_ORG["kind"] == "tambon"
    assert "ข้อมูลสาธิต" in DEMO_ORG["name_th"]
    assert "synthetic" in DEMO_ORG["name_en"]


def test_boundary_is_an_irregular_tambon_near_the_seed_position():
    boundary = tambon_boundary()
    assert isinstance(boundary, MultiPolygon) and boundary.is_valid and not boundary.is_empty
    # Not a rectangle: many corners and well short of filling its bounding box.
    assert len(boundary.geoms[0].exterior.coords) > 10
    assert boundary.area < 0.9 * boundary.envelope.area
    minx, miny, maxx, maxy = boundary.bounds
    assert 10 <= (maxx - minx) * 106.2 <= 15  # km across, east-west
    assert 10 <= (maxy - miny) * 110.6 <= 15  # km across, north-south
    centre = boundary.centroid
    assert abs(centre.x - 104.62) < 0.02 and abs(centre.y - 17.35) < 0.02


def test_thirteen_villages_with_distinct_numbers_and_names():
    vs = villages()
    assert [v["number"] for v in vs] == list(range(1, 14))
    assert len({v["name_th"] for v in vs}) == 13 and len({v["name_en"] for v in vs}) == 13
    assert all(v["name_th"].startswith("บ้าน") and v["name_en"].startswith("Ban ") for v in vs)


def test_villages_tile_the_boundary():
    boundary = tambon_boundary()
    geoms = [v["geometry"] for v in villages()]
    for g in geoms:
        assert isinstance(g, MultiPolygon) and g.is_valid and not g.is_empty
    union = shapely.union_all(geoms)
    assert abs(union.area - boundary.area) / boundary.area < 1e-9
    assert union.symmetric_difference(boundary).area / boundary.area < 1e-9
    # Neighbours share exact edges: they touch along lines and overlap nowhere.
    assert sum(a.intersection(b).area for a, b in itertools.combinations(geoms, 2)) < 1e-12


def test_cases_fields(cases):
    assert len(cases) == 300
    assert len(demo_cases(NOW, count=40)) == 40
    assert {c["category"] for c in cases} == CATEGORIES
    for c in cases:
        assert c["channel"] == "demo"
        assert isinstance(c["description"], str) and re.search("[ก-๙]", c["description"])
        if c["reporter_phone"] is not None:
            assert re.fullmatch(r"08\d-000-\d{4}", c["reporter_phone"])  # the fake 000 block


def test_category_weights_are_realistic(cases):
    counts = Counter(c["category"] for c in cases)
    top3 = {code for code, _ in counts.most_common(3)}
    assert top3 == {"streetlight", "road", "water"}
    assert 1 <= counts["drug_tip"] < counts["ems"] + counts["fire"] < counts["streetlight"]


def test_about_half_of_reporters_are_anonymous(cases):
    anonymous = sum(c["reporter_name"] is None for c in cases)
    assert 0.35 <= anonymous / len(cases) <= 0.65
    assert all(c["reporter_name"] is None for c in cases if c["category"] == "drug_tip")


def test_locations_fall_strictly_inside_one_village(cases):
    boundary = tambon_boundary()
    geoms = [v["geometry"] for v in villages()]
    for c in cases:
        if c["category"] in {"info_request", "appointment"}:
            assert c["lon"] is None and c["lat"] is None
            continue
        p = Point(c["lon"], c["lat"])
        assert boundary.covers(p)
        assert sum(g.covers(p) for g in geoms) == 1


def test_locations_cluster_around_settlements(cases):
    # Houses cluster: many reports lie within ~300 m of another one.
    points = [Point(c["lon"], c["lat"]) for c in cases if c["lon"] is not None]
    near = sum(any(p is not q and p.distance(q) < 0.003 for q in points) for p in points)
    assert near / len(points) > 0.7


def _identity(case):
    """What a case is, as opposed to when things happened to it."""
    return tuple(case[k] for k in ("category", "lon", "lat", "description", "reporter_name",
                                   "reporter_phone"))


# Every hour of one week, in Thai time: the hour of day and the weekday decide which steps of
# the office's working hours have happened, so the demo's promises are checked at each.
WEEK = [datetime(2026, 11, 23, tzinfo=LOCAL) + timedelta(hours=h) for h in range(7 * 24)]


@pytest.mark.parametrize("now", WEEK, ids=lambda now: now.strftime("%a-%H"))
def test_promises_hold_at_every_hour(now, cases):
    """What the other tests rely on (tests/test_demo.py, the demo template of conftest.py)
    and what a dispatcher trying the demo expects, whenever it is built. Building it at
    another moment moves its cases in time; it never swaps them for others."""
    at_now, cases = cases, demo_cases(now)
    assert Counter(map(_identity, cases)) == Counter(map(_identity, at_now))
    assert len(cases) == 300 and cases == sorted(cases, key=lambda c: c["created_at"])
    for c in cases:
        assert c["created_at"].utcoffset() == timedelta(0)
        assert now - timedelta(days=90) <= c["created_at"] < now
    assert age_days(cases[0], now) >= 60  # the oldest case is about three months old

    statuses = Counter(c["status"] for c in cases)
    assert set(statuses) <= OPEN | CLOSED
    assert statuses["new"] >= 3  # always cases waiting to be accepted
    assert statuses["resolved"] > len(cases) / 2
    assert statuses["rejected"] > 0 and statuses["duplicate"] > 0
    assert statuses["in_progress"] > 0 and statuses["assigned"] > 0
    assert statuses["info_requested"] > 0
    old = [c for c in cases if age_days(c, now) > 30]
    assert sum(c["status"] in CLOSED for c in old) / len(old) > 0.8
    recent = [c for c in cases if age_days(c, now) < 2]
    assert recent and sum(c["status"] in OPEN for c in recent) / len(recent) > 0.5
    waiting = [c for c in cases if c["status"] == "new"]
    assert not {c["category"] for c in waiting[-3:]} & {"ems", "fire", "disaster"}

    for c in cases:
        history = c["history"]
        action, from_status, to_status, offset, public, note = history[0]
        assert (action, from_status, to_status, offset, public) == ("report", None, "new", timedelta(0), True)
        assert note.startswith("รับแจ้งเรื่อง")
        for prev, step in zip(history, history[1:], strict=False):
            action, from_status, to_status, offset, public, note = step
            allowed_from, allowed_to = TRANSITIONS[action]
            assert from_status == prev[2] and from_status in allowed_from and to_status == allowed_to
            assert offset > prev[3]
            assert isinstance(public, bool) and isinstance(note, str) and note
        assert history[-1][2] == c["status"]
        assert c["created_at"] + history[-1][3] <= now
        if c["category"] == "drug_tip":  # drug tips protect the reporter
            assert not any(step[4] for step in history[1:])

    accept = [s[3] for c in cases for s in c["history"] if s[0] == "accept"]
    resolve = [c["history"][-1][3] for c in cases if c["status"] == "resolved"]
    assert statistics.median(accept) < timedelta(hours=2)
    assert timedelta(days=1) <= statistics.median(resolve) <= timedelta(days=10)


def test_some_resolved_cases_are_rated_and_a_few_reopened(cases):
    resolved = [c for c in cases if c["status"] == "resolved"]
    rated = [c for c in resolved if c["rating"]]
    assert 0.4 <= len(rated) / len(resolved) <= 0.8
    stars = Counter(c["rating"]["stars"] for c in rated)
    assert set(stars) <= {1, 2, 3, 4, 5} and stars[1] + stars[2] > 0
    assert (stars[4] + stars[5]) / len(rated) > 0.6  # mostly content
    for c in rated:  # low marks say why, in Thai; rated after the last resolution
        assert len(c["rating"]["comment"]) <= 1000
        if c["rating"]["stars"] <= 2:
            assert re.search("[ก-๙]", c["rating"]["comment"])
        assert c["created_at"] + c["history"][-1][3] + c["rating"]["after"] < NOW
    assert all(c["rating"] is None for c in cases if c["status"] != "resolved")
    reopened = [c for c in cases if any(step[0] == "not_fixed" for step in c["history"])]
    assert 1 <= len(reopened) <= 0.15 * len(cases)


def test_deterministic():
    assert demo_cases(NOW) == demo_cases(NOW)
    assert demo_cases(NOW, seed=1) != demo_cases(NOW)


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        demo_cases(datetime(2026, 3, 7, 14, 0))
