"""models.py and sql/ agree: alembic's autogenerate comparison of the mapped metadata with the
migrated empty database (sql/ is the truth; the schema is never created from the models).

Compared: tables, columns, column types (geometry type and SRID included), nullability,
indexes, unique constraints and foreign keys (with their ON DELETE). Not compared: server
defaults (the models fill most defaults in Python; raw SQL inserts rely on the database's),
CHECK constraints, triggers and the expression of the generated column `incidents.is_open`:
those live in sql/ alone. What exists only in SQL on purpose is listed below, by name, with why.
"""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import Geography, Geometry
from geoalchemy2.alembic_helpers import include_object as include_spatial_object
from sqlalchemy import inspect

from mapdash.models import Base

# Tables in the database that no model maps, on purpose.
SQL_ONLY_TABLES = {
    # yoyo-migrations' own bookkeeping (mapdash db upgrade)
    "_yoyo_log": "yoyo", "_yoyo_migration": "yoyo", "_yoyo_version": "yoyo", "yoyo_lock": "yoyo",
    # The report rate limit's unlogged counters (sql/011), read and written by one raw SQL
    # upsert in cases/ratelimit.py; its window index goes with it.
    "rate_limit_counters": "raw SQL only",
    # The dispatcher map's open counts and their clock (sql/037): written by triggers on
    # incidents and the worker's catch-up, read by raw SQL in maps/counts.py.
    "open_counts_villages": "raw SQL only", "open_counts_cells": "raw SQL only",
    "open_counts_clock": "raw SQL only",
}

# Partial and expression indexes: tuned for particular raw SQL reads (and INCLUDE columns,
# which the models cannot say), so they are declared in sql/ alone. Plain indexes are declared
# in models.py too and must match.
SQL_ONLY_INDEXES = {
    # sql/042: the worker's queue of photos still to clean (partial)
    "photos_pending_idx": "photos",
    # sql/035: one valid receipt per payment (partial unique)
    "receipts_one_valid_idx": "receipts",
    # sql/031: the public list of proposals taken into a plan year (partial)
    "proposals_plan_year_idx": "proposals",
    # sql/001: the dispatcher map's viewport of open cases (partial GiST)
    "incidents_open_location_gix": "incidents",
    # sql/001: one account per e-mail, whatever its case (unique on lower(email))
    "users_email_key": "users",
    # sql/003: the duplicate hint, open cases within 100 m (partial, on location::geography)
    "incidents_open_geog_gix": "incidents",
    # sql/004: zoomed-out counts and the list beside the map (partial, covering)
    "incidents_open_village_idx": "incidents",
    "incidents_open_created_idx": "incidents",
    # sql/021: the statistics' "overdue now" (partial, covering)
    "incidents_open_stats_idx": "incidents",
    # sql/005: closings' photos, flagged evidence, the crew's open cases (partial)
    "photos_closing_idx": "photos",
    "incidents_evidence_review_idx": "incidents",
    "incidents_open_assignee_idx": "incidents",
    # sql/008: the outbox worker's claims and the admins' failed list (partial)
    "notifications_due_idx": "notifications",
    "notifications_unsent_idx": "notifications",
    "notifications_failed_idx": "notifications",
    # sql/013: a resent Open311 POST, by its Idempotency-Key or its form (partial, unique; the
    # ON CONFLICT targets of integrations/open311/resends.py)
    "open311_submissions_key_idx": "open311_submissions",
    "open311_submissions_form_idx": "open311_submissions",
    # sql/019: cases forwarded away, for the dispatcher map's feed of changes (partial)
    "incident_events_forwarded_idx": "incident_events",
    # sql/017: a case type's open cases on earlier time limits (partial)
    "incidents_open_category_limits_idx": "incidents",
    # sql/018: the case list sorted by village, cases without one as village 0 (expression)
    "incidents_org_village_created_idx": "incidents",
    # sql/025: the emergency alarm's waiting cases, type by type (partial)
    "incidents_new_by_category_idx": "incidents",
    # sql/037: open cases by due time, for the overdue counts' last minute (partial)
    "incidents_open_due_idx": "incidents",
}


def _include(obj, name, type_, reflected, compare_to):
    if not include_spatial_object(obj, name, type_, reflected, compare_to):
        return False  # PostGIS's own spatial_ref_sys
    if type_ == "table" and reflected and compare_to is None:
        return name not in SQL_ONLY_TABLES
    if type_ == "index" and reflected and compare_to is None:
        return name not in SQL_ONLY_INDEXES
    return True


def _compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Spatial columns: the same kind (geometry/geography), geometry type and SRID. Other
    types: alembic's own comparison (None)."""
    spatial = (Geometry, Geography)
    if isinstance(metadata_type, spatial) or isinstance(inspected_type, spatial):
        return not (type(inspected_type) is type(metadata_type)
                    and inspected_type.geometry_type == metadata_type.geometry_type
                    and inspected_type.srid == metadata_type.srid)
    return None


def _describe(diff) -> str:
    """One readable line per difference ('remove_*': in the database only; 'add_*': in the
    models only)."""
    if isinstance(diff, list):  # column changes come grouped per column
        return "; ".join(_describe(d) for d in diff)
    kind = diff[0]
    if kind.startswith("modify_"):
        _, _, table, column, _, database, model = diff
        return f"{kind} {table}.{column}: database {database!r}, models.py {model!r}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {diff[2]}.{diff[3].name}"
    thing = diff[1]
    if kind.endswith("_table"):
        return f"{kind} {thing.name}"
    if kind.endswith("_index"):
        where = thing.dialect_options["postgresql"].get("where")
        columns = ", ".join(str(e) for e in thing.expressions)
        return f"{kind} {thing.name} on {thing.table.name} ({columns}) unique={thing.unique} " \
               f"where={where}"
    if kind.endswith("_fk"):
        return f"{kind} {thing.parent.name}({', '.join(c.name for c in thing.columns)}) -> " \
               f"{thing.referred_table.name} ondelete={thing.ondelete}"
    if kind.endswith("_constraint"):
        columns = ", ".join(c.name for c in thing.columns)
        return f"{kind} {type(thing).__name__} {thing.name} on {thing.table.name} ({columns})"
    return repr(diff)


def test_models_and_sql_agree(app):
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": _compare_type, "include_object": _include})
        differences = [_describe(diff) for diff in compare_metadata(context, Base.metadata)]
    assert differences == [], "models.py and sql/ disagree:\n" + "\n".join(differences)


def test_the_sql_only_list_names_what_exists_and_is_not_mapped(app):
    """An entry of the allow-lists that the database lost, or that a model now maps, must go."""
    database = inspect(app.extensions["db_engine"])
    tables = set(database.get_table_names())
    assert set(SQL_ONLY_TABLES) <= tables
    assert not set(SQL_ONLY_TABLES) & set(Base.metadata.tables)
    for name, table in SQL_ONLY_INDEXES.items():
        assert name in {index["name"] for index in database.get_indexes(table)}, name
        mapped = Base.metadata.tables[table].indexes
        assert name not in {index.name for index in mapped}, name
    # Every mapped table really exists (compare_metadata would say so too, as add_table).
    assert set(Base.metadata.tables) <= tables
