"""Pages for exporting the customer list and importing customers and transactions from files."""

import csv
import io
from collections.abc import Iterator
from itertools import chain, islice

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from .exports import (
    CHUNK_SIZE,
    UTF8_BOM,
    customer_export_rows,
    customer_filters_from_query,
    customers_csv,
    customers_xlsx,
    export_fit_criteria,
    export_header,
)
from .imports import IMPORT_KINDS, MAX_UPLOAD_BYTES, ImportFileError, ImportKind, read_table

# The error report shows this many rows; the rest are counted, not listed.
MAX_ERRORS_SHOWN = 200
ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")

# --- Export ----------------------------------------------------------------------------------


def _export_name(suffix: str) -> str:
    return f"customers-{timezone.localdate():%Y%m%d}.{suffix}"


def _export_rows(request: HttpRequest) -> tuple[list[str], Iterator[tuple]]:
    """The header and rows of the export, its first chunk already read: a bad filter or a
    failing query is an error answer before the first byte, never a download that breaks off
    half-way."""
    filters = customer_filters_from_query(request.GET)
    fit_criteria = export_fit_criteria()
    rows = customer_export_rows(user=request.user, filters=filters, fit_criteria=fit_criteria)
    first = list(islice(rows, CHUNK_SIZE))
    return export_header(fit_criteria), chain(first, rows)


def _bad_filters(error: ValidationError) -> HttpResponse:
    lines = [f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
def customers_export_csv(request: HttpRequest) -> HttpResponse:
    try:
        header, rows = _export_rows(request)
    except ValidationError as error:
        return _bad_filters(error)
    response = StreamingHttpResponse(
        customers_csv(rows, header=header), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


@require_safe
def customers_export_xlsx(request: HttpRequest) -> HttpResponse:
    try:
        header, rows = _export_rows(request)
    except ValidationError as error:
        return _bad_filters(error)
    return FileResponse(
        customers_xlsx(rows, header=header),
        as_attachment=True,
        filename=_export_name("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Import ----------------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (.csv or .xlsx)"))

    def __init__(self, *args, kind: ImportKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)s.") % {"max": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        try:
            self.cleaned_data["table"] = read_table(
                upload.read(), filename=upload.name, columns=self.kind.columns
            )
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


def _kind(slug: str) -> ImportKind:
    try:
        return IMPORT_KINDS[slug]
    except KeyError as error:
        raise Http404 from error


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, kind: str) -> HttpResponse:
    """Upload a file; every row is checked and either all are written or the errors are listed."""
    kind = _kind(kind)
    result = None
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, kind=kind)
        if form.is_valid():
            table = form.cleaned_data["table"]
            try:
                result = kind.run(by=request.user, table=table)
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                if result.ok:
                    message = _(
                        "Imported %(rows)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
                    ) % {
                        "rows": len(table.rows),
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    }
                    if table.ignored_columns:
                        message += " " + _("Ignored columns: %(columns)s.") % {
                            "columns": ", ".join(table.ignored_columns)
                        }
                    messages.success(request, message)
                    return redirect(f"accounts_io:{kind.slug}-import")
    else:
        form = ImportUploadForm(kind=kind)
    errors = result.errors if result is not None else []
    context = {
        "kind": kind,
        "form": form,
        "errors": errors[:MAX_ERRORS_SHOWN],
        "error_count": len(errors),
        "error_rows": len({error.row for error in errors}),
        "errors_hidden": max(len(errors) - MAX_ERRORS_SHOWN, 0),
        "ignored_columns": form.cleaned_data.get("table").ignored_columns if result is not None else (),
        "max_upload": MAX_UPLOAD_BYTES,
        "template_url": reverse(f"accounts_io:{kind.slug}-import-template"),
    }
    return render(request, "accounts_io/import.html", context)


@require_safe
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """An empty CSV with the header row, ready to fill in (UTF-8 with BOM for Excel)."""
    kind = _kind(kind)
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    csv.writer(buffer).writerow([column.key for column in kind.columns])
    response = HttpResponse(buffer.getvalue().encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kam-{kind.slug}-template.csv"'
    return response
