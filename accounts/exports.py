"""Exports of the customer list as CSV and .xlsx: the rows the list page shows, nothing more.

Rows come from `selectors.customer_list` (so from `Customer.objects.visible_to`) and are read
as plain tuples in chunks, so an export of 100k customers runs a fixed number of queries and
never holds all rows in memory. Contacts are left out altogether: their personal profile must
never leave KAM. Every text cell that a spreadsheet would read as a formula is neutralised.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from tempfile import SpooledTemporaryFile

from django.core.exceptions import ValidationError
from django.db.models import Case, F, Value, When
from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook

from users.models import User, user_display_name
from web.spreadsheets import UTF8_BOM, CsvLine, csv_cell, local_naive, neutralise
from web.text import NoControlCharacters

from .models import Customer
from .selectors import CustomerFilters, customer_list

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ExportColumn:
    key: str  # the header, also the column name the customer import understands
    source: str  # the field or annotation read from the database; "" for `owner_name`, made in Python


# Customer fields (the credit code too) and scoring fields, the owner's username and name, the
# last visit; never contacts or notes.
# The import reads `owner` (the username) back and ignores `owner_name`.
COLUMNS = (
    ExportColumn("id", "id"),
    ExportColumn("name", "name"),
    ExportColumn("credit_code", "credit_code"),
    ExportColumn("industry", "industry"),
    ExportColumn("region", "region"),
    ExportColumn("status", "status"),
    ExportColumn("source", "source"),
    ExportColumn("parent", "export_parent"),
    ExportColumn("referred_by", "export_referred_by"),
    ExportColumn("owner", "owner__username"),
    ExportColumn("owner_name", ""),
    ExportColumn("potential", "potential"),
    ExportColumn("demonstration", "demonstration"),
    ExportColumn("winnability", "winnability"),
    ExportColumn("score", "score"),
    ExportColumn("tier", "tier"),
    ExportColumn("abc_class", "abc_class"),
    ExportColumn("is_key_account", "is_key_account"),
    ExportColumn("size_class", "size_class"),
    ExportColumn("value_class", "value_class"),
    ExportColumn("matrix_quadrant", "matrix_quadrant"),
    ExportColumn("lifecycle_stage", "lifecycle_stage"),
    ExportColumn("prospect_grade", "prospect_grade"),
    ExportColumn("churn_risk", "churn_risk"),
    ExportColumn("sales_12m", "sales_12m"),
    ExportColumn("scored_at", "scored_at"),
    ExportColumn("last_visit_on", "last_visit_at"),
)
HEADER = [column.key for column in COLUMNS]
_OWNER_AT = HEADER.index("owner")
# Read after the columns, with the owner's username, to make `owner_name` (`User.display_name`).
_OWNER_NAME_PARTS = ("owner__last_name", "owner__first_name")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


EXPORT_PARAMETERS = (
    "search",
    "tier",
    "abc_class",
    "region",
    "industry",
    "status",
    "owner",
    "is_key_account",
    "ordering",
)


def customer_filters_from_query(params: QueryDict) -> CustomerFilters:
    """The list page's filters from its query string; a value that makes no sense is ignored,
    but one no list can hold (a NUL or another control character) is a ValidationError naming
    the parameter, raised before anything is read, so a streamed export never starts on it."""
    errors = {}
    for name in EXPORT_PARAMETERS:
        for value in params.getlist(name):
            try:
                NoControlCharacters()(value)
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)

    def text(name: str) -> str:
        return (params.get(name) or "").strip()

    owner = text("owner")
    key_account = text("is_key_account").lower()
    return CustomerFilters(
        search=text("search"),
        tier=text("tier"),
        abc_class=text("abc_class"),
        region=text("region"),
        industry=text("industry"),
        status=text("status"),
        # More than 18 digits would overflow a bigint in PostgreSQL.
        owner=int(owner) if owner.isdigit() and len(owner) <= 18 else None,
        is_key_account=True if key_account in _TRUE else False if key_account in _FALSE else None,
        ordering=text("ordering") or "name",
    )


def customer_export_rows(*, user: User, filters: CustomerFilters) -> Iterator[tuple]:
    """The visible, filtered customers as tuples in `COLUMNS` order, read in chunks.

    A group account or referrer the user cannot see is left blank rather than named.
    """
    visible_ids = Customer.objects.visible_to(user).values("pk")
    rows = (
        customer_list(user=user, filters=filters)
        .annotate(
            export_parent=Case(When(parent__in=visible_ids, then=F("parent__name")), default=Value("")),
            export_referred_by=Case(
                When(referred_by__in=visible_ids, then=F("referred_by__name")), default=Value("")
            ),
        )
        .values_list(*(column.source for column in COLUMNS if column.source), *_OWNER_NAME_PARTS)
    )
    return (_with_owner_name(row) for row in rows.iterator(chunk_size=CHUNK_SIZE))


def _with_owner_name(row: tuple) -> tuple:
    """A row as read (the read columns, then the owner's last and first name) in `COLUMNS` order."""
    *read, last_name, first_name = row
    username = read[_OWNER_AT]
    name = user_display_name(username=username, last_name=last_name, first_name=first_name)
    return (*read[: _OWNER_AT + 1], name, *read[_OWNER_AT + 1 :])


def _typed_row(row: tuple) -> list:
    """Python values for one row: local naive datetimes, the last visit as a date, safe text."""
    values = []
    for column, value in zip(COLUMNS, row, strict=True):
        if column.key == "last_visit_on" and value is not None:
            value = timezone.localtime(value).date()
        elif isinstance(value, datetime):
            value = local_naive(value)
        elif isinstance(value, str):
            value = neutralise(value)
        values.append(value)
    return values


def customers_csv(rows: Iterable[tuple], *, batch: int = 500) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel opens the Chinese correctly), in chunks of `batch` rows."""
    writer = csv.writer(CsvLine())
    yield (UTF8_BOM + writer.writerow(HEADER)).encode()
    lines = []
    for row in rows:
        lines.append(writer.writerow([csv_cell(value) for value in _typed_row(row)]))
        if len(lines) >= batch:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def customers_xlsx(rows: Iterable[tuple]) -> SpooledTemporaryFile:
    """An .xlsx workbook (openpyxl's write-only mode streams rows to disk), rewound for reading."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("customers")
    sheet.freeze_panes = "A2"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(_typed_row(row))
    output = SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # closed by the FileResponse
    workbook.save(output)
    output.seek(0)
    return output
