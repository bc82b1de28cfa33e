"""The owner trigger also notes which customer changed hands, on PostgreSQL.

A scoring run builds its standing table from the owners it loaded; the customers given another
owner while it computed are read again under the swap's lock. From this list of the customers
reassigned since the last swap (a few a day), not from a join of every customer: 0.05 s at
100,000 customers, held under a lock every customer query waits for, becomes a few milliseconds.
The trigger updates the standing row first, which waits for a swap in progress, so a customer
noted here was reassigned by a transaction that has committed by the time the swap reads it.
"""

from django.db import migrations

FORWARD = """
CREATE TABLE accounts_standing_owner_log (customer_id BIGINT NOT NULL);
CREATE OR REPLACE FUNCTION accounts_standing_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'UPDATE accounts_customerstanding SET owner_id = $1 WHERE customer_id = $2'
        USING NEW.owner_id, NEW.id;
    INSERT INTO accounts_standing_owner_log (customer_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;
"""

REVERSE = """
CREATE OR REPLACE FUNCTION accounts_standing_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'UPDATE accounts_customerstanding SET owner_id = $1 WHERE customer_id = $2'
        USING NEW.owner_id, NEW.id;
    RETURN NULL;
END
$$;
DROP TABLE accounts_standing_owner_log;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite's run joins every customer
        schema_editor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0017_standing_owner")]

    operations = [migrations.RunPython(forward, reverse)]
