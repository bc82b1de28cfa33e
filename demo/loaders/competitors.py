"""Demo competitors at the demo customers: who else sells there, their offer and bottom line."""

from collections.abc import Mapping, Sequence

from accounts.models import CompetitorPresence, Customer

from ..dataset import DemoCompetitor


def competitors_load(*, competitors: Sequence[DemoCompetitor], customers: Mapping[str, Customer]) -> int:
    """Create the demo competitors that are not there yet, keyed by (customer, competitor); how
    many were created.

    The product has no service for them: only the admin writes them, through its model form.
    So they are validated here as that form does (`full_clean`) and written in one insert.
    """
    have = set(
        CompetitorPresence.objects.filter(customer__in=list(customers.values())).values_list(
            "customer_id", "competitor"
        )
    )
    new = []
    for spec in competitors:
        customer = customers[spec.customer]
        if (customer.pk, spec.competitor) in have:
            continue
        presence = CompetitorPresence(
            customer=customer,
            competitor=spec.competitor,
            strengths=spec.strengths,
            weaknesses=spec.weaknesses,
            offer=spec.offer,
            bottom_line=spec.bottom_line,
            share_of_wallet=spec.share_of_wallet,
        )
        presence.full_clean()
        new.append(presence)
    CompetitorPresence.objects.bulk_create(new, batch_size=500)
    return len(new)
