"""Open data: every public case of an organization as CSV or GeoJSON, streamed.

The same cases and filters as the public page (public_cases.CaseFilter): never a sensitive
type, never a reporter's name, phone, LINE ID, e-mail or the details text, no photos; an
emergency only at its coarsened point (public_location, sql/014_public_location.sql). Unlike
the map (newest 2,000) a download holds every matching case, so it leaves as PostgreSQL writes
it (COPY ... TO STDOUT, row by row, sent in pieces): a million cases never sit in memory
at once.

The rows come in the order of an index, never through a sort: a sort of ten million cases
sent nothing for over a minute, so a client that gave up was never noticed (a closed
connection shows only when a piece is written) and the query ran on. Now the first piece
leaves at once, and a client that goes away cancels the COPY with its next piece. Each
download holds a database connection, so an address may run only a few at once.
"""
import json
from collections.abc import Iterator

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _l, in_language
from mapdash.maps.public_cases import CaseFilter
from mapdash.models import Category, Village
from mapdash.vocabulary import STATUS_LABELS

CHUNK_BYTES = 64 * 1024  # rows are sent in pieces of about this size
_SLOT_LOCKS = 7311  # the advisory-lock class of the download slots of an address

POINT = "public_location(i.location, c.emergency)"  # where the public sees a case

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
    # ISO 8601 in Thai time, to the second: the connection's TimeZone is Asia/Bangkok
    ("reported_at", "to_json(date_trunc('second', i.created_at)) #>> '{}'"),
    ("updated_at", "to_json(date_trunc('second', i.updated_at)) #>> '{}'"),
    ("closed_at", "to_json(date_trunc('second', i.closed_at)) #>> '{}'"),
    ("lon", f"round(ST_X({POINT})::numeric, 6)"),
    ("lat", f"round(ST_Y({POINT})::numeric, 6)"),
    ("followers", "i.followers_count"),
    ("url", ":track_url || i.tracking_code"),
)
HEADER = [name for name, _ in COLUMNS]


def checked_filter(session: Session, organization_id: int, case_filter: CaseFilter) -> CaseFilter:
    """The public page's filter, and a 400 for a type or village the organization does not
    have (the page just shows nothing; a download of nothing would hide the typo)."""
    if case_filter.category and case_filter.category not in session.scalars(
            select(Category.code).where(Category.organization_id == organization_id,
                                        Category.sensitive.is_(False))).all():
        raise UserError("bad_filter", _l("Unknown case type: %(category)s",
                                         category=case_filter.category), field="type")
    if case_filter.village is not None and case_filter.village not in session.scalars(
            select(Village.number).where(Village.organization_id == organization_id)).all():
        raise UserError("bad_filter", _l("No village number %(village)s",
                                         village=case_filter.village), field="village")
    return case_filter


def _query(case_filter: CaseFilter, organization_id: int, track_url: str,
           select_list: str) -> tuple[str, dict]:
    where, params = case_filter.where(organization_id)
    params.update(track_url=track_url, status_th=json.dumps(
        {status: in_language(label, "th") for status, label in STATUS_LABELS.items()}))
    # Newest first, as on the page, in the order of incidents_org_created_idx (sql/038).
    return f"""
        SELECT {select_list}
        FROM incidents i
        JOIN categories c ON c.id = i.category_id
        JOIN departments d ON d.id = i.department_id
        LEFT JOIN villages v ON v.id = i.village_id
        WHERE {where}
        ORDER BY i.created_at DESC, i.id DESC""", params  # noqa: S608 (constant columns and clauses)


def open_download(engine: Engine, address: str, slots: int) -> Connection | None:
    """A connection for one download of `address` (a key, ratelimit.address_bucket) holding
    one of its `slots`, or None when every slot is taken. A slot is a transaction-level
    advisory lock: it ends with the download's connection, however that ends."""
    conn = engine.connect()
    try:
        for slot in range(slots):
            if conn.scalar(text("SELECT pg_try_advisory_xact_lock(:locks, hashtext(:key))"),
                           {"locks": _SLOT_LOCKS, "key": f"{address}#{slot}"}):
                return conn
    except BaseException:
        conn.close()
        raise
    conn.close()
    return None


def _copy(conn: Connection, sql: str, params: dict, options: str) -> Iterator[bytes]:
    """The rows of `sql` as PostgreSQL's COPY writes them, one by one, on the download's own
    connection: closed (the COPY cancelled) when the download ends or the client goes away."""
    with conn:
        # Planned for the whole result, a COPY sorts every case before the first row (see the
        # top); without sorts the planner walks the index, which gives the order as it goes.
        conn.execute(text("SELECT set_config('TimeZone', :tz, true), "
                          "set_config('enable_sort', 'off', true)"), {"tz": str(LOCAL_TZ)})
        # COPY takes no server-side parameters: psycopg binds them into the statement
        # SQLAlchemy compiled (placeholders, never formatted values).
        query = text(sql).bindparams(**params).compile(dialect=conn.dialect)
        driver = conn.connection.driver_connection
        assert driver is not None  # a live psycopg connection while `conn` is open
        cursor = driver.cursor()
        with cursor.copy(f"COPY ({query}) TO STDOUT ({options})", query.params) as copy:
            yield from copy


def _pieces(first: bytes, rows: Iterator[bytes], separator: bytes = b"") -> Iterator[bytes]:
    """`first`, then the rows (separated) in pieces of about CHUNK_BYTES."""
    piece = bytearray(first)
    for number, row in enumerate(rows):
        if number:
            piece += separator
        piece += row
        if len(piece) >= CHUNK_BYTES:
            yield bytes(piece)
            piece.clear()
    yield bytes(piece)


def csv_chunks(conn: Connection, organization_id: int, case_filter: CaseFilter,
               track_url: str) -> Iterator[bytes]:
    """The CSV: a BOM (so Excel reads Thai as UTF-8), the header, one row per case."""
    sql, params = _query(case_filter, organization_id, track_url,
                         ", ".join(f"{expr} AS {name}" for name, expr in COLUMNS))
    yield from _pieces("\ufeff".encode(), _copy(conn, sql, params, "FORMAT csv, HEADER"))


def geojson_chunks(conn: Connection, organization_id: int, case_filter: CaseFilter,
                   track_url: str) -> Iterator[bytes]:
    """A FeatureCollection: PostgreSQL writes each Feature, Python only puts commas between
    them. Cases with no place (information requests, ...) have a null geometry."""
    properties = ", ".join(f"'{name}', {expr}" for name, expr in COLUMNS
                           if name not in ("lon", "lat"))
    sql, params = _query(case_filter, organization_id, track_url, f"""
        json_build_object('type', 'Feature',
                          'geometry', ST_AsGeoJSON({POINT}, 6)::json,
                          'properties', json_build_object({properties}))""")
    # One column of JSON, which never holds a raw line break nor these two control
    # characters (JSON escapes them): as CSV quoted by \x01 it leaves exactly as written.
    features = _copy(conn, sql, params, "FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02'")
    yield from _pieces(b'{"type": "FeatureCollection", "features": [\n', features, b",")
    yield b"]}\n"
