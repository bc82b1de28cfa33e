"""Trigram indexes for the name search (`icontains` on customer and contact names).

PostgreSQL only: on SQLite (the laptop default) a LIKE scan is fine and the migration is a
no-op. pg_trgm is a trusted extension, so the database owner may create it.
"""

from django.db import migrations

INDEXES = {
    "customer_name_trgm": "accounts_customer",
    "contact_name_trgm": "accounts_contact",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES.items():
        # Django's icontains is UPPER(col::text) LIKE UPPER(pattern): index that expression.
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER(name::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
