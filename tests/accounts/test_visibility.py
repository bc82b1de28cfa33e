"""The one gatekeeper: Customer.objects.visible_to(user) and the child querysets built on it."""

import pytest

from accounts.models import AccountTeamMember, Contact, Customer, Transaction, Visit
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    TeamFactory,
    TransactionFactory,
    UserFactory,
    VisitFactory,
)
from users.models import Role

# `in_subquery` is written differently for PostgreSQL: `make test` runs this module on SQLite as well.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def world(rep, other_rep, manager, admin_user):
    """rep (team 华东, managed by manager) and other_rep (team 华南) each own one customer;
    a third customer is owned by nobody."""
    mine = CustomerFactory(name="甲公司", owner=rep)
    theirs = CustomerFactory(name="乙公司", owner=other_rep)
    orphan = CustomerFactory(name="丙公司", owner=None)
    return {"mine": mine, "theirs": theirs, "orphan": orphan}


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


def test_rep_sees_only_own_customers(world, rep):
    assert names(Customer.objects.visible_to(rep)) == ["甲公司"]


def test_account_team_member_sees_the_customer(world, rep):
    AccountTeamMember.objects.create(customer=world["theirs"], user=rep)
    assert names(Customer.objects.visible_to(rep)) == ["乙公司", "甲公司"]


def test_manager_sees_customers_owned_by_members_of_managed_teams(world, manager):
    assert names(Customer.objects.visible_to(manager)) == ["甲公司"]


def test_manager_of_two_teams_sees_both_without_duplicates(world, manager, rep):
    TeamFactory(name="华南大客户部").managers.add(manager)
    # rep is also in the second team: still one row per customer.
    TeamFactory(name="华南大客户部").members.add(rep)
    assert names(Customer.objects.visible_to(manager)) == ["乙公司", "甲公司"]


def test_admin_sees_everything(world, admin_user):
    assert names(Customer.objects.visible_to(admin_user)) == ["丙公司", "乙公司", "甲公司"]


def test_inactive_and_anonymous_users_see_nothing(world, rep):
    from django.contrib.auth.models import AnonymousUser

    rep.is_active = False
    assert not Customer.objects.visible_to(rep).exists()
    assert not Customer.objects.visible_to(AnonymousUser()).exists()


def test_a_manager_without_teams_is_like_a_rep(world):
    lonely = UserFactory(username="lonely", role=Role.MANAGER)
    CustomerFactory(name="丁公司", owner=lonely)
    assert names(Customer.objects.visible_to(lonely)) == ["丁公司"]


def test_everything_under_a_customer_follows_its_visibility(world, rep):
    for customer in world.values():
        ContactFactory(customer=customer, name=f"{customer.name}联系人")
        VisitFactory(customer=customer, by=None)
        TransactionFactory(customer=customer)

    assert list(Contact.objects.visible_to(rep).values_list("name", flat=True)) == ["甲公司联系人"]
    assert set(Visit.objects.visible_to(rep).values_list("customer__name", flat=True)) == {"甲公司"}
    assert set(Transaction.objects.visible_to(rep).values_list("customer__name", flat=True)) == {"甲公司"}


def test_visible_to_is_one_query(world, manager, django_assert_num_queries):
    with django_assert_num_queries(2):  # "does the user manage a team?" + the list itself
        list(Customer.objects.visible_to(manager))
