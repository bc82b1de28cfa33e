"""The customer-fit checklist's default items (DOMAIN.md scoring item 9); admins edit them."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("需求已确认", 30),  # need confirmed
    ("预算已落实", 20),  # budget confirmed
    ("采购过同类产品或方案", 20),  # bought something similar before
    ("选择标准与我方优势匹配", 20),  # past selection criteria match our strengths
    ("决策流程已清楚", 10),  # decision process known
]


def create(apps, schema_editor):
    FitCriterion = apps.get_model("accounts", "FitCriterion")
    for position, (label, weight) in enumerate(DEFAULTS, start=1):
        FitCriterion.objects.get_or_create(label=label, defaults={"weight": Decimal(weight), "position": position})


def remove(apps, schema_editor):
    apps.get_model("accounts", "FitCriterion").objects.filter(label__in=[label for label, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_experience_method")]
    operations = [migrations.RunPython(create, remove)]
