"""The request form of seed 001, step 4, printed for the executive: a PDF in the reader's
language (Thai, the office's, unless they chose English).

The font (Sarabun, the typeface of Thai government documents) comes inside the
fontpkg-sarabun pip package and is embedded in the PDF, so neither the server's nor the
reader's installed fonts matter. Thai vowels and tone marks are placed by HarfBuzz (text
shaping). The small map is drawn from our own village outlines: map tiles are never fetched.
"""
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import fontpkg_sarabun
import qrcode
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.cases import photos as photo_store
from mapdash.cases import workflow
from mapdash.cases.questions import answer_rows
from mapdash.i18n import _, _p, current_language, format_date, localized, village_label
from mapdash.models import Incident
from mapdash.vocabulary import CHANNEL_LABELS, STATUS_LABELS

FONT_FILES = Path(fontpkg_sarabun.ROOT) / "files"
FONT = "Sarabun"
MAX_PHOTOS = 4
MARGIN = 15        # mm
MAP_BOX = (MARGIN, 0, 88, 64)   # x, y (set at drawing time), width, height in mm
SIGN_OFF_HEIGHT = 62
LOGO_BOX = (28, 22)  # mm: the organization's logo, top left, its text beside it


@dataclass(frozen=True)
class MapShape:
    number: int
    is_case_village: bool
    geometry: dict   # GeoJSON (Multi)Polygon, lon/lat
    label_at: tuple[float, float]


def request_form(session: Session, incident: Incident, *, tracking_url: str, printed_by: str,
                 now: datetime) -> bytes:
    """The PDF bytes of the request form of `incident`."""
    pdf = _Form(printed_by, now)
    pdf.add_page()
    y = pdf.header_block(incident, tracking_url)
    y = pdf.details(incident, y + 4)
    y = pdf.check_page_break_at(y + 4, MAP_BOX[3] + 12)
    pdf.map_block(_map_shapes(session, incident), _point(session, incident), y)
    pdf.photo_block([p for p in incident.photos if p.kind == "report" and photo_store.is_ready(p)]
                    [:MAX_PHOTOS], y)
    y = pdf.check_page_break_at(y + MAP_BOX[3] + 10, SIGN_OFF_HEIGHT)
    pdf.sign_off(y)
    return bytes(pdf.output())


def _point(session: Session, incident: Incident) -> tuple[float, float] | None:
    if incident.location is None:
        return None
    return tuple(session.execute(text("SELECT ST_X(location), ST_Y(location) FROM incidents "
                                      "WHERE id = :id"), {"id": incident.id}).one())


def _map_shapes(session: Session, incident: Incident) -> list[MapShape]:
    """The case's village and its neighbours, clipped to the area around it, each labelled
    at a point inside what is drawn of it."""
    rows = session.execute(text("""
        WITH focus AS (
            SELECT ST_Expand(coalesce(
                (SELECT v.geom FROM villages v WHERE v.id = i.village_id)::box2d,
                ST_Expand(i.location, 0.005)::box2d), 0.003) AS box
            FROM incidents i WHERE i.id = :id)
        SELECT number, own, ST_AsGeoJSON(clipped, 6),
               ST_X(ST_PointOnSurface(clipped)), ST_Y(ST_PointOnSurface(clipped))
        FROM (
            SELECT v.number, v.id = i.village_id AS own,
                   ST_CollectionExtract(ST_Intersection(
                       v.geom, ST_SetSRID(focus.box::geometry, 4326)), 3) AS clipped
            FROM villages v, focus, incidents i
            WHERE i.id = :id AND v.organization_id = i.organization_id
              AND v.geom && ST_SetSRID(focus.box::geometry, 4326)) parts
        WHERE NOT ST_IsEmpty(clipped)  -- its box reached the area, the village itself not
        ORDER BY own, number  -- the case's village last, its outline over the shared edges
        """), {"id": incident.id}).all()
    return [MapShape(number, own, json.loads(geometry), (x, y))
            for number, own, geometry, x, y in rows]


class _Form(FPDF):
    def __init__(self, printed_by: str, now: datetime):
        super().__init__(format="A4")
        self.printed_by, self.now = printed_by, now
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.add_font(FONT, "", str(FONT_FILES / "Sarabun-Regular.ttf"))
        self.add_font(FONT, "B", str(FONT_FILES / "Sarabun-Bold.ttf"))
        self.set_text_shaping(True)
        self.set_font(FONT, size=12)
        self.set_title(_("Request form"))
        self.set_creator("mapdash")

    def paragraph(self, width: float, height: float, text: str) -> None:
        """Text wrapped in `width`; the cursor then at the left margin of the next line."""
        self.multi_cell(width, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, size=9)
        self.set_text_color(100, 116, 139)
        self.cell(0, 5, _("Printed %(at)s by %(name)s   page %(page)s/%(pages)s",
                          at=format_date(self.now, with_time=True), name=self.printed_by,
                          page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(0)

    def check_page_break_at(self, y: float, needed: float) -> float:
        """y if `needed` mm still fit below it; else the top of a new page."""
        if y + needed > self.h - 18:
            self.add_page()
            return self.t_margin
        return y

    # --- blocks ---------------------------------------------------------------------------
    def header_block(self, incident: Incident, tracking_url: str) -> float:
        qr_size = 32
        qr_x = self.w - MARGIN - qr_size
        self.image(qrcode.make(tracking_url, border=1).get_image(), x=qr_x, y=MARGIN,
                   w=qr_size, h=qr_size)
        self.set_xy(qr_x - 6, MARGIN + qr_size)
        self.set_font(FONT, size=8)
        self.cell(qr_size + 12, 4, _("Scan to follow the case"), align="C")

        logo = incident.organization.logo  # its clean JPEG (office/organization.py)
        text_x = MARGIN + (LOGO_BOX[0] + 4 if logo else 0)
        if logo:
            self.image(io.BytesIO(logo), x=MARGIN, y=MARGIN, w=LOGO_BOX[0], h=LOGO_BOX[1],
                       keep_aspect_ratio=True)
        width = qr_x - text_x - 4
        self.set_left_margin(text_x)  # the title's lines wrap beside the logo
        self.set_xy(text_x, MARGIN)
        self.set_font(FONT, size=12)
        self.paragraph(width, 6, localized(incident.organization))
        self.set_font(FONT, "B", size=20)
        self.paragraph(width, 11, _("Request form / petition"))
        self.set_font(FONT, size=13)
        self.paragraph(width, 7, _("Case number %(code)s", code=incident.tracking_code))
        self.set_font(FONT, size=11)
        self.paragraph(width, 6, _("Status: %(status)s", status=STATUS_LABELS[incident.status]))
        self.set_font(FONT, size=12)
        self.set_left_margin(MARGIN)
        return max(self.get_y(), MARGIN + qr_size + 5)

    def details(self, incident: Incident, y: float) -> float:
        rows = [
            (_("Date reported"), format_date(incident.created_at, with_time=True)),
            (_("Channel"), str(CHANNEL_LABELS.get(incident.channel, incident.channel))),
            (_("Type of case"), localized(incident.category)),
            (_("Details"), incident.description or "-"),
            *answer_rows(incident.category.questions, incident.attributes, current_language()),
            *([(_("Address as sent"), incident.address)] if incident.address else []),
            (_("Place"), _place(incident)),
            (_("Reporter"), _reporter(incident)),
            (_("Responsible department"), localized(incident.department)),
            (_("Responsible (crew)"), incident.assignee.display_name if incident.assignee else "-"),
        ]
        due = workflow.due_at(incident)
        if due is not None:
            rows.append((_("This step is due"), format_date(due, with_time=True)))
        label_w = 42
        self.set_y(y)
        for label, value in rows:
            top = self.get_y()
            self.set_x(MARGIN)
            self.set_font(FONT, "B", size=12)
            self.paragraph(label_w, 6.5, label)
            bottom = self.get_y()
            self.set_xy(MARGIN + label_w, top)
            self.set_font(FONT, size=12)
            self.paragraph(self.w - 2 * MARGIN - label_w, 6.5, value)
            self.set_y(max(bottom, self.get_y()) + 0.8)
            self.set_draw_color(226, 232, 240)
            self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
            self.set_y(self.get_y() + 0.8)
        return self.get_y()

    def map_block(self, shapes: list[MapShape], point: tuple[float, float] | None, y: float):
        x0, _top, width, height = MAP_BOX
        self.set_draw_color(148, 163, 184)
        self.rect(x0, y, width, height)
        self.set_font(FONT, size=9)
        coords = [c for s in shapes for ring in _rings(s.geometry) for c in ring]
        if point is not None:
            coords.append(point)
        if not coords:
            self.set_xy(x0, y + height / 2 - 3)
            self.cell(width, 6, _("This case has no place on the map"), align="C")
            return
        project = _projection(coords, x0 + 2, y + 2, width - 4, height - 4)
        for shape in shapes:
            own = shape.is_case_village
            self.set_fill_color(*((219, 234, 254) if own else (241, 245, 249)))
            self.set_draw_color(*((29, 78, 216) if own else (148, 163, 184)))
            self.set_line_width(0.5 if own else 0.2)
            for ring in _rings(shape.geometry):
                self.polygon([project(lon, lat) for lon, lat in ring], style="DF")
        self.set_line_width(0.2)
        for shape in shapes:
            lx, ly = project(*shape.label_at)
            if x0 < lx < x0 + width and y < ly < y + height:
                self.set_text_color(51, 65, 85)
                self.set_xy(lx - 8, ly - 2.5)
                self.cell(16, 5, f"{_p('track.village_no', 'Village')} {shape.number}", align="C")
        self.set_text_color(0)
        if point is not None:
            px, py = project(*point)
            self.set_fill_color(220, 38, 38)
            self.set_draw_color(255, 255, 255)
            self.set_line_width(0.6)
            self.circle(px, py, 2.6, style="DF")
            self.set_line_width(0.2)
        self._scale_bar(coords, x0, y, width, height)
        self.set_xy(x0, y + height + 1)
        self.set_font(FONT, size=9)
        caption = _("Map: the case's village (blue) and the place reported (red)")
        if point is not None:
            caption += "  " + _("coordinates %(lat)s, %(lon)s", lat=format(point[1], ".6f"),
                                lon=format(point[0], ".6f"))
        self.cell(width + 90, 4.5, caption)

    def _scale_bar(self, coords, x0, y, width, height):
        """A 1 km (or 500 m) bar in the lower left: the form is read without a zoom."""
        lons = [c[0] for c in coords]
        lats = [c[1] for c in coords]
        km_across = (max(lons) - min(lons)) * 111.32 * math.cos(math.radians(sum(lats) / len(lats)))
        mm_per_km = (width - 4) / max(km_across, 0.2)
        length_km = 1.0 if mm_per_km * 1.0 <= width / 3 else 0.5
        bar = min(mm_per_km * length_km, width / 2)
        bx, by = x0 + 4, y + height - 5
        self.set_draw_color(15, 23, 42)
        self.set_line_width(0.6)
        self.line(bx, by, bx + bar, by)
        self.set_line_width(0.2)
        self.set_xy(bx, by - 5)
        self.set_font(FONT, size=8)
        self.cell(bar, 4, _("%(n)s km", n=1) if length_km == 1 else _("%(n)s m", n=500), align="C")

    def photo_block(self, photos, y: float):
        x0 = MARGIN + MAP_BOX[2] + 6
        width = self.w - MARGIN - x0
        height = MAP_BOX[3]
        self.set_font(FONT, size=9)
        if not photos:
            self.set_draw_color(148, 163, 184)
            self.rect(x0, y, width, height)
            self.set_xy(x0, y + height / 2 - 3)
            self.cell(width, 6, _("The reporter sent no photo"), align="C")
            return
        columns = 1 if len(photos) == 1 else 2
        rows = math.ceil(len(photos) / columns)
        cell_w, cell_h = (width - (columns - 1) * 3) / columns, (height - (rows - 1) * 3) / rows
        for index, photo in enumerate(photos):
            cx = x0 + (index % columns) * (cell_w + 3)
            cy = y + (index // columns) * (cell_h + 3)
            self.image(str(photo_store.photo_path(photo, thumb=True)), x=cx, y=cy, w=cell_w,
                       h=cell_h, keep_aspect_ratio=True)

    def sign_off(self, y: float):
        half = (self.w - 2 * MARGIN - 8) / 2
        for column, (title, signer) in enumerate((
                (_("The officer's opinion"), _("Officer who took the case")),
                (_("The executive's opinion / order"), _("Executive")))):
            x = MARGIN + column * (half + 8)
            self.set_xy(x, y)
            self.set_font(FONT, "B", size=12)
            self.cell(half, 7, title)
            self.set_draw_color(148, 163, 184)
            for line in range(3):
                ly = y + 15 + line * 8
                self.line(x, ly, x + half, ly)
            self.set_font(FONT, size=11)
            self.set_xy(x, y + 40)
            self.cell(half, 6, _("Signed") + " ........................................", align="C")
            self.set_xy(x, y + 47)
            self.cell(half, 6, f"({signer})", align="C")
            self.set_xy(x, y + 54)
            self.cell(half, 6, _("Date") + " ........ / ........ / ........", align="C")


def _place(incident: Incident) -> str:
    if incident.village is not None:
        return str(village_label(incident.village))
    return _("No village given") if incident.location is not None else _("No place given")


def _reporter(incident: Incident) -> str:
    if incident.category.sensitive:
        return _("Withheld (the reporter must be protected)")
    parts = [incident.reporter_name or _("Anonymous")]
    if incident.reporter_phone:
        parts.append(_("phone %(number)s", number=incident.reporter_phone))
    if incident.reporter_line_id:
        parts.append(f"LINE {incident.reporter_line_id}")
    if incident.reporter_email:
        parts.append(incident.reporter_email)
    if incident.followers_count:
        parts.append(_("%(n)s more people reported the same", n=incident.followers_count))
    return "  ".join(parts)


def _rings(geometry: dict) -> list[list[tuple[float, float]]]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [[tuple(c) for c in polygon[0]] for polygon in polygons]


def _projection(coords, x0: float, y0: float, width: float, height: float):
    """lon/lat -> mm on the page: equirectangular, true to scale at this latitude."""
    west, east = min(c[0] for c in coords), max(c[0] for c in coords)
    south, north = min(c[1] for c in coords), max(c[1] for c in coords)
    squash = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * squash, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min(width / span_x, height / span_y)
    off_x = x0 + (width - span_x * scale) / 2
    off_y = y0 + (height - span_y * scale) / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        return off_x + (lon - west) * squash * scale, off_y + (north - lat) * scale
    return project
