"""A trigram index on `name_normalised`, for the possible-duplicate check (可能重复).

`accounts.selectors.customer_possible_duplicates` filters with pg_trgm's `%` operator, which
this index answers; without it every new customer's check computes `similarity()` over every
customer (about 1.5 s at 100,000 customers, against a few milliseconds). PostgreSQL only, as
0002: on SQLite the check uses another rule and the migration is a no-op.
"""

from django.db import migrations

INDEX = "customer_name_normalised_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_customer USING gin (name_normalised gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_renormalise_company_names")]

    operations = [migrations.RunPython(create, drop)]
