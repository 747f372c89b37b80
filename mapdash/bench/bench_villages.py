"""The village layer every map page reads: counts of open cases per village."""
from sqlalchemy.orm import Session

from mapdash.maps import geo
from mapdash.office.orgs import find_organization


def run(ctx) -> None:
    client = ctx.app.test_client()
    with Session(ctx.app.extensions["db_engine"]) as session:
        org = find_organization(session)
        assert org is not None  # the bench database holds the demo tambon
        ctx.measure("GET /api/villages.geojson (13 villages, open counts)",
                    lambda: client.get("/api/villages.geojson"),
                    sql=lambda: geo.villages_geojson(session, org.id), floor_ms=20)
