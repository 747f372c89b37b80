"""The status page, the public list and map, the citizens' JSON: what they show, and that
sensitive cases and reporters' contacts never appear in any of them."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import qrcode
import qrcode.image.svg
from sqlalchemy import select

from mapdash.cases import photos, workflow
from mapdash.i18n import BE_OFFSET, LOCAL_TZ, format_date
from mapdash.models import Incident, User
from tests import photo_samples as samples
from tests.factories import make_incident

NAME, PHONE, LINE_ID = "สมชาย ลับมาก", "0811111111", "somchai.secret.line"
EMAIL = "somchai.secret@example.org"
LINE_USER = "U0123456789abcdef0123456789abcdef"  # LINE's userId, from a signed LINE link


@pytest.fixture
def cases(demo_app, demo_session):
    """A public streetlight with a photo and a drug tip, both with the reporter's contact."""
    contact = dict(reporter_name=NAME, reporter_phone=PHONE, reporter_line_id=LINE_ID,
                   reporter_email=EMAIL, reporter_line_user=LINE_USER)
    with demo_app.app_context():
        public = make_incident(demo_session, lon=104.62, lat=17.35, description="ไฟดับ", **contact)
        photos.store_photo(demo_session, public, photos.process_image(samples.jpeg()), "report")
        secret = make_incident(demo_session, category="drug_tip", lon=104.621, lat=17.351, **contact)
        photos.store_photo(demo_session, secret, photos.process_image(samples.jpeg()), "report")
        demo_session.commit()
    return {"public": public, "secret": secret}


def text_of(client, path, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_status_page_shows_type_village_department_due_date_and_timeline(demo_client, cases):
    case = cases["public"]
    page = text_of(demo_client, f"/track/{case.tracking_code}")
    assert "ไฟฟ้าส่องสว่างดับ" in page and "หมู่ 1 บ้านโนนสวรรค์" in page and "กองช่าง" in page
    # seed 001: 5+5+5+5+10 minutes, about 7 days of work, 30 minutes to report back
    due = case.created_at + timedelta(minutes=5 + 5 + 5 + 5 + 10 + 7 * 24 * 60 + 30)
    assert f'id="due">{format_date(due, lang="th")}\n' in page  # a date, e.g. "20 พ.ย. 2569"
    assert "คาดว่าจะแล้วเสร็จ" in page and "รับแจ้งเรื่อง" in page
    assert f"/photos/{case.photos[0].id}/thumb" in page
    assert f'src="/track/{case.tracking_code}/qr.svg"' in page


def test_the_timeline_follows_the_staff_in_thai_with_buddhist_era_dates(demo_client, demo_session,
                                                                         cases):
    case = cases["public"]
    dispatcher = demo_session.scalars(select(User).where(User.role == "dispatcher")).first()
    at = datetime(2026, 3, 5, 2, 30, tzinfo=UTC)  # 09:30 in Bangkok
    workflow.perform(demo_session, case.id, "accept", dispatcher, now=at)
    workflow.perform(demo_session, case.id, "request_info", dispatcher, now=at,
                     note="ขอรูปเสาไฟเพิ่ม <b>ด้วยครับ</b>")
    workflow.perform(demo_session, case.id, "comment", dispatcher, now=at, note="internal: call him")
    demo_session.commit()
    page = text_of(demo_client, f"/track/{case.tracking_code}")
    assert "5 มี.ค. 2569 09:30" in page
    assert "เจ้าหน้าที่รับเรื่องแล้ว" in page and "เจ้าหน้าที่ขอข้อมูลเพิ่มเติม" in page
    assert "ขอรูปเสาไฟเพิ่ม &lt;b&gt;ด้วยครับ&lt;/b&gt;" in page
    assert "internal: call him" not in page  # staff-only events stay inside
    english = text_of(demo_client, f"/track/{case.tracking_code}?lang=en")
    assert "5 Mar 2026 09:30" in english and "Accepted by the staff" in english
    assert "Streetlight out" in english and "Engineering Division" in english


def test_an_emergency_is_due_within_hours(demo_client, demo_session):
    case = make_incident(demo_session, category="fire", lon=104.62, lat=17.35)
    demo_session.commit()
    due = case.created_at + timedelta(minutes=1 + 2 + 5 + 5 + 10 + 60 + 30)
    page = text_of(demo_client, f"/track/{case.tracking_code}")
    assert f'id="due">{format_date(due, with_time=True, lang="th")}\n' in page  # with the hour


def test_codes_are_found_however_they_are_typed(demo_client, cases):
    code = cases["public"].tracking_code
    response = demo_client.get(f"/track?code={code.lower().replace('-', ' ')}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/track/{code}")
    response = demo_client.get(f"/track/{code.lower()}")
    assert response.status_code == 301 and response.headers["Location"].endswith(f"/track/{code}")


def test_an_unknown_code_says_so_in_both_languages(demo_client):
    response = demo_client.get("/track/ZZZZ-ZZZZ")
    body = response.get_data(as_text=True)
    assert response.status_code == 404 and "ไม่พบเรื่องที่มีรหัสนี้" in body and "No case has this code" in body


def test_the_qr_code_is_an_svg_of_the_status_link(demo_client, cases):
    code = cases["public"].tracking_code
    response = demo_client.get(f"/track/{code}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    link = f"http://localhost/track/{code}"
    assert f'href="{link}"' in text_of(demo_client, f"/track/{code}")
    expected = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    assert response.data.decode() == expected.to_string(encoding="unicode")


def test_a_sensitive_case_shows_its_status_to_whoever_has_the_code_but_no_place_or_photo(
        demo_client, cases):
    page = text_of(demo_client, f"/track/{cases['secret'].tracking_code}")
    assert "เบาะแสยาเสพติด" in page and "รอรับเรื่อง" in page
    assert "/photos/" not in page and "บ้านโนนสวรรค์" not in page


def test_the_public_list_filters_by_type_village_and_status(demo_client, demo_session, cases):
    everything = text_of(demo_client, "/cases")
    assert cases["public"].tracking_code in everything
    roads = text_of(demo_client, "/cases?type=road")
    assert "ไฟฟ้าส่องสว่างดับ</td>" not in roads and "ทางชำรุด</td>" in roads
    village = text_of(demo_client, "/cases?village=1&status=new&type=streetlight")
    assert cases["public"].tracking_code in village
    rows = re.findall(r'<td data-label="หมู่บ้าน">([^<]*)</td>', village)
    assert rows and all(row.startswith("หมู่ 1 ") for row in rows)
    assert cases["public"].tracking_code not in text_of(demo_client, "/cases?status=resolved")
    assert cases["public"].tracking_code not in text_of(demo_client, "/cases?village=2")
    assert "เก่ากว่า" in everything  # 300 demo cases: more than one page
    assert "ใหม่กว่า" in text_of(demo_client, "/cases?page=2")


@pytest.mark.parametrize("query", ["village=abc", "status=lost", "village=-1",
                                   "village=%C2%B2", "village=" + "9" * 5000])
def test_a_bad_filter_is_a_400_not_a_500(demo_client, query):
    response = demo_client.get(f"/cases?{query}")
    assert response.status_code == 400
    assert demo_client.get(f"/api/public/cases.geojson?{query}").status_code == 400


@pytest.mark.parametrize("page", ["%C2%B2", "9" * 5000, "-1", "0", "x"])
def test_an_odd_page_number_shows_the_first_page(demo_client, page):
    assert demo_client.get(f"/cases?page={page}").status_code == 200


def test_thai_digits_choose_a_village(demo_client):
    assert demo_client.get("/cases?village=%E0%B9%93").status_code == 200  # ๓


def test_the_public_map_gets_geojson_built_by_postgres(demo_client, cases):
    collection = demo_client.get("/api/public/cases.geojson?type=streetlight").get_json()
    assert collection["type"] == "FeatureCollection" and collection["truncated"] is False
    feature = next(f for f in collection["features"]
                   if f["properties"]["code"] == cases["public"].tracking_code)
    assert feature["geometry"] == {"type": "Point", "coordinates": [104.62, 17.35]}
    assert feature["properties"]["village_number"] == 1
    assert {f["properties"]["category"] for f in collection["features"]} == {"streetlight"}


def test_sensitive_cases_never_appear_in_public(demo_client, demo_session, cases):
    code = cases["secret"].tracking_code
    assert demo_session.scalar(select(Incident.id).where(Incident.tracking_code == code))
    for path in ("/", "/cases", "/cases?type=drug_tip", "/api/public/cases.geojson",
                 "/api/public/cases.geojson?type=drug_tip",
                 "/api/nearby?type=drug_tip&lon=104.621&lat=17.351"):
        assert code not in text_of(demo_client, path)
    for path in ("/cases", "/api/public/cases.geojson"):  # not even offered as a filter
        body = text_of(demo_client, path)
        assert "drug_tip" not in body and "เบาะแสยาเสพติด" not in body
    assert demo_client.get(f"/photos/{cases['secret'].photos[0].id}").status_code == 404


def test_no_name_phone_or_line_id_in_any_public_page_or_api(demo_client, demo_session, cases):
    code = cases["public"].tracking_code
    demo_client.post(f"/track/{code}/follow")  # refused without CSRF: changes nothing
    paths = ["/", "/cases", "/cases?type=streetlight&village=1", f"/track/{code}",
             f"/track/{cases['secret'].tracking_code}", f"/track/{code}/qr.svg",
             "/api/public/cases.geojson", "/api/nearby?type=streetlight&lon=104.62&lat=17.35",
             "/api/locate?lon=104.62&lat=17.35", "/api/villages.geojson",
             "/report/streetlight", f"/photos/{cases['public'].photos[0].id}",
             "/?lat=17.35&lon=104.62", "/report/streetlight?lat=17.35&lon=104.62",
             "/api/opendata/cases.csv", "/api/opendata/cases.geojson",
             "/api/opendata/cases.csv?type=streetlight&village=1&status=new",
             "/open311/v2/requests.xml", "/open311/v2/requests.json",
             f"/open311/v2/requests/{code}.xml", f"/open311/v2/requests/{code}.json",
             f"/open311/v2/requests.json?service_request_id={cases['secret'].tracking_code}",
             "/open311/v2/services.xml", "/open311/v2/services/ems.json",
             f"/reply/{code}"]  # no signed link: refused, and says nothing of the case
    for path in paths:
        for lang in ("th", "en"):
            joiner = "&" if "?" in path else "?"
            body = demo_client.get(f"{path}{joiner}lang={lang}").data
            for private in (NAME, PHONE, LINE_ID, EMAIL, LINE_USER):
                assert private.encode() not in body, (path, private)
                assert private.encode("unicode_escape") not in body, (path, private)  # in JSON


def test_locate_names_the_village_of_a_point_or_says_outside(demo_client):
    inside = demo_client.get("/api/locate?lon=104.62&lat=17.35").get_json()
    assert inside["inside"] is True and inside["village"]["number"] == 1
    assert inside["organization"]["slug"] == "demo-tambon"
    outside = demo_client.get("/api/locate?lon=100.5018&lat=13.7563").get_json()
    assert outside == {"inside": False, "message_th": "ตำแหน่งนี้อยู่นอกพื้นที่ที่ระบบนี้ให้บริการ",
                       "message_en": "This place is outside every area this service covers"}
    for query in ("lon=abc&lat=17", "lon=NaN&lat=17", "lon=104&lat=95", "lon=104"):
        response = demo_client.get(f"/api/locate?{query}")
        assert response.status_code == 400
        assert response.get_json()["message_th"] and response.get_json()["message_en"]


def test_nearby_lists_open_cases_of_the_type_within_100_m(demo_client, cases):
    answer = demo_client.get("/api/nearby?type=streetlight&lon=104.6205&lat=17.3502").get_json()
    [case] = [c for c in answer["cases"] if c["code"] == cases["public"].tracking_code]
    assert case["distance_m"] < 100 and case["url"] == f"/track/{case['code']}"
    assert case["thumb_url"] == f"/photos/{cases['public'].photos[0].id}/thumb"
    assert case["reported_th"] == format_date(cases["public"].created_at, lang="th")
    assert case["reported_th"].endswith(str(cases["public"].created_at.astimezone(LOCAL_TZ).year + BE_OFFSET))
    far = demo_client.get("/api/nearby?type=streetlight&lon=104.63&lat=17.35").get_json()
    assert cases["public"].tracking_code not in [c["code"] for c in far["cases"]]
    missing = demo_client.get("/api/nearby?lon=104.62&lat=17.35")
    assert missing.status_code == 400 and missing.get_json()["error"] == "missing_category"


def test_the_home_page_leads_to_each_report_form(demo_client):
    page = text_of(demo_client, "/")
    assert 'href="/report/streetlight"' in page and 'href="/report/ems"' in page
    assert page.index('href="tel:1669"') < page.index('href="/report/streetlight"')
    assert 'action="/track"' in page and 'href="/cases"' in page


def test_the_reporters_answer_to_a_question_is_not_on_the_status_page(demo_client, demo_session,
                                                                      cases):
    case = cases["public"]
    dispatcher = demo_session.scalars(select(User).where(User.role == "dispatcher")).first()
    workflow.perform(demo_session, case.id, "request_info", dispatcher, note="เสาต้นไหนครับ")
    workflow.perform(demo_session, case.id, "reply", None, note=f"หน้าบ้านผม โทร {PHONE}")
    demo_session.commit()
    for lang, label in (("th", "ได้รับข้อมูลเพิ่มเติมจากผู้แจ้งแล้ว"),
                        ("en", "More information received from the reporter")):
        page = text_of(demo_client, f"/track/{case.tracking_code}?lang={lang}")
        assert label in page and "เสาต้นไหนครับ" in page
        assert PHONE not in page and "หน้าบ้านผม" not in page
