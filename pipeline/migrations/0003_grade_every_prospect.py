"""Grade every customer as the pipeline now keeps them graded: a prospect by its best open
opportunity (A ≥ 70%, B ≥ 40%, C ≥ 10%, D below or none), a customer not at all.

Prospects written before had no grade until an opportunity was, and a status change kept the
old grade. Set-based: a few UPDATEs whatever the number of customers. The grades are derived,
so going back changes nothing.
"""

from django.db import migrations
from django.db.models import Exists, Max, OuterRef, Subquery

OPEN_STAGES = ("target", "information", "evaluation", "relationship", "closing")
CUTOFFS = (("A", 70, None), ("B", 40, 70), ("C", 10, 40), ("D", None, 10))


def grade(apps, schema_editor):
    Customer = apps.get_model("accounts", "Customer")
    Opportunity = apps.get_model("pipeline", "Opportunity")
    open_ones = Opportunity.objects.filter(customer=OuterRef("pk"), stage__in=OPEN_STAGES)
    best = open_ones.values("customer").annotate(best=Max("probability")).values("best")
    prospects = Customer.objects.filter(status="prospect")
    prospects.filter(~Exists(open_ones)).exclude(prospect_grade="D").update(prospect_grade="D")
    graded = prospects.filter(Exists(open_ones)).annotate(best=Subquery(best))
    for letter, low, high in CUTOFFS:
        rows = graded
        if low is not None:
            rows = rows.filter(best__gte=low)
        if high is not None:
            rows = rows.filter(best__lt=high)
        rows.exclude(prospect_grade=letter).update(prospect_grade=letter)
    Customer.objects.exclude(status="prospect").exclude(prospect_grade="").update(prospect_grade="")


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0002_default_stage_gates")]

    operations = [migrations.RunPython(grade, migrations.RunPython.noop, elidable=True)]
