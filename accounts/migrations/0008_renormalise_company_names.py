"""Recompute every customer's `name_normalised` with the current rule (accounts/company_names.py).

The rule now also ignores bracket style, bracketed group markers （集团）(控股)（股份）（有限合伙）, and
where a region is written (永盛汽车零部件（上海）有限公司 = 上海永盛汽车零部件有限公司, 上海市… = 上海…).
Customers saved from now on get it on save; this brings the rows written before in step, so the
撞单 check and the unique constraint see every customer under the same rule.

Two customers that were different under the old rule may be the same company under the new
one. The migration does not fail on them and changes neither: the first (the one already holding
that value, else the lowest id) gets the new value; the others keep their old one, and each is
printed, to be merged or renamed by a person. Until then editing such a customer is refused
as a duplicate of the first, which is what it is. Rows are written with bulk UPDATEs (no
signals, so no audit rows; `updated_at` stays, as the customer did not change), in two passes
through a placeholder no name can normalise to (it has spaces), so that values moving between
rows never collide midway. The reverse applies the previous rule the same way.
"""

import re
from collections import defaultdict

from django.db import migrations

from accounts.company_names import normalise_company_name

BATCH = 1000

_OLD_LEGAL_FORMS = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团公司|公司|"
    r"co\.?,?\s*ltd\.?|company\s+limited|limited|ltd\.?|inc\.?|corp\.?|corporation|llc)",
    re.IGNORECASE,
)
_OLD_NOISE = re.compile(r"[\s\.,，。·()（）\-_/&]+")


def previous_rule(name: str) -> str:
    """`normalise_company_name` before this migration (legal forms, case, spaces, punctuation)."""
    name = (name or "").strip().lower()
    return _OLD_NOISE.sub("", _OLD_LEGAL_FORMS.sub("", name))


def plan(rows: list[tuple[int, str, str]], rule) -> tuple[dict[int, str], list[str]]:
    """For (pk, name, current value) rows in pk order: the value each row ends with (unique),
    and a line for each row that keeps its old value because another row took the new one."""
    old = {pk: current for pk, _name, current in rows}
    names = {pk: name for pk, name, _current in rows}
    new = {pk: rule(name) for pk, name, _current in rows}
    winner: dict[str, int] = {}
    for pk, _name, _current in rows:
        value = new[pk]
        if value and (value not in winner or (old[pk] == value and old[winner[value]] != value)):
            winner[value] = pk
    final = {pk: new[pk] if winner.get(new[pk]) == pk else old[pk] for pk in old}
    while True:
        holders = defaultdict(list)
        for pk, value in final.items():
            holders[value].append(pk)
        clashes = [pks for pks in holders.values() if len(pks) > 1]
        if not clashes:
            break
        # A row that took its new value over one keeping its old: it keeps its old one too
        # (old values are unique, so this ends, at the latest with every row as it was).
        for pks in clashes:
            for pk in pks:
                final[pk] = old[pk]
    holder_of = {value: pk for pk, value in final.items()}
    report = []
    for pk in old:
        if final[pk] == new[pk]:
            continue
        other = holder_of.get(new[pk])
        if not new[pk]:
            why = "is nothing but legal forms or markers under the new name rule"
        elif other is not None:
            why = f"is the same company as customer {other} “{names[other]}” under the new name rule"
        else:
            why = "is the same company as another customer under the new name rule"
        report.append(
            f"accounts: customer {pk} “{names[pk]}” {why}; it keeps its old normalised name "
            f"“{old[pk]}” until it is merged or renamed."
        )
    return final, report


def apply(apps, rule) -> None:
    customer_model = apps.get_model("accounts", "Customer")
    rows = list(customer_model._base_manager.order_by("pk").values_list("pk", "name", "name_normalised"))
    final, report = plan(rows, rule)
    current = {pk: value for pk, _name, value in rows}
    changed = [pk for pk in final if final[pk] != current[pk]]
    for values in ({pk: f" renormalising {pk}" for pk in changed}, final):
        for start in range(0, len(changed), BATCH):
            batch = [
                customer_model(pk=pk, name_normalised=values[pk]) for pk in changed[start : start + BATCH]
            ]
            customer_model._base_manager.bulk_update(batch, ["name_normalised"])
    if report:
        print()  # after "Applying accounts.0008…", on lines of their own
    for line in report:
        print(line)


def forwards(apps, schema_editor):
    apply(apps, normalise_company_name)


def backwards(apps, schema_editor):
    apply(apps, previous_rule)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_pinyin_order_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
