"""Finding any case, open or closed: the office's case list and search (/dispatch/cases/list).

The filters are the map's (maps/map_filters.py) plus every status, and one search box that
takes what a citizen gives on the phone: a tracking code as typed, a phone number in any
form, a name, or a few letters of the details or the place. Thai has no spaces between
words, so text matches any substring: incidents.search_text, normalized once when a case is
written, with a trigram index (sql/018_case_search.sql). An officer sees only their own
department's cases (geo.map_filter narrows the filters to it).
"""
import re
from typing import Annotated

from pydantic import BeforeValidator, Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.api.params import REJECTED, OneOf, Refusal, whole_number
from mapdash.cases.intake import TRACKING_ALPHABET, normalize_tracking_code
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.maps import geo
from mapdash.maps.map_filters import MapFilters
from mapdash.models import Category, User, Village
from mapdash.vocabulary import STATUSES

PAGE_SIZE = 50
MAX_PAGE = 2000  # 100,000 rows deep: past that, a filter finds it faster than paging
MAX_QUERY = 100
MIN_TEXT = 3     # the trigram index needs three letters; fewer would read every case
SORTS = ("date", "status", "type", "village")
# Sorting by a group walks its values in order and takes from each only what the page can
# show, newest first, by an index on (organization, group, date) (sql/018): sorting every
# case of a million to show fifty took seconds. Cases without a village are group 0, last.
GROUPS = {"status": ("i.status", "text"), "type": ("i.category_id", "integer"),
          "village": ("coalesce(i.village_id, 0)", "integer")}
ORDERS = ("desc", "asc")
_CODE = re.compile(f"^[{TRACKING_ALPHABET}]{{4}}-[{TRACKING_ALPHABET}]{{4}}$")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_PHONE = re.compile(r"^[\s0-9+()\-.]+$")


class CaseListQuery(MapFilters):
    """The list's filters and search (the page's query string)."""
    statuses: Annotated[tuple[Annotated[str, OneOf(STATUSES)], ...], Field(
        alias="status", description="Any status, open or closed."),
        Refusal("bad_status", _l("Unknown status: %(statuses)s", statuses=REJECTED))] = ()
    q: Annotated[str, Field(
        max_length=MAX_QUERY,
        description="A tracking code, a phone number, or text of the name, details or place."),
        Refusal("bad_query", _l("Search for at most %(limit)s characters", limit=MAX_QUERY))] = ""
    sort: Annotated[str, OneOf(SORTS), Field(description="The column sorted by."),
                    Refusal("bad_sort", _l("Cases can be sorted by date, status, type or village"))] = "date"
    order: Annotated[str, OneOf(ORDERS), Field(description="`desc` or `asc`."),
                     Refusal("bad_sort", _l("The order is desc or asc"))] = "desc"
    page: Annotated[int, Field(ge=1, le=MAX_PAGE, description="The page, from 1."),
                    BeforeValidator(whole_number),
                    Refusal("bad_page", _l("The page must be a whole number from 1 to %(last)s",
                                           last=MAX_PAGE))] = 1

    def args(self, **changes) -> dict:
        """The query string of this list, with `changes` (another page, another sort)."""
        args = {"type": list(self.types), "status": list(self.statuses),
                "department": list(self.departments), "village": list(self.villages),
                "from": self.date_from and self.date_from.isoformat(),
                "to": self.date_to and self.date_to.isoformat(),
                "overdue": "1" if self.overdue else None, "q": self.q,
                "sort": self.sort, "order": self.order, "page": self.page}
        args.update(changes)
        return {key: value for key, value in args.items() if value not in (None, "", [])}


def _search_clause(typed: str, params: dict) -> str | None:
    """What the search box asks, as a condition on incidents i: a code matches its case, a
    phone number its digits, anything else a substring of the normalized text. Fixed text:
    the values are bound parameters."""
    typed = typed.strip()
    if not typed:
        return None
    code = normalize_tracking_code(typed)
    if _CODE.match(code):  # eight letters of the code's alphabet: a code, found by its index
        params["code"] = code
        return "i.tracking_code = :code"
    plain = typed.translate(_THAI_DIGITS)
    if _PHONE.match(plain):  # a phone number: its digits, as search_phone stores them
        digits = re.sub(r"\D", "", plain)
        typed = "0" + digits[2:] if re.match(r"^66[0-9]{8,9}$", digits) else digits
    if len(typed) < MIN_TEXT:
        raise UserError("short_query", _l("Type at least %(count)s letters or digits to search",
                                          count=MIN_TEXT), field="q")
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params["pattern"] = escaped
    return "i.search_text LIKE '%' || search_normalize(:pattern) || '%'"


def search_cases(session: Session, user: User, query: CaseListQuery) -> tuple[list[dict], bool]:
    """One page of the cases `user` may see that match `query`, and whether more follow."""
    f = query.map_filter(session, user)
    clauses, params = geo.filter_clauses(session, f)
    found = _search_clause(query.q, params)
    if found:
        clauses.append(found)
    params.update(limit=PAGE_SIZE + 1, offset=(query.page - 1) * PAGE_SIZE)
    where = " AND ".join(clauses)
    if query.sort == "date":
        direction = "ASC" if query.order == "asc" else "DESC"
        picked = f"""SELECT i.id, i.created_at FROM incidents i WHERE {where}
                     ORDER BY i.created_at {direction}, i.id {direction}
                     LIMIT :limit OFFSET :offset"""  # noqa: S608 (fixed fragments, see above)
        order = f"p.created_at {direction}, p.id {direction}"
    else:
        column, kind = GROUPS[query.sort]
        groups = _groups(session, f.organization_id, query.sort)
        groups = groups[::-1] if query.order == "desc" else groups
        params["groups"] = groups + [0] if query.sort == "village" else groups  # none: last
        picked = f"""SELECT g.n, p.id, p.created_at
                     FROM unnest(CAST(:groups AS {kind}[])) WITH ORDINALITY AS g(key, n)
                     CROSS JOIN LATERAL (
                         SELECT i.id, i.created_at FROM incidents i
                         WHERE {where} AND {column} = g.key
                         ORDER BY i.created_at DESC, i.id DESC
                         LIMIT :limit + :offset) p
                     ORDER BY g.n, p.created_at DESC, p.id DESC
                     LIMIT :limit OFFSET :offset"""  # noqa: S608 (fixed fragments, see above)
        order = "p.n, p.created_at DESC, p.id DESC"
    # Fixed text only: the clauses above, a column of GROUPS, never a value.
    rows = session.execute(text(f"""
        WITH p AS ({picked})
        SELECT i.id, i.tracking_code AS code, i.created_at, i.closed_at, i.status, i.channel,
               i.reporter_name, i.reporter_phone, left(i.description, 160) AS description,
               i.location IS NULL AS no_place, i.address, c.name_th AS category_th,
               c.name_en AS category_en, c.icon, c.id AS category_id, v.number AS village_number,
               v.name_th AS village_th, v.name_en AS village_en, d.tracking_code AS duplicate_of
        FROM p
        JOIN incidents i ON i.id = p.id
        JOIN categories c ON c.id = i.category_id
        LEFT JOIN villages v ON v.id = i.village_id
        LEFT JOIN incidents d ON d.id = i.duplicate_of
        ORDER BY {order}"""), params).mappings().all()  # noqa: S608 (fixed fragments)
    return [dict(row) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def _groups(session: Session, organization_id: int, sort: str) -> list:
    """The values of a sort's groups, first to last: the workflow's statuses, the types as
    the map orders them, the villages by number."""
    if sort == "status":
        return list(STATUSES)
    if sort == "type":
        return list(session.scalars(select(Category.id).where(
            Category.organization_id == organization_id).order_by(Category.sort_order, Category.id)))
    return list(session.scalars(select(Village.id).where(
        Village.organization_id == organization_id).order_by(Village.number)))
