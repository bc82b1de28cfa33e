"""DOMAIN.md's service levels per tier, as the starting policies (managers edit them)."""

from django.db import migrations

DEFAULTS = {
    "platinum": (14, 90, 90),
    "gold": (30, 180, 180),
    "iron": (60, None, 365),
    "lead": (90, None, None),
}


def create(apps, schema_editor):
    ServicePolicy = apps.get_model("servicing", "ServicePolicy")
    for tier, (visit, executive, review) in DEFAULTS.items():
        ServicePolicy.objects.get_or_create(
            tier=tier, defaults={"visit_days": visit, "executive_days": executive, "review_days": review}
        )


class Migration(migrations.Migration):
    dependencies = [("servicing", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
