"""A4 sheets of QR stickers, one per household (seed 002: every house got a sticker that
opens the administration's services). The grid fits the common A4 sheet of 24 labels,
3 × 8 of 70 × 37 mm with no margin; each village starts on a new sheet, its houses in
number order.

The sticker is in Thai, the language of the houses it is stuck on, whatever the printing
admin reads. Its QR code holds only the link /h/<qr_key>: a random key, no name, no ID
number (tests/test_households.py). The code is drawn as vector squares, sharp at any
printer's resolution; Sarabun is embedded as in the request form (office/printform.py).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import qrcode
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from mapdash.i18n import _, language, localized, village_label
from mapdash.models import Household, Organization
from mapdash.office.printform import FONT, FONT_FILES

COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70.0, 297 / 8   # mm: 37.125, the sheets' 37 mm rounded to fill the page
PAD = 3.5                          # mm: label printers and sheets leave the edges blank
QR_SIZE = LABEL_H - 2 * PAD
PER_SHEET = COLUMNS * ROWS


def sticker_sheets(organization: Organization, households: Sequence[Household],
                   link: Callable[[str], str]) -> bytes:
    """The PDF of the stickers of `households` (loaded with their village), `link(qr_key)`
    giving the address each QR code opens."""
    with language("th"):
        pdf = _Sheets(localized(organization))
        village_id = None
        place = PER_SHEET
        for household in sorted(households, key=lambda h: (h.village.number, _natural(h.house_number))):
            if household.village_id != village_id or place == PER_SHEET:
                pdf.add_page()
                village_id, place = household.village_id, 0
            pdf.sticker(place, household, link(household.qr_key))
            place += 1
        if not households:
            pdf.add_page()
            pdf.set_xy(20, 20)
            pdf.cell(0, 10, _("No household to print"))
        return bytes(pdf.output())


def _natural(number: str) -> list:
    """"2" before "10", "12/3" after "12": house numbers sorted as people read them."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", number)]


class _Sheets(FPDF):
    def __init__(self, organization_name: str):
        super().__init__(format="A4")
        self.organization_name = organization_name
        self.set_margins(0, 0, 0)
        self.set_auto_page_break(False)
        self.add_font(FONT, "", str(FONT_FILES / "Sarabun-Regular.ttf"))
        self.add_font(FONT, "B", str(FONT_FILES / "Sarabun-Bold.ttf"))
        self.set_text_shaping(True)
        self.set_title(_("Household QR stickers"))
        self.set_creator("mapdash")

    def sticker(self, place: int, household: Household, url: str) -> None:
        x = (place % COLUMNS) * LABEL_W
        y = (place // COLUMNS) * LABEL_H
        self._qr(url, x + PAD, y + PAD, QR_SIZE)
        text_x = x + PAD + QR_SIZE + 2.5
        width = x + LABEL_W - PAD - text_x
        self.set_text_color(90)
        self.set_font(FONT, size=7)
        self.set_xy(text_x, y + PAD)
        self.multi_cell(width, 3.2, self.organization_name, max_line_height=3.2,
                        new_x=XPos.LEFT, new_y=YPos.NEXT, align=Align.L)
        self.set_text_color(0)
        self.set_font(FONT, size=8)
        self.cell(width, 4.5, _("House number"), new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, "B", 17 if len(household.house_number) <= 7 else 12)
        self.cell(width, 7, household.house_number, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, size=8.5)
        self.multi_cell(width, 3.8, str(village_label(household.village)), new_x=XPos.LEFT,
                        new_y=YPos.NEXT, align=Align.L)
        self.set_font(FONT, size=6.5)
        self.set_text_color(90)
        self.set_xy(text_x, y + LABEL_H - PAD - 3.2)
        self.cell(width, 3.2, _("Scan to report or use our services"))
        self.set_text_color(0)

    def _qr(self, url: str, x: float, y: float, size: float) -> None:
        code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(url)
        code.make(fit=True)
        matrix = code.get_matrix()
        module = size / len(matrix)
        self.set_fill_color(0)
        for row_number, row in enumerate(matrix):
            column = 0
            while column < len(row):  # one rectangle per run of dark modules
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < len(row) and row[column]:
                    column += 1
                self.rect(x + start * module, y + row_number * module,
                          (column - start) * module, module + 0.02, style="F")  # no hairline between rows
