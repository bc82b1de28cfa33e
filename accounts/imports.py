"""Imports of customers and transactions from CSV or .xlsx files: all rows or none.

An upload is read into a `Table` (any malformed file raises `ImportFileError`), then every row
is checked against the same rules as the services (field validators and `Customer.clean()`,
the owners the uploader may assign, 撞单 duplicates by name or unified social credit code
against the database and within the file, customers the uploader can see). Only when no row
has an error is anything written, in one transaction; otherwise the caller gets every error
with its row number as in the file.
"""

import csv
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from audit.context import audit_context
from audit.models import Source as AuditSource
from audit.services import created_events, record_many
from users.models import User
from users.services import owner_choices

from .credit_code import normalise_credit_code, validate_credit_code
from .models import Customer, CustomerStatus, FitCriterion, Source, Transaction, normalise_company_name
from .services import (
    DuplicateCreditCode,
    DuplicateCustomer,
    TransactionRow,
    UpsertResult,
    customers_tick_fit_criteria,
    transactions_upsert,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# An .xlsx is a zip archive: refuse one that would inflate to more than this (a zip bomb).
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
# How many keys go into one `IN (…)` query (SQLite allows 32766 variables, PostgreSQL more).
LOOKUP_BATCH = 1000

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1e12")  # amount and margin are DecimalField(max_digits=14, decimal_places=2)


class ImportFileError(Exception):
    """The upload cannot be read as a table with the expected header (shown as a form error)."""


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    help: Promise
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """The rows of an upload: (row number in the file, {column key: cell value}), blank rows left out."""

    columns: tuple[str, ...]
    rows: list[tuple[int, dict[str, object]]]
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowError:
    row: int  # the row's number in the file, as Excel shows it
    column: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Reading a file into a table -------------------------------------------------------------


def _header_aliases(columns: Sequence[Column]) -> dict[str, str]:
    """Header text → column key: the key, its aliases and its label in every site language."""
    aliases = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            aliases.update({_header_text(str(column.label)): column.key for column in columns})
    # Keys and their aliases win over a label that happens to read the same.
    for column in columns:
        aliases.update({_header_text(name): column.key for name in (column.key, *column.aliases)})
    return aliases


def _header_text(value: object) -> str:
    text = str(value or "").replace("\ufeff", "").strip().lower()
    text = re.sub(r"\s*[*＊]\s*$", "", text)  # "name *" marks a required column in our templates
    return re.sub(r"[\s_\-]+", "_", text)


def header_text(value: object) -> str:
    """A header cell as it is matched to a column: case, spaces, `_` and `-` do not matter."""
    return _header_text(value)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16, tab separated
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ImportFileError(_("The file is not readable text.")) from error
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Excel on a Chinese Windows saves "CSV" in the system code page (GBK, a subset of GB18030).
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _("The file is neither UTF-8 nor GB18030 text. Save it as “CSV UTF-8” or as .xlsx.")
        ) from error


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _csv_cells(data: bytes) -> list[tuple[int, list[object]]]:
    text = _decode(data)
    if _CONTROL.search(text):
        raise ImportFileError(_("This is not a CSV file. Upload a .csv or .xlsx file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        # A record is one row in Excel even when a quoted cell spans several lines.
        return _filled_rows(enumerate(reader, start=1))
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file is malformed near line %(line)d: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error


def _xlsx_cells(data: bytes) -> list[tuple[int, list[object]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise ImportFileError(_("The .xlsx file is damaged or not an Excel workbook.")) from error
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(_("The .xlsx file is too large once unpacked."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 — openpyxl raises many kinds for a broken workbook
        raise ImportFileError(_("The .xlsx file is damaged or not an Excel workbook.")) from error
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The workbook has no sheet."))
        # Read-only iteration yields every row from the first, empty ones included.
        rows = _filled_rows(enumerate(workbook.worksheets[0].iter_rows(min_row=1, values_only=True), 1))
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001
        raise ImportFileError(_("The .xlsx file is damaged or not an Excel workbook.")) from error
    finally:
        workbook.close()
    return rows


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _filled_rows(numbered_rows: Iterable[tuple[int, Sequence[object]]]) -> list[tuple[int, list[object]]]:
    """The rows with something in them, each with its number in the file; at most a header and
    MAX_ROWS rows (more is an error, not a silent cut)."""
    rows = []
    for number, cells in numbered_rows:
        if all(_is_blank(cell) for cell in cells):
            continue
        if len(rows) > MAX_ROWS:
            raise ImportFileError(_("The file has more than %(max)d rows; split it.") % {"max": MAX_ROWS})
        rows.append((number, list(cells)))
    return rows


def read_table(data: bytes, *, filename: str, columns: Sequence[Column]) -> Table:
    """Read a CSV (UTF-8 with or without BOM, GB18030, UTF-16) or .xlsx upload.

    The first non-blank row is the header; it must name every required column. Columns
    KAM does not know are ignored (and reported); a blank row is skipped but still counted,
    so row numbers match what the user sees in Excel.
    """
    name = (filename or "").lower()
    if not data:
        raise ImportFileError(_("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel .xls files are not supported: save the file as .xlsx or CSV."))
    if data.startswith(b"PK\x03\x04") or name.endswith(".xlsx"):
        raw_rows = _xlsx_cells(data)
    else:
        raw_rows = _csv_cells(data)

    if not raw_rows:
        raise ImportFileError(_("The file is empty."))
    header_row, header = raw_rows[0]
    aliases = _header_aliases(columns)
    keys: list[str | None] = []
    ignored = []
    for cell in header:
        text = _header_text(cell)
        key = aliases.get(text)
        if key is not None and key in keys:
            raise ImportFileError(_("The column “%(column)s” appears twice in the header.") % {"column": key})
        if key is None and text:
            ignored.append(str(cell).strip())
        keys.append(key)
    missing = [column.key for column in columns if column.required and column.key not in keys]
    if missing:
        raise ImportFileError(
            _("Row %(row)d must be the header with the columns %(columns)s; missing: %(missing)s.")
            % {
                "row": header_row,
                "columns": ", ".join(column.key for column in columns),
                "missing": ", ".join(missing),
            }
        )
    data_rows = raw_rows[1:]
    if not data_rows:
        raise ImportFileError(_("The file has a header but no rows."))
    rows = []
    for number, cells in data_rows:
        values = {key: cell for key, cell in zip(keys, cells, strict=False) if key is not None}
        rows.append((number, values))
    return Table(columns=tuple(key for key in keys if key), rows=rows, ignored_columns=tuple(ignored))


# --- Cell parsers: value → Python, or ValueError with the message for the user ---------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into a text column, e.g. an id
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _text_max(value: object, max_length: int) -> str:
    text = _text(value)
    if len(text) > max_length:
        raise ValueError(
            _("At most %(max)d characters (this has %(n)d).") % {"max": max_length, "n": len(text)}
        )
    return text


_TICKED = {"是", "yes", "y", "true", "1", "✓", "✔", "√"}
_UNTICKED = {"否", "no", "n", "false", "0", "✗", "✘", "×"}


def _tick(value: object) -> bool:
    """A checklist cell: 是/yes/1/✓ ticked, 否/no/0 or empty not (Excel's TRUE/FALSE too)."""
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TICKED:
        return True
    if not text or text in _UNTICKED:
        return False
    raise ValueError(_("Enter 是 (yes, 1, ✓) or 否 (no, 0), or leave it empty."))


def _rating(value: object) -> int | None:
    if _is_blank(value):
        return None
    text = _text(value)
    if not re.fullmatch(r"[1-5](\.0+)?", text):
        raise ValueError(_("Enter a whole number from 1 to 5, or leave it empty."))
    return int(float(text))


def _credit_code(value: object) -> str:
    """A unified social credit code as people write it (spaces, lower case), checked; "" for none."""
    code = normalise_credit_code(_text(value))
    try:
        validate_credit_code(code)
    except ValidationError as error:
        raise ValueError(error.messages[0]) from error
    return code


@functools.cache
def _choice_lookup(choices: type[TextChoices]) -> dict[str, str]:
    """Value or label (in any site language), lower-cased → value."""
    lookup = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            lookup.update({str(label).lower(): value for value, label in choices.choices})
    lookup.update({value.lower(): value for value in choices.values})
    return lookup


def _choice(value: object, choices: type[TextChoices], *, default: str = "") -> str:
    text = _text(value)
    if not text:
        return default
    lookup = _choice_lookup(choices)
    if text.lower() not in lookup:
        raise ValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)})
    return lookup[text.lower()]


def _money(value: object, *, required: bool) -> Decimal | None:
    if _is_blank(value):
        if required:
            raise ValueError(_("This column is required."))
        return None
    if isinstance(value, bool):
        raise ValueError(_("Enter an amount such as 12345.67."))
    if isinstance(value, float):
        # Excel keeps binary floats: round to the cent rather than reject 0.30000000000000004.
        amount = Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        text = re.sub(r"[,\s¥￥\u00a0]|CNY|RMB", "", _text(value), flags=re.IGNORECASE)
        try:
            amount = Decimal(text)
        except InvalidOperation as error:
            raise ValueError(_("Enter an amount such as 12345.67.")) from error
        if not amount.is_finite():
            raise ValueError(_("Enter an amount such as 12345.67."))
        if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
            raise ValueError(_("At most 2 decimal places."))
        amount = amount.quantize(CENT)
    if abs(amount) >= MAX_MONEY:
        raise ValueError(_("The amount is too large."))
    return amount


_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def _date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        raise ValueError(_("This column is required."))
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        return date(*(int(part) for part in match.groups()))
    except ValueError as error:
        raise ValueError(_("Enter a date as YYYY-MM-DD.")) from error


# --- Shared helpers ----------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, row: int, column: str, message: str) -> None:
        self.items.append(RowError(row=row, column=column, message=str(message)))

    def parse(self, row: int, column: str, parser: Callable, *args, **kwargs):
        """Run one cell parser; on ValueError note the error and return None."""
        try:
            return parser(*args, **kwargs)
        except ValueError as error:
            self.add(row, column, str(error))
            return None

    def sorted(self, columns: Sequence[Column]) -> list[RowError]:
        order = {column.key: index for index, column in enumerate(columns)}
        return sorted(self.items, key=lambda e: (e.row, order.get(e.column, len(order)), e.message))


def _batches(values: Sequence, size: int = LOOKUP_BATCH):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _visible_by_normalised_name(user: User, names: Sequence[str]) -> dict[str, Customer]:
    visible = Customer.objects.visible_to(user)
    found = {}
    for batch in _batches(sorted(set(names))):
        found.update({c.name_normalised: c for c in visible.filter(name_normalised__in=batch)})
    return found


# --- Customers -------------------------------------------------------------------------------


CUSTOMER_COLUMNS = (
    Column("name", gettext_lazy("Name"), gettext_lazy("Company name; must not exist yet."), required=True),
    Column(
        "credit_code",
        gettext_lazy("Unified social credit code"),
        gettext_lazy("统一社会信用代码, 18 characters; may be empty. Must not be another customer's."),
        aliases=("uscc", "统一社会信用代码"),
    ),
    Column("industry", gettext_lazy("Industry"), gettext_lazy("Free text, e.g. 制造业.")),
    Column("region", gettext_lazy("Region"), gettext_lazy("Free text, e.g. 华东.")),
    Column(
        "status",
        gettext_lazy("Status"),
        gettext_lazy("prospect or customer; empty means prospect."),
    ),
    Column(
        "source",
        gettext_lazy("Source"),
        gettext_lazy("web, trade_fair, association, referral or other; may be empty."),
    ),
    Column(
        "owner",
        gettext_lazy("Owner"),
        gettext_lazy("Username of the owner; empty means you. Only users you may assign."),
        aliases=("owner_username",),
    ),
    Column(
        "parent",
        gettext_lazy("Group account"),
        gettext_lazy("Name of the group account: a customer you can see, or a row higher up in the file."),
    ),
    Column(
        "referred_by",
        gettext_lazy("Referred by"),
        gettext_lazy("Name of the referring customer: a customer you can see, or a row higher up."),
    ),
    Column("potential", gettext_lazy("Potential"), gettext_lazy("1–5 or empty.")),
    Column("demonstration", gettext_lazy("Demonstration effect"), gettext_lazy("1–5 or empty.")),
    Column("winnability", gettext_lazy("Winnability"), gettext_lazy("1–5 or empty.")),
    Column("notes", gettext_lazy("Notes"), gettext_lazy("Free text.")),
)

_CUSTOMER_LINKS = ("parent", "referred_by")

FIT_COLUMN_HELP = gettext_lazy(
    "Customer-fit checklist item: 是 (yes, 1, ✓) when it applies, 否 (no, 0) or empty when not."
)


def fit_columns(criteria: Iterable[FitCriterion]) -> tuple[Column, ...]:
    """One column per checklist item, named by its label (as the export names it)."""
    return tuple(Column(criterion.label, criterion.label, FIT_COLUMN_HELP) for criterion in criteria)


def active_fit_columns() -> tuple[Column, ...]:
    """The columns of the checklist's active items, in their order."""
    return fit_columns(FitCriterion.objects.filter(is_active=True))


def customer_header_taken(label: str) -> bool:
    """Whether a header reading `label` would name one of the customer import's own columns
    (its key, an alias or its label in any site language)."""
    return _header_text(label) in _header_aliases(CUSTOMER_COLUMNS)


def customers_import(*, by: User, table: Table) -> ImportResult:
    """Create one customer per row, owned by the row's owner (default: `by`), or none at all;
    each with the checklist items its row ticks (a column per active item, by label)."""
    errors = _Errors()
    criteria = list(FitCriterion.objects.filter(is_active=True))
    columns = (*CUSTOMER_COLUMNS, *fit_columns(criteria))
    ticks: dict[int, list[FitCriterion]] = {}  # row number → the items it ticks
    assignable = set(owner_choices(by).values_list("username", flat=True))
    rows: list[tuple[int, Customer, dict[str, str]]] = []
    first_row_of: dict[str, int] = {}  # normalised name → the row that creates it
    first_row_of_code: dict[str, int] = {}  # credit code → the first row that has it

    for number, cells in table.rows:
        errors_before = len(errors.items)
        customer = Customer(
            name=errors.parse(number, "name", _text_max, cells.get("name"), 200) or "",
            credit_code=errors.parse(number, "credit_code", _credit_code, cells.get("credit_code")) or "",
            industry=errors.parse(number, "industry", _text_max, cells.get("industry"), 50) or "",
            region=errors.parse(number, "region", _text_max, cells.get("region"), 50) or "",
            status=errors.parse(number, "status", _choice, cells.get("status"), CustomerStatus)
            or CustomerStatus.PROSPECT,
            source=errors.parse(number, "source", _choice, cells.get("source"), Source) or "",
            potential=errors.parse(number, "potential", _rating, cells.get("potential")),
            demonstration=errors.parse(number, "demonstration", _rating, cells.get("demonstration")),
            winnability=errors.parse(number, "winnability", _rating, cells.get("winnability")),
            notes=_text(cells.get("notes")),
        )
        ticks[number] = [
            criterion
            for criterion in criteria
            if errors.parse(number, criterion.label, _tick, cells.get(criterion.label))
        ]
        extra = {column: _text(cells.get(column)) for column in ("owner", *_CUSTOMER_LINKS)}
        if extra["owner"] and extra["owner"] not in assignable:
            errors.add(
                number, "owner", _("You cannot assign customers to “%(user)s”.") % {"user": extra["owner"]}
            )
        # The model's own rules (validators, clean()); the owner and links are checked below in bulk.
        already = {error.column for error in errors.items[errors_before:]}
        try:
            customer.full_clean(exclude=["owner", *_CUSTOMER_LINKS], validate_constraints=False)
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                column = "" if column == NON_FIELD_ERRORS else column
                if column not in already:  # one message per cell is enough: the first
                    errors.add(number, column, messages[0])
        normalised = customer.name_normalised
        if normalised in first_row_of:
            errors.add(
                number, "name", _("The same company as row %(row)d.") % {"row": first_row_of[normalised]}
            )
        elif normalised:
            first_row_of[normalised] = number
        code = customer.credit_code
        if code in first_row_of_code:
            errors.add(
                number,
                "credit_code",
                _("The same unified social credit code as row %(row)d.") % {"row": first_row_of_code[code]},
            )
        elif code:
            first_row_of_code[code] = number
        rows.append((number, customer, extra))

    # 撞单: a company that is already a customer, whoever owns it (the constraint is global).
    name_on_row = {number: customer.name for number, customer, _extra in rows}
    for batch in _batches(sorted(first_row_of)):
        for existing in Customer.objects.select_related("owner").filter(name_normalised__in=batch):
            number = first_row_of[existing.name_normalised]
            name = name_on_row[number]
            errors.add(number, "name", DuplicateCustomer(existing, name).message_dict["name"][0])
    for batch in _batches(sorted(first_row_of_code)):
        for existing in Customer.objects.select_related("owner").filter(credit_code__in=batch):
            number = first_row_of_code[existing.credit_code]
            message = DuplicateCreditCode(existing, existing.credit_code).message_dict["credit_code"][0]
            errors.add(number, "credit_code", message)

    # Group accounts and referrers: a visible customer, or one created higher up in the file.
    visible = _visible_by_normalised_name(
        by, [normalise_company_name(extra[link]) for _n, _c, extra in rows for link in _CUSTOMER_LINKS]
    )
    for number, customer, extra in rows:
        for link in _CUSTOMER_LINKS:
            if not extra[link]:
                continue
            name = normalise_company_name(extra[link])
            if not name:
                errors.add(number, link, _("Enter the company's name, not only its legal form."))
            elif name == customer.name_normalised:
                errors.add(number, link, _("A customer cannot point to itself."))
            elif name in visible or first_row_of.get(name, number) < number:
                continue
            elif name in first_row_of:
                errors.add(
                    number, link, _("This customer is created further down; move its row above this one.")
                )
            else:
                errors.add(number, link, _("No customer you can see has this name."))

    if errors.items:
        return ImportResult(errors=errors.sorted(columns))

    owners = {user.username: user for user in owner_choices(by).filter(username__in=assignable)}
    for _number, customer, extra in rows:
        customer.owner = owners[extra["owner"]] if extra["owner"] else by
    try:
        with transaction.atomic():
            Customer.objects.bulk_create([customer for _n, customer, _e in rows], batch_size=500)
            created = {}
            for batch in _batches(sorted(first_row_of)):
                created.update(
                    Customer.objects.filter(name_normalised__in=batch).values_list("name_normalised", "pk")
                )
            to_link = []
            for _number, customer, extra in rows:
                customer.pk = created[customer.name_normalised]
                names = {link: normalise_company_name(extra[link]) for link in _CUSTOMER_LINKS}
                for link, name in names.items():
                    if name:
                        setattr(
                            customer, f"{link}_id", visible[name].pk if name in visible else created[name]
                        )
                if any(names.values()):
                    to_link.append(customer)
            Customer.objects.bulk_update(to_link, list(_CUSTOMER_LINKS), batch_size=500)
            with audit_context(source=AuditSource.IMPORT, actor=by):
                record_many(created_events(customer for _n, customer, _e in rows))
                customers_tick_fit_criteria(
                    ticks=[(customer, ticks[number]) for number, customer, _e in rows]
                )
    except IntegrityError as error:
        # Another user created one of these companies while the file was being checked.
        raise ImportFileError(
            _("Someone created one of these customers a moment ago. Upload the file again to see which.")
        ) from error
    return ImportResult(created=len(rows))


# --- Transactions ----------------------------------------------------------------------------


TRANSACTION_COLUMNS = (
    Column(
        "customer_id",
        gettext_lazy("Customer ID"),
        gettext_lazy("KAM's id of the customer (as in the customer export). Give this or the name."),
    ),
    Column(
        "customer",
        gettext_lazy("Customer"),
        gettext_lazy("Customer name, used when there is no customer_id."),
        aliases=("customer_name",),
    ),
    Column(
        "reference",
        gettext_lazy("Reference"),
        gettext_lazy("The ERP's reference; a reference imported before is updated, not added again."),
        required=True,
    ),
    Column(
        "date", gettext_lazy("Date"), gettext_lazy("YYYY-MM-DD."), required=True, aliases=("occurred_on",)
    ),
    Column(
        "amount",
        gettext_lazy("Amount (CNY)"),
        gettext_lazy("Decimal, e.g. 12345.67; negative for a credit note."),
        required=True,
    ),
    Column(
        "margin", gettext_lazy("Gross margin (CNY)"), gettext_lazy("Decimal, may be negative; may be empty.")
    ),
    Column("description", gettext_lazy("Description"), gettext_lazy("Up to 200 characters.")),
)


def transactions_import(*, by: User, table: Table) -> ImportResult:
    """Create or update one transaction per row (by reference) for customers `by` can see."""
    if "customer_id" not in table.columns and "customer" not in table.columns:
        raise ImportFileError(_("The header needs a customer_id or a customer column."))
    errors = _Errors()
    parsed = []
    first_row_of: dict[str, int] = {}
    for number, cells in table.rows:
        reference = errors.parse(number, "reference", _text_max, cells.get("reference"), 100)
        if reference == "":
            errors.add(number, "reference", _("This column is required."))
        elif reference:
            if reference in first_row_of:
                errors.add(
                    number,
                    "reference",
                    _("The same reference as row %(row)d.") % {"row": first_row_of[reference]},
                )
            else:
                first_row_of[reference] = number
        customer_id = _text(cells.get("customer_id"))
        if customer_id and not (customer_id.isdigit() and len(customer_id) <= 18):
            errors.add(number, "customer_id", _("Enter a whole number."))
            customer_id = ""
        customer_name = _text(cells.get("customer"))
        if not customer_id and not customer_name:
            errors.add(number, "customer", _("Give the customer's id or name."))
        parsed.append(
            {
                "row": number,
                "reference": reference,
                "customer_id": int(customer_id) if customer_id else None,
                "customer_name": normalise_company_name(customer_name),
                "occurred_on": errors.parse(number, "date", _date, cells.get("date")),
                "amount": errors.parse(number, "amount", _money, cells.get("amount"), required=True),
                "margin": errors.parse(number, "margin", _money, cells.get("margin"), required=False),
                "description": errors.parse(number, "description", _text_max, cells.get("description"), 200),
            }
        )

    visible = Customer.objects.visible_to(by)
    ids = sorted({row["customer_id"] for row in parsed if row["customer_id"] is not None})
    visible_ids = set()
    for batch in _batches(ids):
        visible_ids.update(visible.filter(pk__in=batch).values_list("pk", flat=True))
    by_name = _visible_by_normalised_name(
        by, [row["customer_name"] for row in parsed if row["customer_id"] is None and row["customer_name"]]
    )
    # Updating a reference would move a transaction the uploader cannot see: refuse it.
    foreign, current = set(), {}
    for batch in _batches(sorted(first_row_of)):
        known = Transaction.objects.filter(reference__in=batch)
        foreign.update(known.exclude(customer__in=visible).values_list("reference", flat=True))
        fields = ("customer_id", "reference", "occurred_on", "amount", "margin", "description")
        for values in known.values_list(*fields):
            held = TransactionRow(**dict(zip(fields, values, strict=True)))
            current[held.reference] = held

    rows = []
    for row in parsed:
        number = row["row"]
        customer_pk = None
        if row["customer_id"] is not None:
            if row["customer_id"] in visible_ids:
                customer_pk = row["customer_id"]
            else:
                errors.add(number, "customer_id", _("No customer you can see has this id."))
        elif row["customer_name"]:
            match = by_name.get(row["customer_name"])
            if match is None:
                errors.add(number, "customer", _("No customer you can see has this name."))
            else:
                customer_pk = match.pk
        if row["reference"] in foreign:
            errors.add(number, "reference", _("This reference belongs to a transaction you cannot see."))
        if customer_pk is not None and None not in (row["reference"], row["occurred_on"], row["amount"]):
            rows.append(
                TransactionRow(
                    customer_id=customer_pk,
                    reference=row["reference"],
                    occurred_on=row["occurred_on"],
                    amount=row["amount"],
                    margin=row["margin"],
                    description=row["description"] or "",
                )
            )
    if errors.items:
        return ImportResult(errors=errors.sorted(TRANSACTION_COLUMNS))
    # Rows the database already holds exactly are not rewritten: re-importing a file is quick.
    changed = [row for row in rows if current.get(row.reference) != row]
    result: UpsertResult = transactions_upsert(rows=changed)
    return ImportResult(created=result.created, updated=result.updated, unchanged=len(rows) - len(changed))


# --- The kinds of import the pages offer ------------------------------------------------------


@dataclass(frozen=True)
class ImportKind:
    slug: str
    title: Promise
    fixed_columns: tuple[Column, ...]
    run: Callable[..., ImportResult]
    # Columns that follow what admins set up (the checklist's items), read when they are needed.
    more_columns: Callable[[], tuple[Column, ...]] = tuple

    @property
    def columns(self) -> tuple[Column, ...]:
        return (*self.fixed_columns, *self.more_columns())


IMPORT_KINDS = {
    "customers": ImportKind(
        "customers",
        gettext_lazy("Import customers"),
        CUSTOMER_COLUMNS,
        customers_import,
        more_columns=active_fit_columns,
    ),
    "transactions": ImportKind(
        "transactions", gettext_lazy("Import transactions"), TRANSACTION_COLUMNS, transactions_import
    ),
}
