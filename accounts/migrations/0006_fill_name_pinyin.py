"""Fill `name_pinyin` and `name_initials` of every customer and contact (added empty by 0005).

From here on the models derive them on every write (`derive_from_name`); this fills the rows
written before. The same functions as the models, from accounts/pinyin.py: a later change of
its rules needs a migration like this one to refill the columns. In chunks of CHUNK rows by
primary key, each written with one bulk UPDATE (no signals, so no audit rows, and `updated_at`
stays: the customer did not change). The reverse is a no-op: 0005's reverse drops the columns.
"""

from django.db import migrations

from accounts.pinyin import pinyin_columns

CHUNK = 2000


def fill(apps, schema_editor):
    for model_name, person in (("Customer", False), ("Contact", True)):
        model = apps.get_model("accounts", model_name)
        pinyin_length = model._meta.get_field("name_pinyin").max_length
        initials_length = model._meta.get_field("name_initials").max_length
        rows = model._base_manager.order_by("pk").only("pk", "name", "name_pinyin", "name_initials")
        last = 0
        while chunk := list(rows.filter(pk__gt=last)[:CHUNK]):
            changed = []
            for row in chunk:
                pinyin, initials = pinyin_columns(row.name, person=person)
                derived = (pinyin[:pinyin_length], initials[:initials_length])
                if (row.name_pinyin, row.name_initials) != derived:
                    row.name_pinyin, row.name_initials = derived
                    changed.append(row)
            model._base_manager.bulk_update(changed, ["name_pinyin", "name_initials"])
            last = chunk[-1].pk


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_chinese_native_fields")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
