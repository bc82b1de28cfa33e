"""The demo's experience method (经历推算法): the industry fit table, saved by
`industry_fit_save`, and the customer-fit checklist's ticks, by `customers_tick_fit_criteria`."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from accounts.models import Customer, FitCriterion, IndustryFit
from accounts.services import customers_tick_fit_criteria, industry_fit_save
from users.models import User

from ..servicing_dataset import INDUSTRY_FITS, DemoTicks


@dataclass(frozen=True)
class FitLoaded:
    industry_fits: int
    customers_ticked: int
    ticks: int


def fit_load(
    *, ticks: Sequence[DemoTicks], customers: Mapping[str, Customer], users: Mapping[str, User]
) -> FitLoaded:
    """Add the demo industries missing from the fit table (one already there keeps what the
    manager set) and tick the checklists of the demo customers that have no tick at all (one
    someone ticked keeps its ticks). Items are matched by label, among the active ones: an item
    an admin renamed or deactivated is skipped."""
    manager = users["manager"]  # managers keep the industry fit table
    have = set(IndustryFit.objects.values_list("industry", flat=True))
    fits = 0
    for industry, (need, capability, notes) in INDUSTRY_FITS.items():
        if industry not in have:
            industry_fit_save(by=manager, industry=industry, need=need, capability=capability, notes=notes)
            fits += 1

    items = {criterion.label: criterion for criterion in FitCriterion.objects.filter(is_active=True)}
    specs = [spec for spec in ticks if spec.customer in customers]
    ticked = set(
        Customer.fit_criteria.through.objects.filter(
            customer_id__in=[customers[spec.customer].pk for spec in specs]
        ).values_list("customer_id", flat=True)
    )
    rows = [
        (customers[spec.customer], [items[label] for label in spec.items if label in items])
        for spec in specs
        if customers[spec.customer].pk not in ticked
    ]
    rows = [(customer, criteria) for customer, criteria in rows if criteria]
    customers_tick_fit_criteria(ticks=rows)
    return FitLoaded(
        industry_fits=fits, customers_ticked=len(rows), ticks=sum(len(criteria) for _c, criteria in rows)
    )
