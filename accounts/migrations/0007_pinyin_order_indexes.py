"""Indexes for pinyin order and pinyin search.

Name order is pinyin order now (`CUSTOMER_ORDERINGS["name"]`, the models' Meta ordering): the
list's "filter, then name order" indexes and the plain name index move from `name` to
`name_pinyin`, and a contact's committee is read in pinyin order. On PostgreSQL, trigram GIN
indexes serve the search's `name_pinyin LIKE '%…%'` and `name_initials LIKE '%…%'` as 0002's
serve `UPPER(name) LIKE`; on SQLite that is a no-op, as 0002 is.
"""

from django.conf import settings
from django.db import migrations, models

TRIGRAM_INDEXES = {
    "customer_pinyin_trgm": ("accounts_customer", "name_pinyin"),
    "customer_initials_trgm": ("accounts_customer", "name_initials"),
    "contact_pinyin_trgm": ("accounts_contact", "name_pinyin"),
    "contact_initials_trgm": ("accounts_contact", "name_initials"),
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in TRIGRAM_INDEXES.items():
        # Django's contains is `column::text LIKE pattern`; pg_trgm comes from 0002.
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({column}::text) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_fill_name_pinyin"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="contact",
            options={
                "ordering": ["customer_id", "name_pinyin", "id"],
                "verbose_name": "contact",
                "verbose_name_plural": "contacts",
            },
        ),
        migrations.AlterModelOptions(
            name="customer",
            options={
                "ordering": ["name_pinyin", "id"],
                "verbose_name": "customer",
                "verbose_name_plural": "customers",
            },
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="contact_customer_name",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_owner_name",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_status_name",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_region_name",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_industry_name",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_tier_name",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_abc_name",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_key_name",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_name",
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["customer", "name_pinyin"], name="contact_customer_pinyin"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "name_pinyin"], name="customer_owner_pinyin"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["status", "name_pinyin"], name="customer_status_pinyin"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["region", "name_pinyin"], name="customer_region_pinyin"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["industry", "name_pinyin"], name="customer_industry_pinyin"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["tier", "name_pinyin"], name="customer_tier_pinyin"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["abc_class", "name_pinyin"], name="customer_abc_pinyin"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["is_key_account", "name_pinyin"], name="customer_key_pinyin"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["name_pinyin", "id"], name="customer_pinyin"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
