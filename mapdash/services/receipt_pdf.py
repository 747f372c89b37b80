"""A receipt as an A5-landscape PDF in Thai (ใบเสร็จรับเงิน): the organization's name and logo,
the number and date in the Buddhist Era, the payer, what it pays, the amount in figures and in
Thai words, the transfer it was paid by, who received it, and a QR code of its check page.

The fonts of the request form (office/printform.py: Sarabun, shaped by HarfBuzz) so that the
tone marks sit right and the text can be read back (a test reads it with pypdf)."""
import io
from decimal import Decimal

import qrcode
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from mapdash.i18n import _, _p, format_date, language, localized
from mapdash.models import Organization, Payment, Receipt, User
from mapdash.office.printform import FONT, FONT_FILES
from mapdash.services.payments import format_baht, format_day
from mapdash.services.thai_baht import baht_text

MARGIN = 12  # mm
QR_SIZE = 30
GREY = (100, 116, 139)
LABEL_WIDTH = 38
A5_MM = (148, 210)  # fpdf2 warns about its own "A5" since it corrected it


def render(receipt: Receipt, payment: Payment, organization: Organization, issuer: User,
           check_url: str) -> bytes:
    with language("th"):  # an official document: in Thai whatever the officer reads
        pdf = _Receipt()
        pdf.add_page()
        pdf.header_block(receipt, organization, check_url)
        pdf.body(receipt, payment, issuer)
        return bytes(pdf.output())


class _Receipt(FPDF):
    def __init__(self):
        super().__init__(orientation="landscape", format=A5_MM)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=12)
        self.add_font(FONT, "", str(FONT_FILES / "Sarabun-Regular.ttf"))
        self.add_font(FONT, "B", str(FONT_FILES / "Sarabun-Bold.ttf"))
        self.set_text_shaping(True)
        self.set_font(FONT, size=12)
        self.set_title(_p("payment receipt", "Receipt"))
        self.set_creator("mapdash")

    def header_block(self, receipt: Receipt, organization: Organization, check_url: str) -> None:
        qr_x = self.w - MARGIN - QR_SIZE
        self.image(qrcode.make(check_url, border=1).get_image(), x=qr_x, y=MARGIN,
                   w=QR_SIZE, h=QR_SIZE)
        self.set_xy(qr_x - 16, MARGIN + QR_SIZE)
        self.set_font(FONT, size=8)
        self.cell(QR_SIZE + 16, 4, _("Scan to check this receipt"), align="R")
        text_x = MARGIN
        if organization.logo:
            self.image(io.BytesIO(organization.logo), x=MARGIN, y=MARGIN, w=22, h=22,
                       keep_aspect_ratio=True)
            text_x += 26
        width = qr_x - text_x - 4
        self.set_xy(text_x, MARGIN)
        self.set_font(FONT, "B", size=13)
        self.multi_cell(width, 6, localized(organization), new_x=XPos.LEFT, new_y=YPos.NEXT)
        if organization.address:
            self.set_font(FONT, size=9)
            self.multi_cell(width, 4.5, organization.address, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, "B", size=20)
        self.cell(width, 11, _p("payment receipt", "Receipt"), new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, size=12)
        self.cell(width, 6, _("No. %(number)s", number=receipt.label), new_x=XPos.LEFT,
                  new_y=YPos.NEXT)
        self.cell(width, 6, _("Date %(date)s", date=format_date(receipt.issued_at)),
                  new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_y(max(self.get_y(), MARGIN + QR_SIZE + 5) + 2)

    def row(self, label: str, value: str, bold: bool = False) -> None:
        self.set_x(MARGIN)
        self.set_font(FONT, size=11)
        self.set_text_color(*GREY)
        self.cell(LABEL_WIDTH, 7, label)
        self.set_text_color(0)
        self.set_font(FONT, "B" if bold else "", size=13 if bold else 12)
        self.multi_cell(0, 7, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def body(self, receipt: Receipt, payment: Payment, issuer: User) -> None:
        self.row(_("Received from"), receipt.payer_name)
        self.row(_("For"), receipt.pays_for_text)
        self.row(_("Amount"), _("%(amount)s baht", amount=format_baht(receipt.amount_satang)),
                 bold=True)
        self.row("", "(" + baht_text(Decimal(receipt.amount_satang) / 100) + ")")
        paid_by = _("Bank transfer of %(date)s", date=format_day(payment.transferred_on))
        if payment.transfer_ref:
            paid_by += " " + _("reference %(reference)s", reference=payment.transfer_ref)
        self.row(_("Paid by"), paid_by)
        self.ln(8)
        self.set_font(FONT, size=12)
        self.cell(0, 7, "." * 48, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # to sign
        self.cell(0, 7, _("Received by %(name)s", name=issuer.display_name or issuer.email),
                  align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)
        self.set_text_color(*GREY)
        self.ln(2)
        self.multi_cell(0, 4.5, _("Printed by the system of the organization. Scan the QR code "
                                  "to check that this receipt is valid."),
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
