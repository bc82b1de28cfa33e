"""Spreadsheet output (CSV for Excel and WPS, .xlsx) that is safe to open.

Every text cell that a spreadsheet would run as a formula is neutralised (CSV injection) and
stripped of control characters, and CSV is UTF-8 with a BOM so that Excel shows Chinese
correctly. Times are local and naive, as a spreadsheet cell holds them.
"""

import csv
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

from .text import without_control

UTF8_BOM = "\ufeff"

# Text starting with one of these is run as a formula by Excel, WPS and LibreOffice (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Text safe for a cell: '=HYPERLINK(…)' becomes "'=HYPERLINK(…)" (shown as text, never run),
    and control characters a row may still hold from before they were refused are dropped
    (openpyxl refuses to write them, and they mean nothing in a cell)."""
    value = without_control(value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def local_naive(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment).replace(tzinfo=None) if moment is not None else None


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


class CsvLine:
    """A write-only 'file' for csv.writer that hands each written line back."""

    def write(self, value: str) -> str:
        return value


def table_csv(filename: str, rows: list[dict]) -> HttpResponse:
    """A small table (a list of dicts with the same keys) as a UTF-8-with-BOM CSV download,
    with the same cell formatting and formula neutralising as the customer export."""
    header = list(rows[0]) if rows else []
    lines = CsvLine()
    writer = csv.writer(lines)
    body = [writer.writerow(header)]
    for row in rows:
        cells = []
        for key in header:
            value = row[key]
            if isinstance(value, datetime):
                value = local_naive(value)
            cell = csv_cell(value)
            cells.append(neutralise(cell) if isinstance(value, str) else cell)
        body.append(writer.writerow(cells))
    response = HttpResponse(UTF8_BOM + "".join(body), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
