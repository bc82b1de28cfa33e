"""Demo contacts, the buying committee of each demo customer, created by `contacts_create`."""

from collections.abc import Mapping, Sequence
from datetime import date

from accounts.models import Contact, Customer
from accounts.services import contacts_create

from ..dataset import DemoContact


def _age_on(birthday: date, today: date) -> int:
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


def contacts_load(*, contacts: Sequence[DemoContact], customers: Mapping[str, Customer], today: date) -> int:
    """Create the demo contacts that are not there yet, keyed by (customer, name); how many were
    created. A decision maker's age is worked out from the birthday as of `today`."""
    have = set(
        Contact.objects.filter(customer__in=list(customers.values())).values_list("customer_id", "name")
    )
    new = []
    for spec in contacts:
        customer = customers[spec.customer]
        if (customer.pk, spec.name) in have:
            continue
        profile = dict(spec.profile)
        if "birthday" in profile:
            profile["age"] = _age_on(profile["birthday"], today)
        new.append(
            Contact(
                customer=customer,
                name=spec.name,
                title=spec.title,
                department=spec.department,
                phone=spec.phone,
                email=spec.email,
                buying_role=spec.buying_role,
                influence=spec.influence,
                relationship_strength=spec.relationship_strength,
                attitude=spec.attitude,
                **profile,
            )
        )
    return len(contacts_create(contacts=new))
