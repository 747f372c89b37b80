"""Many synthetic cases for benchmarks (`mapdash seed-synthetic --incidents N`).

Their Thai description, reporter's name and phone are demo data, like data.py's, varied so
that a search finds a few cases, not all of them (bench_search.py).

One INSERT ... SELECT in PostgreSQL: points are generated inside the villages, so every case
has its village and department stored as intake would have stored them.

`add_national_organizations` lays copies of an organization (its outline, 13 villages,
departments and case types) side by side, for the national layout of `make bench`."""
import json

from sqlalchemy import Text, select, text
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.cases.time_limits import set_id_for
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Category
from mapdash.office.orgs import find_organization


def seed_synthetic(session: Session, count: int, org_slug: str | None = None,
                   open_share: float = 0.05, days: int = 365, seed: float = 0.42,
                   organization_ids: list[int] | None = None) -> int:
    """Add `count` cases spread over the organization's villages and the last `days` days
    (`organization_ids`: over the villages of all these organizations, evenly).

    About `open_share` of them are still open, as in a real archive where most are done."""
    if organization_ids is None:
        org = find_organization(session, org_slug)
        if org is None:
            raise UserError("unknown_org", _l("No organization: load the demo first"), status=404)
        organization_ids = [org.id]
    # Each case starts with its type's time limits, as intake stores them: one set per
    # distinct sla_minutes (copied organizations share theirs), keyed by its jsonb text.
    limits = {key: set_id_for(session, minutes) for key, minutes in session.execute(
        select(Category.sla_minutes.cast(Text), Category.sla_minutes).distinct().where(
            Category.organization_id.in_(organization_ids)))}
    session.execute(text("SELECT setseed(:seed)"), {"seed": seed})
    inserted = db.rowcount(session.execute(text("""
        WITH v AS (
            SELECT id, organization_id, geom,
                   row_number() OVER (ORDER BY organization_id, number) - 1 AS i,
                   count(*) OVER () AS n FROM villages WHERE organization_id = ANY(:orgs)),
        pts AS (
            SELECT v.id AS village_id, v.organization_id, (ST_Dump(ST_GeneratePoints(v.geom,
                       (:count / v.n + CASE WHEN v.i < :count % v.n THEN 1 ELSE 0 END)::int))).geom AS p
            FROM v),
        cats AS (
            SELECT id, organization_id, department_id, sla_minutes::text AS limits_key,
                   row_number() OVER (PARTITION BY organization_id ORDER BY sort_order) - 1 AS i,
                   count(*) OVER (PARTITION BY organization_id) AS n
            FROM categories WHERE organization_id = ANY(:orgs) AND location_required),
        rows AS (
            SELECT pts.*, random() AS r, floor(random() * 1000000)::int AS pick,
                   now() - random() * make_interval(days => :days) AS at,
                   nextval('incidents_id_seq') AS id
            FROM pts)
        INSERT INTO incidents (id, tracking_code, organization_id, category_id, village_id,
                               department_id, status, location, description, channel,
                               reporter_name, reporter_phone, created_at, updated_at, closed_at,
                               time_limits_id)
        SELECT rows.id, 'SYN-' || rows.id, rows.organization_id, c.id, rows.village_id, c.department_id,
               s.status, rows.p,
               (ARRAY['ไฟฟ้าส่องสว่างดับ', 'ท่อประปาแตก น้ำไหลนอง', 'ถนนเป็นหลุมลึก',
                      'กิ่งไม้หักขวางทาง', 'ขยะล้นถังไม่มีคนเก็บ', 'ท่อระบายน้ำอุดตัน',
                      'สุนัขจรจัดรวมฝูง', 'เสียงดังรบกวนยามวิกาล'])[1 + rows.pick % 8]
                   || ' ใกล้บ้านเลขที่ ' || (rows.pick % 997) || ' ข้อมูลสังเคราะห์', 'demo',
               (ARRAY['สมชาย', 'สมศรี', 'มานี', 'ปิติ', 'ชูใจ', 'วีระ', 'บุญมี', 'ทองใบ', 'จันทร์เพ็ญ',
                      'ประเสริฐ'])[1 + rows.pick / 8 % 10] || ' ' ||
               (ARRAY['ใจดี', 'รักไทย', 'มีสุข', 'ทองคำ', 'ศรีสุข', 'บุญมา', 'แสงทอง', 'พรหมมา',
                      'สายทอง', 'คำแก้ว'])[1 + rows.pick / 80 % 10],
               '08' || lpad((rows.id * 7919 % 100000000)::text, 8, '0'),
               rows.at, rows.at, CASE WHEN s.status IN ('resolved', 'rejected') THEN rows.at END,
               (CAST(:limits AS jsonb) ->> c.limits_key)::integer
        FROM rows
        JOIN cats c ON c.organization_id = rows.organization_id AND c.i = rows.pick % c.n
        CROSS JOIN LATERAL (SELECT CASE
            WHEN rows.r < :open_share * 0.4 THEN 'new'
            WHEN rows.r < :open_share * 0.6 THEN 'accepted'
            WHEN rows.r < :open_share * 0.8 THEN 'assigned'
            WHEN rows.r < :open_share THEN 'in_progress'
            WHEN rows.r < :open_share + (1 - :open_share) * 0.9 THEN 'resolved'
            ELSE 'rejected' END AS status) s"""),
        {"orgs": organization_ids, "count": count, "days": days, "open_share": open_share,
         "limits": json.dumps(limits)}))
    session.execute(text("ANALYZE incidents"))
    return inserted


# Copies are laid on a square grid around the original (its own cell left out), each moved
# by the original's width and height so that neighbours touch and never overlap: 89 x 89
# cells hold the 7,850 local administrations of Thailand.
NATIONAL_GRID = 89


def add_national_organizations(session: Session, count: int, template_id: int) -> list[int]:
    """Add `count` organizations, each a copy of `template_id` (outline, villages,
    departments, case types) moved to its own place, marked demo; their ids."""
    if not 0 <= count < NATIONAL_GRID ** 2:
        raise ValueError(f"at most {NATIONAL_GRID ** 2 - 1} copies")
    ids = list(session.scalars(text("""
        WITH t AS (
            SELECT boundary, ST_XMax(boundary) - ST_XMin(boundary) AS w,
                   ST_YMax(boundary) - ST_YMin(boundary) AS h
            FROM organizations WHERE id = :template),
        cells AS (
            SELECT cell FROM generate_series(0, :side * :side - 1) cell
            WHERE cell <> (:side / 2) * :side + :side / 2 ORDER BY cell LIMIT :count)
        INSERT INTO organizations (slug, kind, name_th, name_en, boundary, is_demo)
        SELECT 'synthetic-' || cell, 'tambon', 'อบต.สังเคราะห์ ที่ ' || cell || ' (ข้อมูลสาธิต)',
               'Synthetic tambon ' || cell || ' (synthetic data)',
               ST_Translate(t.boundary, (cell % :side - :side / 2) * t.w,
                            (cell / :side - :side / 2) * t.h), true
        FROM cells, t
        RETURNING id"""), {"template": template_id, "side": NATIONAL_GRID, "count": count}))
    copied = {"template": template_id, "ids": ids, "side": NATIONAL_GRID}
    session.execute(text("""
        INSERT INTO departments (organization_id, code, name_th, name_en)
        SELECT o, d.code, d.name_th, d.name_en
        FROM unnest(CAST(:ids AS integer[])) o, departments d WHERE d.organization_id = :template"""),
        copied)
    columns = [c.name for c in Category.__table__.columns
               if c.name not in ("id", "organization_id", "department_id")]
    session.execute(text(f"""
        INSERT INTO categories (organization_id, department_id, {", ".join(columns)})
        SELECT o, nd.id, {", ".join("c." + name for name in columns)}
        FROM unnest(CAST(:ids AS integer[])) o
        JOIN categories c ON c.organization_id = :template
        JOIN departments td ON td.id = c.department_id
        JOIN departments nd ON nd.organization_id = o AND nd.code = td.code"""), copied)  # noqa: S608 (column names of the model)
    session.execute(text("""
        WITH t AS (
            SELECT ST_XMax(boundary) - ST_XMin(boundary) AS w,
                   ST_YMax(boundary) - ST_YMin(boundary) AS h
            FROM organizations WHERE id = :template)
        INSERT INTO villages (organization_id, number, name_th, name_en, geom)
        SELECT o.id, v.number, v.name_th, v.name_en,
               ST_Translate(v.geom, (cell % :side - :side / 2) * t.w,
                            (cell / :side - :side / 2) * t.h)
        FROM organizations o
        CROSS JOIN LATERAL (SELECT split_part(o.slug, '-', 2)::integer AS cell) c, t,
             villages v
        WHERE o.id = ANY(:ids) AND v.organization_id = :template"""), copied)
    return ids
