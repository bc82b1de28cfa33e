"""Import and export pages for customers and transactions."""

from django.urls import path

from . import io_views

app_name = "accounts_io"

urlpatterns = [
    path("customers/export.csv", io_views.customers_export_csv, name="customers-export-csv"),
    path("customers/export.xlsx", io_views.customers_export_xlsx, name="customers-export-xlsx"),
    path("customers/import/", io_views.import_page, {"kind": "customers"}, name="customers-import"),
    path(
        "customers/import/template.csv",
        io_views.import_template,
        {"kind": "customers"},
        name="customers-import-template",
    ),
    path("transactions/import/", io_views.import_page, {"kind": "transactions"}, name="transactions-import"),
    path(
        "transactions/import/template.csv",
        io_views.import_template,
        {"kind": "transactions"},
        name="transactions-import-template",
    ),
]
