"""Many synthetic cases for benchmarks (`mapdash seed-synthetic --incidents N`).

Their Thai description, reporter's name and phone are demo data, like data.py's, varied so
that a search finds a few cases, not all of them (bench_search.py).

One INSERT ... SELECT in PostgreSQL: points are generated inside the villages, so every case
has its village and department stored as intake would have stored them."""
import json

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.cases.time_limits import set_for
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Category
from mapdash.office.orgs import find_organization


def seed_synthetic(session: Session, count: int, org_slug: str | None = None,
                   open_share: float = 0.05, days: int = 365, seed: float = 0.42) -> int:
    """Add `count` cases spread over the organization's villages and the last `days` days.

    About `open_share` of them are still open, as in a real archive where most are done."""
    org = find_organization(session, org_slug)
    if org is None:
        raise UserError("unknown_org", _l("No organization: load the demo first"), status=404)
    # Each case starts with its type's time limits, as intake stores them.
    limits = {str(category.id): set_for(session, category.sla_minutes).id
              for category in session.scalars(select(Category).where(
                  Category.organization_id == org.id))}
    session.execute(text("SELECT setseed(:seed)"), {"seed": seed})
    inserted = db.rowcount(session.execute(text("""
        WITH v AS (
            SELECT id, geom, row_number() OVER (ORDER BY number) - 1 AS i,
                   count(*) OVER () AS n FROM villages WHERE organization_id = :org),
        pts AS (
            SELECT v.id AS village_id, (ST_Dump(ST_GeneratePoints(v.geom,
                       (:count / v.n + CASE WHEN v.i < :count % v.n THEN 1 ELSE 0 END)::int))).geom AS p
            FROM v),
        cats AS (
            SELECT id, department_id, row_number() OVER (ORDER BY sort_order) - 1 AS i,
                   count(*) OVER () AS n FROM categories WHERE organization_id = :org AND location_required),
        rows AS (
            SELECT pts.*, random() AS r, floor(random() * 1000000)::int AS pick,
                   now() - random() * make_interval(days => :days) AS at,
                   nextval('incidents_id_seq') AS id
            FROM pts)
        INSERT INTO incidents (id, tracking_code, organization_id, category_id, village_id,
                               department_id, status, location, description, channel,
                               reporter_name, reporter_phone, created_at, updated_at, closed_at,
                               time_limits_id)
        SELECT rows.id, 'SYN-' || rows.id, :org, c.id, rows.village_id, c.department_id,
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
               (CAST(:limits AS jsonb) ->> c.id::text)::integer
        FROM rows
        JOIN cats c ON c.i = rows.pick % c.n
        CROSS JOIN LATERAL (SELECT CASE
            WHEN rows.r < :open_share * 0.4 THEN 'new'
            WHEN rows.r < :open_share * 0.6 THEN 'accepted'
            WHEN rows.r < :open_share * 0.8 THEN 'assigned'
            WHEN rows.r < :open_share THEN 'in_progress'
            WHEN rows.r < :open_share + (1 - :open_share) * 0.9 THEN 'resolved'
            ELSE 'rejected' END AS status) s"""),
        {"org": org.id, "count": count, "days": days, "open_share": open_share,
         "limits": json.dumps(limits)}))
    session.execute(text("ANALYZE incidents"))
    return inserted
