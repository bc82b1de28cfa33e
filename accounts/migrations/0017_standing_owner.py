"""The standing row carries its customer's owner, kept in step by a trigger on accounts_customer.

A manager's dashboards then pick the rows of the customers they see from the narrow standing
table alone, instead of hashing the ids of those customers against it (docs/benchmarks.md).
A trigger, not Python: an owner changes through forms, the API, the admin, `QuerySet.update`
and a deleted user's SET_NULL (an UPDATE Django issues itself), and every one fires it.
The PostgreSQL function names the standing table in dynamic SQL, so it finds the table a
scoring run swapped in by rename, not the one it dropped.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
UPDATE accounts_customerstanding SET owner_id = (
    SELECT c.owner_id FROM accounts_customer c WHERE c.id = accounts_customerstanding.customer_id
)
"""

POSTGRESQL = """
CREATE FUNCTION accounts_standing_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'UPDATE accounts_customerstanding SET owner_id = $1 WHERE customer_id = $2'
        USING NEW.owner_id, NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_standing_owner AFTER UPDATE OF owner_id ON accounts_customer
FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id)
EXECUTE FUNCTION accounts_standing_owner();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS accounts_standing_owner ON accounts_customer;
DROP FUNCTION IF EXISTS accounts_standing_owner();
"""

# SQLite rebuilds a table to alter it, dropping its triggers: a later migration that alters
# accounts_customer there must create this again (tests/accounts/test_standing_owner.py fails
# if it is missing on either database).
SQLITE = """
CREATE TRIGGER accounts_standing_owner AFTER UPDATE OF owner_id ON accounts_customer
FOR EACH ROW WHEN OLD.owner_id IS NOT NEW.owner_id
BEGIN
    UPDATE accounts_customerstanding SET owner_id = NEW.owner_id WHERE customer_id = NEW.id;
END
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS accounts_standing_owner"


def create_trigger(apps, schema_editor):
    connection = schema_editor.connection
    schema_editor.execute(BACKFILL)
    if connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif connection.vendor == "sqlite":
        schema_editor.execute(SQLITE)


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in ("postgresql", "sqlite"):
        schema_editor.execute(POSTGRESQL_REVERSE if vendor == "postgresql" else SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0016_standing_sales_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="customerstanding",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
        migrations.AddIndex(
            model_name="customerstanding",
            index=models.Index(fields=["owner"], name="standing_owner"),
        ),
    ]
