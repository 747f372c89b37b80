"""The monthly report to print for the executives' meeting: an A4 PDF in the reader's language
(Thai unless they chose English) with the figures of the period, the chart of cases per month,
and the tables per village, case type and channel.

Sarabun and HarfBuzz as the request form (office/printform.py): the font is embedded, so the
printout looks the same wherever it is opened. The chart is drawn with fpdf2's own shapes."""
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy.orm import Session

from mapdash.i18n import _, _p, format_date, localized
from mapdash.models import User
from mapdash.office.printform import FONT, FONT_FILES
from mapdash.stats import page_data
from mapdash.stats.figures import Figures, Row, months_in_order
from mapdash.stats.page_data import duration_text, share_text, stars_text
from mapdash.stats.period import month_name
from mapdash.vocabulary import CHANNEL_LABELS

MARGIN = 14  # mm
BLUE, GREEN, GREY = (37, 99, 235), (22, 163, 74), (100, 116, 139)


def monthly_report(session: Session, figures: Figures, user: User, now: datetime) -> bytes:
    names = page_data.names(session, figures.filter)
    pdf = _Report(user.display_name or user.email, now)
    pdf.add_page()
    pdf.title_block(localized(user.organization), figures, names)
    pdf.counts(figures.total)
    pdf.speed_and_satisfaction(figures.total)
    pdf.month_chart(figures)
    tables = page_data.tables(figures, names)
    if figures.filter.several:
        pdf.figures_table(_("Per organization"), _("Organization"), tables["organization"])
    pdf.figures_table(_("Per village"), _("Village"), tables["village"])
    pdf.figures_table(_("Per case type"), _("Case type"), tables["type"])
    if figures.filter.department_id is None:
        pdf.figures_table(_("Per department"), _("Department"), tables["department"])
    pdf.figures_table(_("Per channel"), _("Channel"), tables["channel"])
    pdf.figures_table(_("Per month"), _("Month"), tables["month"])
    return bytes(pdf.output())


class _Report(FPDF):
    def __init__(self, printed_by: str, now: datetime):
        super().__init__(format="A4")
        self.printed_by, self.now = printed_by, now
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=16)
        self.add_font(FONT, "", str(FONT_FILES / "Sarabun-Regular.ttf"))
        self.add_font(FONT, "B", str(FONT_FILES / "Sarabun-Bold.ttf"))
        self.set_text_shaping(True)
        self.set_font(FONT, size=11)
        self.set_title(_("Service report"))
        self.set_creator("mapdash")

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, _("Printed %(at)s by %(name)s   page %(page)s/%(pages)s",
                          at=format_date(self.now, with_time=True), name=self.printed_by,
                          page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 13) -> None:
        self.set_font(FONT, "B", size)
        self.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=11)

    def title_block(self, organization: str, figures: Figures, names) -> None:
        f = figures.filter
        self.set_font(FONT, "B", 18)
        self.cell(0, 10, _("Service report: %(period)s", period=f.period.label),
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=12)
        if f.several:
            organization += " · " + _("Every organization within the province (%(n)s)",
                                      n=len(f.organizations) - 1)
        self.cell(0, 7, organization, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        narrowed = []
        if f.organization_ids and not f.several:  # a province's one organization
            narrowed.append(page_data.label_of("organization", f.organizations[0], names))
        if f.village_id is not None:
            narrowed.append(page_data.label_of("village", f.village_id, names))
        if f.category_id is not None:
            narrowed.append(page_data.label_of("type", f.category_id, names))
        if f.department_id is not None:
            narrowed.append(page_data.label_of("department", f.department_id, names))
        if f.channel is not None:
            narrowed.append(str(CHANNEL_LABELS[f.channel]))
        self.set_text_color(*GREY)
        self.set_font(FONT, size=10)
        last = f.period.months[-1]
        self.multi_cell(0, 5, _("Cases reported from %(first)s to the end of %(last)s (Thai "
                                "time), as they stand on %(now)s.",
                                first=format_date(f.period.start), last=month_name(last),
                                now=format_date(figures.as_of(self.now), with_time=True))
                        + (" " + _("Only: %(what)s", what=", ".join(narrowed)) if narrowed else "")
                        + (" " + _("These figures are being recounted: download the report "
                                   "again in a minute for the figures as they stand now.")
                           if figures.recounting else ""),
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(2)

    def counts(self, row: Row) -> None:
        boxes = ((_p("stats", "Received"), row.received), (_("Accepted"), row.accepted),
                 (_("Resolved"), row.resolved), (_("Rejected"), row.rejected),
                 (_("Still open"), row.still_open), (_("Overdue now"), row.overdue))
        width = (self.w - 2 * MARGIN - 5 * 3) / 6
        y = self.get_y()
        for i, (label, value) in enumerate(boxes):
            x = MARGIN + i * (width + 3)
            self.set_draw_color(203, 213, 225)
            self.rect(x, y, width, 18)
            self.set_xy(x, y + 1)
            self.set_font(FONT, size=9)
            self.set_text_color(*GREY)
            self.cell(width, 5, label, align="C")
            self.set_xy(x, y + 6)
            self.set_font(FONT, "B", 16)
            self.set_text_color(0)
            self.cell(width, 10, f"{value:,}", align="C")
        self.set_font(FONT, size=11)
        self.set_xy(MARGIN, y + 22)

    def speed_and_satisfaction(self, row: Row) -> None:
        self.heading(_("How fast, from the report"))
        label_w, col = 70, 40
        self.set_font(FONT, "B", 10)
        self.cell(label_w, 6, "")
        self.cell(col, 6, _("Median"), align="R")
        self.cell(col, 6, _("%(share)s within", share="90%"), align="R",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)
        for measure, label in (("accept", _("to accept")), ("assign", _("to assign")),
                               ("resolve", _("to resolve"))):
            self.cell(label_w, 6, label)
            self.cell(col, 6, duration_text(row.p50.get(measure)), align="R")
            self.cell(col, 6, duration_text(row.p90.get(measure)), align="R",
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.heading(_("Handled within each step's time limit"), 12)
        self.set_font(FONT, size=10)
        for step, label in (("intake", _("Intake and check")),
                            ("prepare", _("Inform, print, set the status")),
                            ("work", _("The work"))):
            ok, measured = row.within[step]
            self.cell(label_w, 6, label)
            self.cell(col, 6, share_text(row.within_share(step)), align="R")
            self.cell(col, 6, _("%(ok)s of %(n)s", ok=ok, n=measured), align="R",
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.heading(_("What citizens thought"), 12)
        self.set_font(FONT, size=10)
        for label, value in ((_("Average rating (1–5 stars)"), stars_text(row.average_stars)),
                             (_("Cases rated"), f"{row.rated:,}"),
                             (_("Reopened"), f"{share_text(row.reopened_share)} ("
                              + _("%(ok)s of %(n)s", ok=row.reopened, n=row.received) + ")")):
            self.cell(label_w, 6, label)
            self.cell(col, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def month_chart(self, figures: Figures) -> None:
        months = months_in_order(figures)
        chart = page_data.month_chart(figures)
        if self.get_y() + 78 > self.h - 16:
            self.add_page()
        self.heading(_("Cases per month"))
        left, top = MARGIN + 12, self.get_y() + 2
        width, height = self.w - 2 * MARGIN - 14, 56
        self.set_font(FONT, size=8)
        self.set_draw_color(226, 232, 240)
        for tick in chart.ticks:
            y = top + height - height * tick / chart.top
            self.line(left, y, left + width, y)
            self.set_xy(MARGIN - 2, y - 2)
            self.cell(13, 4, f"{tick:,}", align="R")
        slot = width / max(len(months), 1)
        for i, (month, row) in enumerate(months):
            x = left + i * slot
            for offset, value, colour in ((0.12, row.received, BLUE), (0.5, row.resolved, GREEN)):
                bar = height * value / chart.top
                self.set_fill_color(*colour)
                if bar > 0:
                    self.rect(x + slot * offset, top + height - bar, slot * 0.36, bar, style="F")
            if row.received:
                self.set_xy(x, top + height - height * row.received / chart.top - 4.5)
                self.cell(slot * 0.6, 4, f"{row.received:,}", align="C")
            self.set_xy(x, top + height + 1)
            self.cell(slot, 4, month_name(month, short=True), align="C")
        y = top + height + 7
        for i, (label, colour) in enumerate(((_p("stats", "Received"), BLUE), (_("Resolved"), GREEN))):
            self.set_fill_color(*colour)
            self.rect(left + i * 40, y + 1, 3.5, 3.5, style="F")
            self.set_xy(left + i * 40 + 5, y)
            self.set_font(FONT, size=9)
            self.cell(30, 5, label)
        self.set_xy(MARGIN, y + 9)
        self.set_font(FONT, size=11)

    def figures_table(self, title: str, first: str, rows: list[tuple[str, Row]]) -> None:
        columns = (
            (_p("stats", "Received"), 14, lambda r: f"{r.received:,}"),
            (_("Accepted"), 16, lambda r: f"{r.accepted:,}"),
            (_("Resolved"), 15, lambda r: f"{r.resolved:,}"),
            (_("Rejected"), 15, lambda r: f"{r.rejected:,}"),
            (_("Still open"), 17, lambda r: f"{r.still_open:,}"),
            (_("Overdue now"), 17, lambda r: f"{r.overdue:,}"),
            (_("Median to resolve"), 22, lambda r: duration_text(r.p50.get("resolve"))),
            (_("Work within limit"), 17, lambda r: share_text(r.within_share("work"))),
            (_("Rating"), 11, lambda r: stars_text(r.average_stars)),
        )
        label_w = self.w - 2 * MARGIN - sum(w for _label, w, _f in columns)
        if self.get_y() + 30 > self.h - 16:
            self.add_page()
        self.heading(title)

        def head():
            self.set_fill_color(241, 245, 249)
            y = self.get_y()
            self.set_font(FONT, "B", 8)
            self.rect(MARGIN, y, self.w - 2 * MARGIN, 9, style="F")
            self.set_xy(MARGIN, y)
            self.cell(label_w, 9, first)
            x = MARGIN + label_w
            for label, w, _f in columns:
                size, lines = self._fit(label, w - 1)
                self.set_font(FONT, "B", size)
                top = y + (9 - 4 * len(lines)) / 2
                for i, line in enumerate(lines):
                    self.set_xy(x, top + 4 * i)
                    self.cell(w, 4, line, align="R")
                x += w
            self.set_draw_color(148, 163, 184)
            self.line(MARGIN, y + 9, self.w - MARGIN, y + 9)
            self.set_xy(MARGIN, y + 9)
            self.set_font(FONT, size=9)

        head()
        if not rows:
            self.cell(0, 6, _("No cases in this period."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for label, row in rows:
            if self.get_y() + 6 > self.h - 16:
                self.add_page()
                head()
            self.set_draw_color(226, 232, 240)
            self.cell(label_w, 6, self._shortened(label, label_w - 1), border="B")
            for _label, w, value in columns:
                self.cell(w, 6, value(row), border="B", align="R")
            self.ln(6)
        self.ln(3)

    def _fit(self, text: str, width: float) -> tuple[float, list[str]]:
        """A column heading in at most two lines (split at a space) of the largest size from
        8 pt down that fits `width`; Thai has no spaces between words, so it shrinks instead."""
        words = text.split(" ")
        size = 8.0
        while True:
            self.set_font(FONT, "B", size)
            if self.get_string_width(text) <= width:
                return size, [text]
            for cut in range(len(words) - 1, 0, -1):
                lines = [" ".join(words[:cut]), " ".join(words[cut:])]
                if all(self.get_string_width(line) <= width for line in lines):
                    return size, lines
            if size <= 5.5:
                return size, [text]
            size -= 0.5

    def _shortened(self, text: str, width: float) -> str:
        """`text`, cut with an ellipsis where it is wider than `width` in the current font."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text + "…"
