"""The parameters of the dispatchers' map endpoints (/api/dispatch/, docs/map-api.md): the
filters they share, and what each adds. Checked here as text; what needs the database (an
unknown type, department or village, an officer's scope) is checked by geo.map_filter."""
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator
from sqlalchemy.orm import Session

from mapdash.api.params import (
    OUT_OF_RANGE,
    REJECTED,
    OneOf,
    Params,
    Refusal,
    whole_number,
)
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.maps import geo
from mapdash.models import INTEGER_MAX, User
from mapdash.vocabulary import OPEN_STATUSES

# Dates are kept in years where a day more or less (the end of `to`, a time zone) is still a
# date in Python and in PostgreSQL, as Open311's dates are.
_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)
# `since` before 1900 asks for every change: kept there, so that looking back a little
# further (views/api.py, CHANGES_OVERLAP) cannot fall off the start of Python's time.
_EVER = datetime.combine(_FIRST_DAY, datetime.min.time(), UTC)


def _iso_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _aware_time(value):
    """ISO 8601 with its zone (Z too); a time without one is refused."""
    if isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        return max(moment, _EVER)
    return value


def _bbox(value):
    if not isinstance(value, str):
        return value
    west, south, east, north = (float(part) for part in value.split(","))
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError("not a box")
    return geo.BBox(west, south, east, north)


def _number_refusal(name: str, low: int, high: int) -> Refusal:
    return Refusal("bad_number", _l("'%(name)s' must be a whole number from %(low)s to %(high)s",
                                    name=name, low=low, high=high))


def _date_refusals(name: str) -> tuple[Refusal, Refusal]:
    return (Refusal("bad_date", _l("The date '%(name)s' must look like YYYY-MM-DD", name=name)),
            Refusal("bad_date", _l("%(name)s must be between the years 1900 and 9000", name=name),
                    when=OUT_OF_RANGE))


def _no_default(schema: dict) -> None:
    schema.pop("default", None)  # a bool in Python, text in the query string


BBox = Annotated[geo.BBox, BeforeValidator(_bbox), WithJsonSchema({
    "type": "string", "pattern": r"^[^,]+,[^,]+,[^,]+,[^,]+$",
    "description": "west,south,east,north in degrees; west < east, south < north."}),
    Refusal("bad_bbox", _l("bbox must be west,south,east,north in degrees of longitude/latitude"))]
OpenStatus = Annotated[str, OneOf(OPEN_STATUSES)]


class MapFilters(Params):
    """The filters every /api/dispatch/ map endpoint takes (docs/map-api.md)."""
    types: Annotated[tuple[str, ...], Field(alias="type", description="Case type codes.")] = ()
    statuses: Annotated[tuple[OpenStatus, ...], Field(
        alias="status", description="Open statuses only."),
        Refusal("bad_status", _l("Only open statuses can be filtered: not %(statuses)s",
                                 statuses=REJECTED))] = ()
    departments: Annotated[tuple[str, ...], Field(
        alias="department",
        description="Department codes; an officer may name only their own.")] = ()
    # Village numbers are an integer column: a larger number is unknown before SQL is asked.
    villages: Annotated[tuple[Annotated[int, Field(ge=1, le=INTEGER_MAX),
                                        BeforeValidator(whole_number)], ...], Field(
        alias="village", description="Village numbers."),
        Refusal("bad_village", _l("%(what)s: %(values)s", what=_l("Unknown village number"),
                                  values=REJECTED))] = ()
    date_from: Annotated[date | None, BeforeValidator(_iso_date), Field(
        alias="from", ge=_FIRST_DAY, le=_LAST_DAY, description="First report date, Thai time."),
        *_date_refusals("from")] = None
    date_to: Annotated[date | None, BeforeValidator(_iso_date), Field(
        alias="to", ge=_FIRST_DAY, le=_LAST_DAY,
        description="Last report date, Thai time (included)."), *_date_refusals("to")] = None
    # Any other value is no filter, as the page has always sent it.
    overdue: Annotated[bool, BeforeValidator(lambda value: value in ("1", "true", "on", True)),
                       WithJsonSchema({"type": "string"}), Field(
        description="`1`, `true` or `on`: only cases past the limit of their step.",
        json_schema_extra=_no_default)] = False

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UserError("bad_dates", _l("The start date must not be after the end date"),
                            field="from")
        return self

    def map_filter(self, session: Session, user: User) -> geo.MapFilter:
        """The filters checked against the user's organization, narrowed to their scope."""
        return geo.map_filter(
            session, user, types=self.types, statuses=self.statuses,
            departments=self.departments, villages=self.villages, date_from=self.date_from,
            date_to=self.date_to, overdue_only=self.overdue)


class CasesQuery(MapFilters):
    bbox: Annotated[BBox | None, Field(
        description="Only cases in this box; without it, every case.")] = None
    place: Annotated[Literal["none"] | None, Field(
        description="Only the cases with no place (not with bbox)."),
        Refusal("bad_place", _l("place can only be none (the cases with no place)"))] = None
    limit: Annotated[int, Field(
        ge=1, le=geo.CASE_LIMIT_MAX, description="At most this many features."),
        BeforeValidator(whole_number),
        _number_refusal("limit", 1, geo.CASE_LIMIT_MAX)] = geo.CASE_LIMIT_DEFAULT

    @model_validator(mode="after")
    def _place_or_bbox(self):
        if self.place and self.bbox:
            raise UserError("bad_place", _l("place=none cannot be combined with bbox"),
                            field="place")
        return self


class TileQuery(MapFilters):
    limit: Annotated[int, Field(
        ge=1, le=geo.CASE_LIMIT_MAX,
        description="At most this many cases in a tile; more: the tile counts them per cell."),
        BeforeValidator(whole_number),
        _number_refusal("limit", 1, geo.CASE_LIMIT_MAX)] = geo.CASE_LIMIT_DEFAULT


class GridQuery(MapFilters):
    bbox: Annotated[BBox, Field(description="The view.")]
    zoom: Annotated[int, Field(
        ge=0, le=22, description="Map zoom: cells are about 64 screen pixels wide."),
        BeforeValidator(whole_number), _number_refusal("zoom", 0, 22)] = 13


class ChangesQuery(Params):
    since: Annotated[datetime, BeforeValidator(_aware_time), Field(
        description="ISO 8601 with its zone: the `now` of the previous answer (a time before "
                    "1900 counts as 1900)."),
        Refusal("bad_since", _l("since must be an ISO-8601 time with its time zone"))]
