"""The citizens' side: sending a report, the duplicate hint, the place check, one phone photo,
and the public list and map, with the table full of synthetic cases. The Thai description
sent is demo data, like mapdash/demo/data.py's."""
import io
import itertools

from PIL import Image
from sqlalchemy.orm import Session

from mapdash.cases import intake, photos
from mapdash.maps import public_cases
from mapdash.office.orgs import find_organization

PIN = {"lat": "17.3512", "lon": "104.6213"}  # village 1 of the demo tambon


def twelve_megapixel_jpeg() -> bytes:
    """4000 x 3000, like a phone's camera: smooth light with sensor noise, EXIF orientation."""
    size = (4000, 3000)
    light = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.effect_noise(size, 40).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.blend(light, noise, 0.3).save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def run(ctx) -> None:
    client = ctx.app.test_client()
    keys = (f"bench-report-{n:012d}" for n in itertools.count())

    def post_report():
        response = client.post("/report/streetlight", data={
            **PIN, "description": "ไฟดับหน้าวัด", "idempotency_key": next(keys)})
        assert response.status_code == 303, response.status_code

    with Session(ctx.app.extensions["db_engine"]) as session, ctx.app.app_context():
        org = find_organization(session)
        assert org is not None  # the bench database holds the demo tambon

        def create_directly():
            intake.create_incident(session, intake.Report(
                "streetlight", PIN["lon"], PIN["lat"], description="ไฟดับหน้าวัด",
                idempotency_key=next(keys)))
            session.rollback()

        ctx.measure(f"POST /report/streetlight, no photo ({ctx.incidents:,} cases)", post_report,
                    sql=create_directly, floor_ms=50)
        ctx.measure("GET /api/nearby (open cases of the type within 100 m)",
                    lambda: client.get("/api/nearby?type=streetlight&lon=104.6213&lat=17.3512"),
                    sql=lambda: intake.nearby_open_cases(session, "streetlight", 104.6213, 17.3512),
                    floor_ms=20)
        ctx.measure("GET /api/locate (village of a pin)",
                    lambda: client.get("/api/locate?lon=104.6213&lat=17.3512"),
                    sql=lambda: intake.locate(session, 104.6213, 17.3512), floor_ms=20)
        newest = public_cases.CaseFilter()
        ctx.measure("GET /cases (public list, newest 50, map page)", lambda: client.get("/cases"),
                    sql=lambda: public_cases.list_cases(session, org.id, newest), floor_ms=100)
        ctx.measure("GET /api/public/cases.geojson (newest 2,000)",
                    lambda: client.get("/api/public/cases.geojson"),
                    sql=lambda: public_cases.cases_geojson(session, org.id, newest), floor_ms=200,
                    repeat=20)

    photo = twelve_megapixel_jpeg()
    ctx.measure("process one 12-megapixel photo (check, turn, strip, thumb)",
                lambda: photos.process_image(photo), floor_ms=300, repeat=20)
