"""The public list and map of an organization's cases (like seed 001's public table).

Only public fields leave this module: code, date, type, village, status and the point, which
for an emergency is coarsened (public_location, sql/014_public_location.sql). Cases of
sensitive types (drug tips) are never included, and no reporter's name, phone or LINE ID is
ever read here.
"""
from typing import Annotated

from pydantic import BeforeValidator, Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.api.params import OneOf, Params, Refusal, whole_number
from mapdash.i18n import _l
from mapdash.models import Category, Village
from mapdash.vocabulary import ANY_OPEN, STATUSES

PAGE_SIZE = 50
MAP_LIMIT = 2000  # newest matching cases on the map; the list pages through all of them


class CaseFilter(Params):
    """The public filters (the page /cases, its map and the open data)."""
    category: Annotated[str | None, Field(
        alias="type", description="Case type code (streetlight, water, road, ...).")] = None
    village: Annotated[int | None, Field(
        ge=0, le=999_999_999, description="Village number (mu)."), BeforeValidator(whole_number),
        Refusal("bad_filter", _l("The village must be a number"))] = None
    status: Annotated[str | None, OneOf((ANY_OPEN, *STATUSES)), Field(
        description="`open` (every status not yet done) or one status."),
        Refusal("bad_filter", _l("Unknown status"))] = None

    def as_args(self) -> dict:
        return {key: value for key, value in
                (("type", self.category), ("village", self.village), ("status", self.status))
                if value is not None}

    def where(self, organization_id: int) -> tuple[str, dict]:
        """The SQL condition on incidents i, categories c, villages v: fixed text joined from
        the clauses below, every value bound as a parameter (never formatted in): the reads
        that put it into their SQL are marked `noqa: S608`."""
        clauses = ["i.organization_id = :org", "NOT c.sensitive"]
        params: dict[str, object] = {"org": organization_id}
        if self.category:
            clauses.append("c.code = :category")
            params["category"] = self.category
        if self.village is not None:
            clauses.append("v.number = :village")
            params["village"] = self.village
        if self.status == ANY_OPEN:
            clauses.append("i.is_open")
        elif self.status:
            clauses.append("i.status = :status")
            params["status"] = self.status
        return " AND ".join(clauses), params


def list_cases(session: Session, organization_id: int, case_filter: CaseFilter,
               page: int = 1) -> tuple[list[dict], bool]:
    """One page of cases, newest first, and whether there is a next page."""
    where, params = case_filter.where(organization_id)
    rows = session.execute(text(f"""
        SELECT i.tracking_code AS code, i.created_at, i.status, c.code AS category,
               (i.status = 'resolved' AND i.evidence_review = 'needs_review') AS under_review,
               c.name_th AS category_th, c.name_en AS category_en, c.icon, c.color,
               v.number AS village_number, v.name_th AS village_th, v.name_en AS village_en
        FROM incidents i
        JOIN categories c ON c.id = i.category_id
        LEFT JOIN villages v ON v.id = i.village_id
        WHERE {where}
        ORDER BY i.created_at DESC, i.id DESC
        LIMIT :limit OFFSET :offset"""),  # noqa: S608 (see CaseFilter.where)
        {**params, "limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE}).mappings().all()
    return [dict(row) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def cases_geojson(session: Session, organization_id: int, case_filter: CaseFilter) -> dict:
    """The newest MAP_LIMIT matching cases with a place, as GeoJSON built by PostgreSQL."""
    where, params = case_filter.where(organization_id)
    return session.execute(text(f"""
        WITH picked AS (
            SELECT i.id, i.tracking_code, i.created_at, i.status,
                   public_location(i.location, c.emergency) AS location, c.code,
                   c.name_th, c.name_en, c.color, v.number, v.name_th AS village_th,
                   v.name_en AS village_en
            FROM incidents i
            JOIN categories c ON c.id = i.category_id
            LEFT JOIN villages v ON v.id = i.village_id
            WHERE {where} AND i.location IS NOT NULL
            ORDER BY i.created_at DESC, i.id DESC
            LIMIT :limit + 1)
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'truncated', count(*) > :limit,
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'geometry', ST_AsGeoJSON(p.location, 6)::json,
                'properties', json_build_object(
                    'code', p.tracking_code, 'status', p.status, 'reported_at', p.created_at,
                    'category', p.code, 'category_th', p.name_th, 'category_en', p.name_en,
                    'color', p.color, 'village_number', p.number,
                    'village_th', p.village_th, 'village_en', p.village_en))
                ORDER BY p.created_at DESC, p.id DESC)
                FILTER (WHERE p.rn <= :limit), '[]'::json))
        FROM (SELECT picked.*, row_number() OVER (ORDER BY created_at DESC, id DESC) AS rn
              FROM picked) p"""),  # noqa: S608 (see CaseFilter.where)
        {**params, "limit": MAP_LIMIT}).scalar_one()


def filter_choices(session: Session, organization_id: int) -> dict:
    """The types (never the sensitive ones) and villages a visitor may filter by."""
    return {
        "categories": session.scalars(select(Category).where(
            Category.organization_id == organization_id, Category.active,
            Category.sensitive.is_(False)).order_by(Category.sort_order)).all(),
        "villages": session.scalars(select(Village).where(
            Village.organization_id == organization_id).order_by(Village.number)).all(),
    }


class PublicCasesQuery(CaseFilter):
    """The public filters of an organization: the public map's JSON and the open data."""
    org: Annotated[str | None, Field(
        description="Organization slug; default: the deployment's default organization.")] = None
