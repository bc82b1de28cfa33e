"""Demo customers, created by `customers_create` as an admin would, with their account teams."""

from collections.abc import Iterable, Mapping, Sequence

from accounts.models import AccountTeamMember, Customer, normalise_company_name
from accounts.services import customer_set_team, customers_create
from users.models import User

from ..dataset import DemoCustomer


def demo_customers(customers: Iterable[DemoCustomer]) -> dict[str, Customer]:
    """The demo customers in the database, by their name in the dataset (matched as the
    duplicate check matches them: on the normalised name)."""
    keys = {customer.name: normalise_company_name(customer.name) for customer in customers}
    loaded = {
        customer.name_normalised: customer
        for customer in Customer.objects.filter(name_normalised__in=set(keys.values()))
    }
    return {name: loaded[key] for name, key in keys.items() if key in loaded}


def customers_load(*, customers: Sequence[DemoCustomer], users: Mapping[str, User]) -> int:
    """Create the demo customers that are not there yet, owned by the rep (or the manager) the
    dataset names; how many were created.

    One that exists already (by normalised name) is left as it is, so edits made while trying
    the demo survive a re-run. The dataset lists group accounts and referrers before the
    customers that name them, as `customers_create` needs.
    """
    admin = users["admin"]  # sets the accounts up: may assign them to anyone
    loaded = demo_customers(customers)
    new: dict[str, Customer] = {}

    def linked(name: str) -> Customer | None:  # a group account or referrer, saved or in this batch
        return (loaded.get(name) or new[name]) if name else None

    for spec in customers:
        if spec.name in loaded:
            continue
        new[spec.name] = Customer(
            name=spec.name,
            industry=spec.industry,
            region=spec.region,
            status=spec.status,
            source=spec.source,
            owner=users[spec.owner],
            parent=linked(spec.parent),
            referred_by=linked(spec.referred_by),
            potential=spec.potential,
            demonstration=spec.demonstration,
            winnability=spec.winnability,
            notes=spec.notes,
        )
    customers_create(by=admin, customers=list(new.values()))
    for spec in customers:
        if spec.name not in new or not spec.team:
            continue
        team = {users[username]: role for username, role in spec.team}
        customer_set_team(customer=new[spec.name], by=admin, users=list(team))
        # The role on the account is set only in the admin: no service takes it, so it is set here.
        for user, role in team.items():
            AccountTeamMember.objects.filter(customer=new[spec.name], user=user).update(role=role)
    return len(new)
