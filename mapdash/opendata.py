"""Open data: every public case of an organization as CSV or GeoJSON, streamed.

The same cases and filters as the public page (public_cases.CaseFilter): never a sensitive
type, never a reporter's name, phone, LINE ID, e-mail or the details text, no photos. Unlike
the map (newest 2,000) a download holds every matching case, so rows come from a server-side
cursor in batches and leave as they are read: a million cases never sit in memory at once.
"""
import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .errors import UserError
from .i18n import LOCAL_TZ, MESSAGES
from .models import STATUSES, Category, Village
from .public_cases import CaseFilter

BATCH = 1000  # rows fetched from the cursor, and sent, at a time

# One column list for both formats: (name in the CSV header and GeoJSON properties, SQL).
# The SQL is fixed text; every value reaches it as a bound parameter.
COLUMNS = (
    ("code", "i.tracking_code"),
    ("category", "c.code"),
    ("category_th", "c.name_th"),
    ("category_en", "c.name_en"),
    ("status", "i.status"),
    ("status_th", "CAST(:status_th AS jsonb) ->> i.status"),
    ("village_number", "v.number"),
    ("village_th", "v.name_th"),
    ("village_en", "v.name_en"),
    ("department", "d.code"),
    ("department_th", "d.name_th"),
    ("department_en", "d.name_en"),
    # Thai time with its offset, to the second (the connection's TimeZone is Asia/Bangkok)
    ("reported_at", "date_trunc('second', i.created_at)"),
    ("updated_at", "date_trunc('second', i.updated_at)"),
    ("closed_at", "date_trunc('second', i.closed_at)"),
    ("lon", "round(ST_X(i.location)::numeric, 6)"),
    ("lat", "round(ST_Y(i.location)::numeric, 6)"),
    ("followers", "i.followers_count"),
    ("url", ":track_url || i.tracking_code"),
)
HEADER = [name for name, _ in COLUMNS]


def checked_filter(session: Session, organization_id: int, args) -> CaseFilter:
    """The public page's filter, and a 400 for a type or village the organization does not
    have (the page just shows nothing; a download of nothing would hide the typo)."""
    case_filter = CaseFilter.from_args(args)
    if case_filter.category and session.scalar(select(Category.id).where(
            Category.organization_id == organization_id, Category.code == case_filter.category,
            Category.sensitive.is_(False))) is None:
        raise UserError("bad_filter", f"ไม่รู้จักประเภทเรื่อง: {case_filter.category}",
                        f"Unknown case type: {case_filter.category}", field="type")
    if case_filter.village is not None and session.scalar(select(Village.id).where(
            Village.organization_id == organization_id,
            Village.number == case_filter.village)) is None:
        raise UserError("bad_filter", f"ไม่พบหมู่บ้านหมู่ที่ {case_filter.village}",
                        f"No village number {case_filter.village}", field="village")
    return case_filter


def _query(case_filter: CaseFilter, organization_id: int, track_url: str,
           select_list: str) -> tuple[str, dict]:
    where, params = case_filter.where(organization_id)
    params.update(track_url=track_url, status_th=json.dumps(
        {status: MESSAGES[f"status.{status}"][0] for status in STATUSES}))
    # Newest first, as on the page: the (organization, created_at DESC) index gives the order.
    return f"""
        SELECT {select_list}
        FROM incidents i
        JOIN categories c ON c.id = i.category_id
        JOIN departments d ON d.id = i.department_id
        LEFT JOIN villages v ON v.id = i.village_id
        WHERE {where}
        ORDER BY i.created_at DESC, i.id DESC""", params


def _stream(engine: Engine, sql: str, params: dict) -> Iterator[list]:
    """Batches of rows from a server-side cursor on a connection of its own, closed when the
    download ends or the client goes away (the generator is closed)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT set_config('TimeZone', :tz, true)"), {"tz": str(LOCAL_TZ)})
        result = conn.execution_options(stream_results=True, max_row_buffer=BATCH).execute(
            text(sql), params)
        yield from result.partitions(BATCH)


def csv_chunks(engine: Engine, organization_id: int, case_filter: CaseFilter,
               track_url: str) -> Iterator[str]:
    """The CSV as text chunks: a BOM (so Excel reads Thai as UTF-8), the header, one row per
    case."""
    sql, params = _query(case_filter, organization_id, track_url,
                         ", ".join(f"{expr} AS {name}" for name, expr in COLUMNS))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield "\ufeff" + buffer.getvalue()
    for rows in _stream(engine, sql, params):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(value) for value in row] for row in rows)
        yield buffer.getvalue()


def _cell(value):
    return value.isoformat() if isinstance(value, datetime) else value


def geojson_chunks(engine: Engine, organization_id: int, case_filter: CaseFilter,
                   track_url: str) -> Iterator[str]:
    """A FeatureCollection as text chunks: PostgreSQL writes each Feature, Python only joins
    them. Cases with no place (information requests, ...) have a null geometry."""
    properties = ", ".join(f"'{name}', {expr}" for name, expr in COLUMNS
                           if name not in ("lon", "lat"))
    sql, params = _query(case_filter, organization_id, track_url, f"""
        json_build_object('type', 'Feature',
                          'geometry', ST_AsGeoJSON(i.location, 6)::json,
                          'properties', json_build_object({properties}))::text""")
    yield '{"type": "FeatureCollection", "features": ['
    separator = "\n"
    for rows in _stream(engine, sql, params):
        yield separator + ",\n".join(feature for (feature,) in rows)
        separator = ",\n"
    yield "\n]}\n"
