"""Exports of the customer list as CSV and .xlsx: the rows the list page shows, nothing more.

Rows come from `selectors.customer_list` (so from `Customer.objects.visible_to`) and are read
as plain tuples in chunks, so an export of 100k customers runs a fixed number of queries and
never holds all rows in memory. Contacts are left out altogether: their personal profile must
never leave KAM. Every text cell that a spreadsheet would read as a formula is neutralised.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from tempfile import SpooledTemporaryFile

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Value, When
from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook

from users.models import User, user_display_name
from web.spreadsheets import UTF8_BOM, CsvLine, csv_cell, local_naive, neutralise
from web.text import NoControlCharacters

from .models import Customer, FitCriterion, credit_risk_q
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
    ExportColumn("fit_score", "fit_score"),
    ExportColumn("tier", "tier"),
    ExportColumn("abc_class", "abc_class"),
    ExportColumn("is_key_account", "is_key_account"),
    ExportColumn("size_class", "size_class"),
    ExportColumn("value_class", "value_class"),
    ExportColumn("matrix_quadrant", "matrix_quadrant"),
    ExportColumn("lifecycle_stage", "lifecycle_stage"),
    ExportColumn("prospect_grade", "prospect_grade"),
    ExportColumn("churn_risk", "churn_risk"),
    ExportColumn("credit_risk", "export_credit_risk"),  # today: money open > 30 days past due
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
    "credit_risk",
    "fit_score_min",
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
    credit_risk = text("credit_risk").lower()
    fit_score_min = _fit_score_min(text("fit_score_min"))
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
        credit_risk=True if credit_risk in _TRUE else False if credit_risk in _FALSE else None,
        fit_score_min=fit_score_min,
        ordering=text("ordering") or "name",
    )


def _fit_score_min(text: str) -> Decimal | None:
    """The list page's "fit score at least" (0–100, two decimals); anything else is ignored."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(Decimal("0.01")):
        return None
    return value


def export_fit_criteria() -> list[FitCriterion]:
    """The checklist's active items: a column each after `COLUMNS`, headed by the item's label
    (the column the customer import reads it from), true when the customer has it ticked."""
    return list(FitCriterion.objects.filter(is_active=True))


def export_header(fit_criteria: Sequence[FitCriterion] = ()) -> list[str]:
    return [*HEADER, *(neutralise(criterion.label) for criterion in fit_criteria)]


def customer_export_rows(
    *, user: User, filters: CustomerFilters, fit_criteria: Sequence[FitCriterion] = ()
) -> Iterator[tuple]:
    """The visible, filtered customers as tuples in `COLUMNS` order, then a tick (a boolean)
    per item of `fit_criteria`, read in chunks.

    A group account or referrer the user cannot see is left blank rather than named.
    """
    visible_ids = Customer.objects.visible_to(user).values("pk")
    ticked = Customer.fit_criteria.through.objects.filter(customer_id=OuterRef("pk"))
    ticks = {
        f"export_fit_{criterion.pk}": Exists(ticked.filter(fitcriterion_id=criterion.pk))
        for criterion in fit_criteria
    }
    rows = (
        customer_list(user=user, filters=filters)
        .annotate(
            export_parent=Case(When(parent__in=visible_ids, then=F("parent__name")), default=Value("")),
            export_referred_by=Case(
                When(referred_by__in=visible_ids, then=F("referred_by__name")), default=Value("")
            ),
            export_credit_risk=Case(
                When(credit_risk_q(timezone.localdate()), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            **ticks,
        )
        .values_list(*(column.source for column in COLUMNS if column.source), *ticks, *_OWNER_NAME_PARTS)
    )
    return (_with_owner_name(row) for row in rows.iterator(chunk_size=CHUNK_SIZE))


def _with_owner_name(row: tuple) -> tuple:
    """A row as read (the read columns and ticks, then the owner's last and first name) in
    `COLUMNS` order, the ticks last."""
    *read, last_name, first_name = row
    username = read[_OWNER_AT]
    name = user_display_name(username=username, last_name=last_name, first_name=first_name)
    return (*read[: _OWNER_AT + 1], name, *read[_OWNER_AT + 1 :])


def _typed_row(row: tuple) -> list:
    """Python values for one row: local naive datetimes, the last visit as a date, safe text;
    the checklist's ticks (after `COLUMNS`) as they are, booleans."""
    values = []
    for column, value in zip(COLUMNS, row[: len(COLUMNS)], strict=True):
        if column.key == "last_visit_on" and value is not None:
            value = timezone.localtime(value).date()
        elif isinstance(value, datetime):
            value = local_naive(value)
        elif isinstance(value, str):
            value = neutralise(value)
        values.append(value)
    return [*values, *row[len(COLUMNS) :]]


def customers_csv(
    rows: Iterable[tuple], *, header: Sequence[str] = HEADER, batch: int = 500
) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel opens the Chinese correctly), in chunks of `batch` rows."""
    writer = csv.writer(CsvLine())
    yield (UTF8_BOM + writer.writerow(header)).encode()
    lines = []
    for row in rows:
        lines.append(writer.writerow([csv_cell(value) for value in _typed_row(row)]))
        if len(lines) >= batch:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def customers_xlsx(rows: Iterable[tuple], *, header: Sequence[str] = HEADER) -> SpooledTemporaryFile:
    """An .xlsx workbook (openpyxl's write-only mode streams rows to disk), rewound for reading."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("customers")
    sheet.freeze_panes = "A2"
    sheet.append(list(header))
    for row in rows:
        sheet.append(_typed_row(row))
    output = SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # closed by the FileResponse
    workbook.save(output)
    output.seek(0)
    return output
