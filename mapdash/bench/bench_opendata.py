"""Open data: full CSV and GeoJSON exports of every public case (streamed), and a filtered one."""
from sqlalchemy.orm import Session

from mapdash.maps import opendata
from mapdash.maps.public_cases import CaseFilter
from mapdash.office.orgs import find_organization


def run(ctx) -> None:
    client = ctx.app.test_client()
    engine = ctx.app.extensions["db_engine"]
    with Session(engine) as session:
        org = find_organization(session)

    sizes = {}

    def download(url):
        response = client.get(url, buffered=False)
        sizes[url] = sum(len(chunk) for chunk in response.response)
        response.close()

    def rows_only():
        return sum(len(chunk) for chunk in opendata.csv_chunks(
            engine.connect(), org.id, CaseFilter(), "http://localhost/track/"))

    def first_piece(url):
        response = client.get(url, buffered=False)
        size = len(next(iter(response.response)))
        response.close()  # the client goes: the COPY is cancelled
        return size

    every = f"all {ctx.incidents:,}+ cases"
    # A whole export of 10M cases takes minutes: timed once, without a warm-up, past 1M.
    whole = {"repeat": 5, "warmup": 3} if ctx.incidents <= 1_000_000 else {"repeat": 1, "warmup": 0}
    ctx.measure(f"first piece of GET /api/opendata/cases.csv ({every})",
                lambda: first_piece("/api/opendata/cases.csv"), floor_ms=1000, repeat=5)
    floor = ctx.incidents / 50  # 20 µs per case: a million in 20 s (GeoJSON, twice as big: 40)
    ctx.measure(f"GET /api/opendata/cases.csv ({every})",
                lambda: download("/api/opendata/cases.csv"), sql=rows_only, floor_ms=floor, **whole)
    print(f"  (one CSV export: {sizes['/api/opendata/cases.csv'] / 1e6:.1f} MB)", flush=True)
    ctx.measure(f"GET /api/opendata/cases.geojson ({every})",
                lambda: download("/api/opendata/cases.geojson"), floor_ms=2 * floor, **whole)
    ctx.measure("GET /api/opendata/cases.csv?village=3&status=open (filtered)",
                lambda: download("/api/opendata/cases.csv?village=3&status=open"),
                floor_ms=200, repeat=10)
