"""Statistics for executives (issue 12): how many cases came in, how fast they were handled,
what is late and what citizens thought, for a period of the Thai fiscal year; the page
(views/stats.py), the monthly report in PDF (report_pdf.py) and the workbook (workbook.py)
show the same figures (figures.py)."""
