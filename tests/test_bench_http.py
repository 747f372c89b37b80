"""`make bench-http`'s load generator (mapdash/bench/loadgen.py) against a tiny local HTTP
server: it keeps to its connections and its time, counts answers and errors, and its
percentiles are the inclusive ones of the bench tables. And the national layout of the
bench database (BENCH_LAYOUT). The benches themselves (gunicorn, tipg) are not run here."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text

from mapdash.bench import percentile
from mapdash.bench.database import organizations_for
from mapdash.bench.loadgen import run_load
from mapdash.demo.synthetic import add_national_organizations, seed_synthetic
from mapdash.office.orgs import find_organization

BODY = b'{"type": "FeatureCollection", "features": []}'
DELAY_S = 0.02


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = self.answered = 0
        self.connections: set[int] = set()
        self.arrivals: list[float] = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn and uvicorn answer

    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
            server.connections.add(self.client_address[1])
            server.arrivals.append(time.monotonic())
        time.sleep(DELAY_S)
        status = 500 if self.path.startswith("/fail") else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/geo+json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
        with server.lock:
            server.in_flight -= 1
            server.answered += 1

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_percentiles_are_the_inclusive_ones():
    samples = [float(n) for n in range(100, 0, -1)]  # 100 .. 1, unsorted on purpose
    assert percentile(samples, 50) == pytest.approx(50.5)
    assert percentile(samples, 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0], 95) == pytest.approx(59.05)


def test_bounded_load_keeps_to_its_connections_and_time(server):
    url = f"http://127.0.0.1:{server.server_port}/api/x.geojson?bbox=1,2,3,4"
    result = run_load(url, headers={"Accept-Encoding": "gzip"}, connections=3, seconds=0.8,
                      warmup=0.2, processes=2)
    # Bounded in time: every request was asked within the warm-up and the window (and a
    # margin for the processes' start), none after run_load returned.
    answered = server.answered
    assert max(server.arrivals) - min(server.arrivals) <= 0.2 + 0.8 + 0.5
    time.sleep(0.1)
    assert server.answered == answered
    assert server.most_in_flight <= 3  # never more requests at once than connections
    assert len(server.connections) <= 3 + result.errors  # keep-alive: no new connection per request
    assert result.errors == 0 and result.first_error is None
    # Each connection waits DELAY_S per answer: at most 3 / DELAY_S answers a second.
    assert 0 < result.requests <= server.answered
    assert result.rps == pytest.approx(result.requests / 0.8)
    assert result.rps <= 3 / DELAY_S * 1.05
    assert result.mean_bytes == len(BODY)
    assert DELAY_S * 1000 <= result.p(50) <= result.p(95) <= max(result.latencies_ms)
    assert result.p(95) == percentile(result.latencies_ms, 95)


def test_error_answers_are_counted_not_timed(server):
    result = run_load(f"http://127.0.0.1:{server.server_port}/fail", connections=1,
                      seconds=0.3, warmup=0, processes=1)
    assert result.requests == 0 and result.errors > 0
    assert result.first_error.startswith("HTTP 500")
    assert result.p(95) is None and result.rps == 0


@pytest.mark.parametrize("arguments", [{"connections": 0}, {"connections": 257},
                                       {"seconds": 0}, {"seconds": 121}])
def test_load_is_bounded(arguments):
    with pytest.raises(ValueError):
        run_load("http://127.0.0.1:9/", **arguments)


def test_national_layout_keeps_the_cases_per_organization():
    assert organizations_for("single", 10_000_000) == 1
    assert organizations_for("national", 10_000_000) == 7_850
    assert organizations_for("national", 1_000_000) == 785
    assert organizations_for("national", 100_000) == 79
    assert organizations_for("national", 500) == 1
    assert organizations_for("national", 50_000_000) == 7_850


def test_national_layout_copies_the_tambon_side_by_side(demo_session):
    """Copies with 13 villages, departments and case types each, touching the demo tambon
    at most along an edge; the cases spread evenly, each in a village of its own case's
    organization, of a type and department of that organization."""
    demo = find_organization(demo_session)
    ids = [demo.id, *add_national_organizations(demo_session, 3, demo.id)]
    assert seed_synthetic(demo_session, 1_300, organization_ids=ids) == 1_300
    per_org = demo_session.execute(text("""
        SELECT o.id, (SELECT count(*) FROM villages v WHERE v.organization_id = o.id),
               (SELECT count(*) FROM categories c WHERE c.organization_id = o.id),
               (SELECT count(*) FROM incidents i WHERE i.organization_id = o.id
                  AND i.tracking_code LIKE 'SYN-%'),
               ST_Area(ST_Intersection(o.boundary, d.boundary)) = 0 OR o.id = d.id
        FROM organizations o, organizations d WHERE d.id = :demo AND o.id = ANY(:ids)
        ORDER BY o.id"""), {"demo": demo.id, "ids": ids}).all()
    categories = per_org[0][2]
    assert [row[1:] for row in per_org] == [(13, categories, 325, True)] * 4
    astray = demo_session.scalar(text("""
        SELECT count(*) FROM incidents i
        JOIN villages v ON v.id = i.village_id
        JOIN categories c ON c.id = i.category_id
        JOIN departments d ON d.id = i.department_id
        WHERE i.tracking_code LIKE 'SYN-%' AND NOT (
            ST_Covers(v.geom, i.location) AND v.organization_id = i.organization_id
            AND c.organization_id = i.organization_id AND d.organization_id = i.organization_id
            AND d.id = c.department_id)"""))
    assert astray == 0
