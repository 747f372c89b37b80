"""A synthetic demo tambon: boundary, 13 villages and a few hundred past cases.

Pure Python and deterministic, so a demo database, screenshots and tests all see the same
data. Nothing here describes a real place or person: the names are generic, the outline is
made up, and the phone numbers sit in a 000 block.
"""
import math
import random
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon

DEMO_ORG = {"slug": "demo-tambon", "kind": "tambon",
            "name_th": "อบต.ตัวอย่าง (ข้อมูลสาธิต)", "name_en": "Demo Tambon (synthetic data)"}

# Near the GPS position quoted in the EMS form of seed 000.
_CENTRE = (104.62, 17.35)
_KM_PER_DEG_LON = 111.32 * math.cos(math.radians(_CENTRE[1]))
_KM_PER_DEG_LAT = 110.57

# Distance (km) of the boundary from the centre every 12 degrees, counter-clockwise from
# east: uneven on purpose, so the outline looks like a real tambon and not a disc.
_BOUNDARY_RADII_KM = (7.4, 6.8, 6.2, 5.4, 5.6, 6.3, 6.9, 6.5, 5.9, 6.2, 6.8, 7.1, 6.5, 6.1, 5.6,
                      5.3, 6.0, 6.8, 7.0, 6.6, 6.2, 6.9, 7.7, 7.5, 6.6, 6.9, 6.8, 6.1, 6.6, 7.2)

# number, Thai name, romanisation, main settlement (km east/north of the centre), households.
# The settlements are also the Voronoi sites that split the tambon into villages.
_VILLAGES = (
    (1, "บ้านโนนสวรรค์", "Ban Non Sawan", (0.3, 0.2), 310),
    (2, "บ้านหนองแวง", "Ban Nong Waeng", (2.6, 1.4), 220),
    (3, "บ้านดอนแดง", "Ban Don Daeng", (-1.9, 2.5), 180),
    (4, "บ้านโคกสูง", "Ban Khok Sung", (-2.8, -0.9), 160),
    (5, "บ้านนาคำ", "Ban Na Kham", (0.8, -2.7), 200),
    (6, "บ้านหนองบัว", "Ban Nong Bua", (3.2, -1.6), 150),
    (7, "บ้านห้วยทราย", "Ban Huai Sai", (4.7, 1.1), 120),
    (8, "บ้านโพนทอง", "Ban Phon Thong", (2.0, 4.0), 140),
    (9, "บ้านนาเจริญ", "Ban Na Charoen", (-1.1, 4.6), 110),
    (10, "บ้านดงมะไฟ", "Ban Dong Mafai", (-4.3, 2.1), 130),
    (11, "บ้านหนองสองห้อง", "Ban Nong Song Hong", (-4.4, -3.2), 100),
    (12, "บ้านโนนสะอาด", "Ban Non Sa-at", (-1.2, -5.0), 120),
    (13, "บ้านศรีสุข", "Ban Si Suk", (3.4, -4.3), 90),
)


def _lonlat(x_km: float, y_km: float) -> tuple[float, float]:
    return (round(_CENTRE[0] + x_km / _KM_PER_DEG_LON, 6),
            round(_CENTRE[1] + y_km / _KM_PER_DEG_LAT, 6))


@lru_cache(maxsize=1)
def _boundary() -> Polygon:
    step = 2 * math.pi / len(_BOUNDARY_RADII_KM)
    return Polygon([_lonlat(r * math.cos(i * step), r * math.sin(i * step))
                    for i, r in enumerate(_BOUNDARY_RADII_KM)])


def tambon_boundary() -> MultiPolygon:
    """The demo tambon's outline, EPSG:4326 lon/lat."""
    return MultiPolygon([_boundary()])


@lru_cache(maxsize=1)
def _village_geoms() -> tuple[MultiPolygon, ...]:
    boundary = _boundary()
    sites = [Point(_lonlat(*site)) for _, _, _, site, _ in _VILLAGES]
    cells = shapely.voronoi_polygons(MultiPoint(sites), extend_to=boundary).geoms
    # Neighbouring Voronoi cells share their edge vertices exactly, and clipping each cell
    # by the same outline computes the same cut points, so the villages tile the tambon
    # without slivers (tests/test_demo_data.py checks this).
    by_site = [next(c for c in cells if c.contains(s)) for s in sites]
    return tuple(MultiPolygon([cell.intersection(boundary)]) for cell in by_site)


def villages() -> list[dict]:
    return [{"number": n, "name_th": th, "name_en": en, "geometry": geom}
            for (n, th, en, _, _), geom in zip(_VILLAGES, _village_geoms(), strict=True)]


@lru_cache(maxsize=1)
def _settlements() -> tuple[tuple[tuple[float, float], ...], ...]:
    """Per village: the main settlement and two smaller clusters of houses (fixed, not seeded:
    houses do not move between demo runs)."""
    rng = random.Random(13)
    result = []
    for (_, _, _, site, _), geom in zip(_VILLAGES, _village_geoms(), strict=True):
        shapely.prepare(geom)
        centres = [_lonlat(*site)]
        minx, miny, maxx, maxy = geom.bounds
        while len(centres) < 3:
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            # Keep clusters away from the village edge, so their houses stay in the village.
            if geom.contains(p) and geom.boundary.distance(p) > 0.004:
                centres.append((p.x, p.y))
        result.append(tuple(centres))
    return tuple(result)


# code: (weight, department that acts on it, descriptions, note when resolved)
_CATEGORIES = {
    "streetlight": (24, "กองช่าง", (
        "ไฟฟ้าส่องสว่างดับ {n} ต้น {place}",
        "ไฟทางกะพริบทั้งคืน {place}",
        "เสาไฟเอียงเกือบล้ม {place} เกรงจะเป็นอันตราย",
        "ไฟกิ่งดับทั้งซอย มืดมาก เด็กกลับจากโรงเรียนไม่ปลอดภัย",
    ), "เปลี่ยนหลอดไฟและตรวจซ่อมเรียบร้อยแล้ว"),
    "road": (20, "กองช่าง", (
        "ถนนเป็นหลุมลึก รถจักรยานยนต์ล้ม {place}",
        "ถนนลูกรังเป็นร่องน้ำหลังฝนตก สัญจรลำบาก",
        "ถนนคอนกรีตแตกร้าว ทรุดตัว {place}",
        "ท่อระบายน้ำอุดตัน น้ำท่วมขังถนน {place}",
        "กิ่งไม้หักขวางถนน {place}",
    ), "ซ่อมแซมถนนเรียบร้อยแล้ว"),
    "water": (18, "กองช่าง", (
        "ท่อประปาแตก น้ำไหลนอง {place}",
        "น้ำประปาไม่ไหลมา {n} วันแล้ว",
        "น้ำประปาขุ่น มีตะกอน ใช้อุปโภคไม่ได้",
        "น้ำประปาไหลอ่อนมาก ช่วงเย็นไม่มีน้ำใช้",
        "มาตรวัดน้ำรั่ว {place}",
    ), "ซ่อมท่อประปาเรียบร้อย น้ำไหลปกติแล้ว"),
    "nuisance": (8, "กองสาธารณสุขและสิ่งแวดล้อม", (
        "เผาขยะส่งกลิ่นเหม็นและควันรบกวน {place}",
        "เสียงดังจากร้านคาราโอเกะเกินเที่ยงคืน",
        "ฟาร์มหมูส่งกลิ่นเหม็น น้ำเสียไหลลงลำห้วย",
        "สุนัขจรจัดจำนวนมาก ไล่กัดเด็ก {place}",
        "ขยะตกค้างไม่มีการเก็บ {n} วัน {place}",
    ), "ตรวจสอบและแจ้งผู้ก่อเหตุให้แก้ไขแล้ว"),
    "complaint": (6, "งานนิติการ", (
        "ร้องเรียนการก่อสร้างถนนไม่ได้มาตรฐาน {place}",
        "ร้องเรียนเจ้าหน้าที่ให้บริการล่าช้า",
        "ร้องเรียนผู้รับเหมาทิ้งวัสดุก่อสร้างกีดขวางทาง {place}",
        "ร้องเรียนการเก็บค่าขยะไม่เป็นธรรม",
    ), "ตรวจสอบข้อเท็จจริงและแจ้งผลให้ผู้ร้องทราบแล้ว"),
    "info_request": (5, "สำนักปลัด", (
        "ขอทราบกำหนดการจ่ายเบี้ยยังชีพผู้สูงอายุเดือนนี้",
        "ขอสำเนาประกาศผลการจัดซื้อจัดจ้างโครงการก่อสร้างถนน",
        "สอบถามขั้นตอนการขออนุญาตก่อสร้างอาคาร",
        "ขอข้อมูลงบประมาณโครงการพัฒนาหมู่ {v}",
        "สอบถามการชำระภาษีที่ดินและสิ่งปลูกสร้าง",
    ), "ส่งข้อมูลที่ขอให้ผู้แจ้งแล้ว"),
    "dev_plan": (5, "สำนักปลัด", (
        "เสนอก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ {v}",
        "เสนอขุดลอกหนองน้ำสาธารณะเพื่อใช้ในการเกษตร",
        "เสนอติดตั้งไฟส่องสว่างพลังงานแสงอาทิตย์ถนนเข้านา",
        "เสนอขยายเขตประปาหมู่บ้านไปยังคุ้มใหม่",
        "เสนอก่อสร้างรางระบายน้ำ {place}",
    ), "นำเข้าที่ประชุมประชาคมเพื่อพิจารณาบรรจุในแผนพัฒนาท้องถิ่นแล้ว"),
    "appointment": (4, "สำนักปลัด", (
        "ขอนัดพบนายก อบต. เรื่องปัญหาที่ดินสาธารณะ",
        "ขอนัดยื่นเอกสารลงทะเบียนเบี้ยยังชีพผู้สูงอายุ",
        "ขอนัดเจ้าหน้าที่กองช่างตรวจสอบพื้นที่ก่อนก่อสร้าง",
        "ขอนัดชำระภาษีป้ายล่วงหน้า",
    ), "ยืนยันวันและเวลานัดหมายกับผู้แจ้งแล้ว"),
    "disaster": (3, "งานป้องกันและบรรเทาสาธารณภัย", (
        "น้ำท่วมขังสูงครึ่งเมตร บ้านเรือนได้รับผลกระทบ {n} หลัง",
        "พายุพัดหลังคาบ้านเสียหาย {n} หลัง",
        "ต้นไม้ใหญ่ล้มทับบ้านเรือนจากลมพายุ {place}",
        "น้ำป่าไหลหลาก ถนนถูกตัดขาด {place}",
    ), "ลงพื้นที่ช่วยเหลือและสำรวจความเสียหายแล้ว"),
    "ems": (3, "กองสาธารณสุขและสิ่งแวดล้อม", (
        "รถจักรยานยนต์ล้ม มีผู้บาดเจ็บ {n} ราย {place}",
        "ผู้สูงอายุหมดสติในบ้าน ขอรถรับส่งโรงพยาบาล",
        "อุบัติเหตุรถชนกัน {place} ต้องการรถกู้ชีพ",
        "ผู้ป่วยติดเตียงหายใจลำบาก ขอรถพยาบาล",
    ), "นำส่งผู้ป่วยถึงโรงพยาบาลเรียบร้อยแล้ว"),
    "fire": (2, "สำนักปลัด", (
        "ไฟไหม้หญ้าข้างทาง ลุกลามใกล้บ้านเรือน {place}",
        "ไฟไหม้ตอซังข้าวในนา ควันเข้าหมู่บ้าน",
        "ไฟไหม้กองขยะ {place}",
    ), "ควบคุมเพลิงได้แล้ว ไม่มีผู้บาดเจ็บ"),
    "drug_tip": (1, "สำนักปลัด", (
        "พบกลุ่มวัยรุ่นมั่วสุมเสพยาเวลากลางคืน {place}",
        "สงสัยมีการลักลอบจำหน่ายยาเสพติดในหมู่บ้าน",
    ), "ส่งต่อข้อมูลให้หน่วยงานที่เกี่ยวข้องแล้ว"),
}
_EMERGENCY = {"ems", "fire", "disaster"}      # handled at any hour, within minutes
_NO_PLACE = {"info_request", "appointment"}   # nothing to put on the map
_PLACES = ("หน้าวัด", "ใกล้โรงเรียน", "ทางเข้าหมู่บ้าน", "หน้าศาลากลางบ้าน", "ข้างตลาดนัด",
           "ริมถนนสายหลัก", "ใกล้ศูนย์พัฒนาเด็กเล็ก", "ใกล้ร้านค้าชุมชน", "ทางไปทุ่งนา",
           "ข้างหอกระจายข่าว")
_FIRST_NAMES = ("สมชาย", "สมศรี", "บุญมี", "ประยูร", "วันเพ็ญ", "สุดารัตน์", "ทองใบ", "คำปุ่น",
                "อำนาจ", "จันทร์เพ็ญ", "สุริยา", "พิมพ์ใจ", "บัวผัน", "ธนากร", "นงลักษณ์")
_LAST_NAMES = ("ใจดี", "ศรีสุข", "พรมมา", "แก้วมณี", "บุญเรือง", "ทองดี", "สายสุด", "ภูมิใจ",
               "คำมี", "จันทร์หอม")
_REJECT_NOTES = ("ไม่อยู่ในอำนาจหน้าที่ของ อบต. ได้แจ้งหน่วยงานที่รับผิดชอบแล้ว",
                 "ตรวจสอบแล้วไม่พบปัญหาตามที่แจ้ง",
                 "ข้อมูลไม่เพียงพอและติดต่อผู้แจ้งไม่ได้")
# What reporters write with their stars (issue 12), by stars: most are content; low marks
# say why.
_RATING_COMMENTS = {
    5: ("ขอบคุณเจ้าหน้าที่มากค่ะ แก้ไขรวดเร็ว", "บริการดีมาก ประทับใจครับ", "ขอบคุณครับ"),
    4: ("แก้ไขเรียบร้อยดี แต่รอนานไปหน่อย", "ขอบคุณค่ะ"),
    3: ("แก้ได้ แต่ใช้เวลาหลายวัน", "พอใช้ได้ ควรแจ้งความคืบหน้าบ่อยกว่านี้"),
    2: ("ซ่อมแล้วแต่ยังไม่เรียบร้อย ต้องตามหลายครั้ง", "ใช้เวลานานเกินไป"),
    1: ("ยังไม่ได้รับการแก้ไขจริง ปิดเรื่องก่อนซ่อมเสร็จ", "รอนานมาก ไม่มีใครติดต่อกลับเลย"),
}
_NOT_FIXED_NOTES = ("ซ่อมแล้วแต่ใช้ได้ไม่ถึงสองวันก็เสียอีก", "ยังไม่ได้แก้ไข ปัญหายังอยู่ที่เดิม",
                    "เจ้าหน้าที่มาดูแล้วแต่ยังไม่ได้ซ่อม")
_LOCAL = timezone(timedelta(hours=7))  # Thailand: working hours are local
# (opens, closes, days a week from Monday) in local time. The dispatcher answers the alerts on
# a phone every day from early to late; crews and the office work Mon-Fri 08:30-16:30.
_INTAKE = (timedelta(hours=7), timedelta(hours=21), 7)
_OFFICE = (timedelta(hours=8, minutes=30), timedelta(hours=16, minutes=30), 5)


def _working(t: datetime, hours: tuple | None, clock: random.Random) -> datetime:
    """The first moment at or after t within `hours` (None: any time, for emergencies), so a
    report at night or at the weekend waits for the next working morning."""
    if hours is None:
        return t
    opens_at, closes_at, days = hours
    local = t.astimezone(_LOCAL)
    opens = local.replace(hour=0, minute=0, second=0, microsecond=0) + opens_at
    if local.weekday() < days and opens <= local < opens - opens_at + closes_at:
        return t
    if local >= opens:
        opens += timedelta(days=1)
    while opens.weekday() >= days:
        opens += timedelta(days=1)
    return (opens + timedelta(minutes=clock.uniform(0, 60))).astimezone(timezone.utc)


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    # Log-uniform: most steps are quick, a few take much longer.
    return timedelta(minutes=math.exp(rng.uniform(math.log(low), math.log(high))))


def _plan(rng: random.Random, category: str) -> list[tuple]:
    """The steps the case will go through, each (action, to_status, delay, working hours,
    note), if nothing cuts it short. Delays follow seed 001: minutes to accept, days of work."""
    urgent = category in _EMERGENCY
    intake, office = (None, None) if urgent else (_INTAKE, _OFFICE)
    h, d = 60, 24 * 60

    def wait(fast: tuple, slow: tuple) -> timedelta:  # emergencies take the fast range
        return _minutes(rng, *(fast if urgent else slow))

    # Complaints are often out of scope; several people call in the same emergency.
    fate = rng.choices(("resolve", "reject", "duplicate", "no_reply"),
                       (85, 12 if category == "complaint" else 5,
                        10 if urgent else 6, 0 if urgent else 2))[0]
    steps = []
    if fate == "resolve" or fate == "no_reply" or rng.random() < 0.7:  # else closed while new
        steps.append(("accept", "accepted", wait((1, 10), (3, 4 * h)), intake,
                      "เจ้าหน้าที่รับเรื่องแล้ว อยู่ระหว่างตรวจสอบ"))
    if fate == "reject":
        return steps + [("reject", "rejected", _minutes(rng, 10, d), office,
                         rng.choice(_REJECT_NOTES))]
    if fate == "duplicate":
        return steps + [("mark_duplicate", "duplicate", _minutes(rng, 5, 8 * h), intake,
                         "ซ้ำกับเรื่องที่มีผู้แจ้งไว้แล้ว จะแจ้งผลพร้อมกัน")]
    if fate == "no_reply" or (not urgent and rng.random() < 0.1):
        steps.append(("request_info", "info_requested", _minutes(rng, 5, h), intake,
                      "ขอข้อมูลเพิ่มเติม: กรุณาส่งรูปถ่ายและจุดสังเกตใกล้เคียง"))
        if fate == "no_reply":
            return steps  # the citizen never answered: stays open
        # Citizens answer in their own time, not office hours.
        steps.append(("reply", "accepted", _minutes(rng, h, 3 * d), None,
                      "ผู้แจ้งส่งข้อมูลเพิ่มเติมแล้ว"))
    stuck = rng.random() < 0.08  # waiting for parts or budget: overdue
    work = [
        ("assign", "assigned", wait((1, 5), (2 * h, 2 * d)), office,
         f"มอบหมาย{_CATEGORIES[category][1]}ดำเนินการ"),
        ("start", "in_progress", wait((5, 20), (2 * h, 3 * d)), office,
         "ทีมออกปฏิบัติการแล้ว" if urgent else "เจ้าหน้าที่ลงพื้นที่ดำเนินการ"),
        ("resolve", "resolved", wait((30, 4 * h), (20 * d, 60 * d) if stuck else (h, 5 * d)), office,
         _CATEGORIES[category][3]),
    ]
    # A few reporters say it is not fixed (issue 12): back to new, accepted, and worked again.
    if urgent or rng.random() >= 0.06:
        return steps + work
    again = [("not_fixed", "new", _minutes(rng, 6 * h, 5 * d), None, rng.choice(_NOT_FIXED_NOTES)),
             ("accept", "accepted", _minutes(rng, 10, 4 * h), intake,
              "รับเรื่องอีกครั้ง จะส่งช่างไปตรวจสอบ")]
    return steps + work + again + work


def _rating(rng: random.Random, reopened: bool) -> dict | None:
    """About 60% of reporters rate a resolved case, mostly 4-5 stars; those who had to say
    "not fixed" less kindly. Low marks come with a comment, high ones sometimes."""
    if rng.random() >= 0.6:
        return None
    stars = rng.choices((1, 2, 3, 4, 5), (3, 3, 4, 5, 2) if reopened else (4, 5, 10, 30, 51))[0]
    comment = rng.choice(_RATING_COMMENTS[stars]) if stars <= 3 or rng.random() < 0.35 else ""
    return {"stars": stars, "comment": comment, "after": _minutes(rng, 30, 3 * 24 * 60)}


def _history(plan: list[tuple], category: str, created: datetime, now: datetime,
             clock: random.Random) -> list[tuple]:
    history: list[tuple] = [("report", None, "new", timedelta(0), True,
                "รับแจ้งเรื่องเรียบร้อย รอเจ้าหน้าที่ตรวจสอบ")]
    t, status = created, "new"
    for action, to_status, delay, hours, note in plan:
        t = _working(t + delay, hours, clock).replace(microsecond=0)
        if t >= now:
            break  # the demo is a snapshot at `now`: later steps have not happened yet
        # Drug tips protect the reporter: nothing about their progress is public.
        history.append((action, status, to_status, t - created, category != "drug_tip", note))
        status = to_status
    return history


def _location(rng: random.Random, village_index: int) -> tuple[float, float]:
    geom = _village_geoms()[village_index]
    centres = _settlements()[village_index]
    minx, miny, maxx, maxy = geom.bounds
    while True:
        if rng.random() < 0.85:  # houses and roads around a settlement, the main one busiest
            cx, cy = rng.choices(centres, (3, 1, 1))[0]
            lon, lat = rng.gauss(cx, 0.002), rng.gauss(cy, 0.002)
        else:  # fields, forest and the roads between villages
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        lon, lat = round(lon, 6), round(lat, 6)
        # Strictly inside one village, not on a shared edge, so every case has one village.
        p = Point(lon, lat)
        if geom.contains(p) and geom.boundary.distance(p) > 1e-5:
            return lon, lat


# The newest reports of the demo have not been looked at yet, whatever the hour it is built
# at: a dispatcher trying the demo always finds cases to accept (never emergencies, whose
# alarm would ring from the first page load).
_WAITING = 3


def demo_cases(now: datetime, count: int = 300, seed: int = 2569) -> list[dict]:
    """`count` synthetic cases reported in the 90 days before `now` (aware), oldest first,
    each with the history it would have by `now`.

    Each case draws from two generators of its own: one for what it is (type, place,
    reporter, how its handling will go), the same at every `now`, and one for when things
    happen, which depends on the hour. So building the demo at another moment moves the cases
    in time without replacing them by others, and what the demo promises (tests/test_demo_data.py
    checks it at every hour of a week) holds whenever it is built.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(timezone.utc)
    codes = list(_CATEGORIES)
    weights = [c[0] for c in _CATEGORIES.values()]
    routine = [w if code not in _EMERGENCY else 0 for code, w in zip(codes, weights, strict=True)]
    households = [v[4] for v in _VILLAGES]
    cases = []
    for i in range(count):
        rng = random.Random(f"{seed}:{i}")            # what the case is
        clock = random.Random(f"{seed}:{i}:clock")    # when it happens
        waiting = i >= count - _WAITING
        category = rng.choices(codes, routine if waiting else weights)[0]
        v = rng.choices(range(len(_VILLAGES)), households)[0]
        lon, lat = (None, None) if category in _NO_PLACE else _location(rng, v)
        description = rng.choice(_CATEGORIES[category][2]).format(
            n=rng.randint(2, 5), place=rng.choice(_PLACES), v=_VILLAGES[v][0])
        name = phone = None
        if category != "drug_tip" and rng.random() < 0.5:  # about half stay anonymous
            name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
            phone = f"08{rng.choice('0689')}-000-{rng.randint(0, 9999):04d}"  # the 000 block: fake
        plan = [] if waiting else _plan(rng, category)
        rating = _rating(rng, any(step[0] == "not_fixed" for step in plan))
        if waiting:
            created = (now - timedelta(minutes=clock.uniform(3, 120))).replace(microsecond=0)
        else:
            while True:  # people report mostly from 06:00 to 22:00
                # Skewed to recent days: use of a new service grows after its launch.
                age = max(timedelta(days=90) * clock.random() ** 1.3, timedelta(minutes=1))
                created = (now - age).replace(microsecond=0)
                if 6 <= created.astimezone(_LOCAL).hour < 22 or clock.random() < 0.15:
                    break
        history = _history(plan, category, created, now, clock)
        closed = created + history[-1][3]
        cases.append({"category": category, "lon": lon, "lat": lat, "created_at": created,
                      "status": history[-1][2], "description": description,
                      "reporter_name": name, "reporter_phone": phone, "channel": "demo",
                      "history": history,
                      # Rated some hours after the (last) resolution, if that is before `now`.
                      "rating": rating if rating and history[-1][2] == "resolved"
                      and category != "drug_tip" and closed + rating["after"] < now else None})
    cases.sort(key=lambda c: c["created_at"])
    return cases


HOUSES_PER_VILLAGE = 24  # one A4 sheet of QR stickers (households/stickers.py)
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def households() -> list[dict]:
    """Some households of each village (seed 002's survey), around its settlements, numbered
    from 1 in the order a surveyor walks them, one of them a split house ("7/1"). Their QR
    keys are seeded too: the same demo, the same stickers (a real import draws them at random)."""
    rng = random.Random(2)
    result = []
    for village_index, (number, *_rest) in enumerate(_VILLAGES):
        geom = _village_geoms()[village_index]
        shapely.prepare(geom)
        centres = _settlements()[village_index]
        houses: list[tuple[float, float]] = []
        while len(houses) < HOUSES_PER_VILLAGE:
            cx, cy = rng.choices(centres, (3, 1, 1))[0]
            lon, lat = round(rng.gauss(cx, 0.0012), 6), round(rng.gauss(cy, 0.0012), 6)
            if geom.contains(Point(lon, lat)) and geom.boundary.distance(Point(lon, lat)) > 5e-4:
                houses.append((lon, lat))
        houses.sort(key=lambda p: (round(p[1], 3), p[0]))  # street by street, north-south
        for n, (lon, lat) in enumerate(houses, start=1):
            house_number = "7/1" if n == 8 else str(n if n < 8 else n - 1)
            result.append({"village": number, "house_number": house_number, "lon": lon, "lat": lat,
                           "qr_key": "".join(rng.choice(_KEY_ALPHABET) for _ in range(12))})
    return result
