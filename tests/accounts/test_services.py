"""Writes of the rep's daily work: each validates first and writes all or nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AccountTeamMember, Customer, Transaction, Visit, normalise_company_name
from accounts.services import (
    DuplicateCustomer,
    TransactionRow,
    can_see_personal_profile,
    customer_create,
    customer_delete,
    customer_update,
    follow_up_mark_done,
    transactions_upsert,
    visit_log,
)
from tests.factories import ContactFactory, CustomerFactory, TransactionFactory, UserFactory
from users.services import owner_choices

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("上海华信股份有限公司", "上海 华信 有限公司"),
        ("Acme Co., Ltd.", "ACME"),
        ("深圳（南山）科技公司", "深圳南山科技"),
        ("Foo Company Limited", "foo"),
    ],
)
def test_normalised_names_ignore_legal_forms_spaces_and_case(a, b):
    assert normalise_company_name(a) == normalise_company_name(b)


def test_different_companies_stay_different():
    assert normalise_company_name("上海华信") != normalise_company_name("上海华兴")


def test_create_makes_the_creator_owner(rep):
    customer = customer_create(by=rep, name="华信科技有限公司", industry="电子", potential=4)
    assert customer.owner == rep
    assert customer.name_normalised == "华信科技"


def test_duplicate_name_is_refused_naming_the_owner(rep, other_rep):
    existing = customer_create(by=other_rep, name="华信科技有限公司")

    with pytest.raises(DuplicateCustomer) as refused:
        customer_create(by=rep, name="华信科技 股份有限公司")

    assert refused.value.existing == existing
    assert other_rep.display_name in refused.value.message_dict["name"][0]
    assert Customer.objects.count() == 1


def test_renaming_into_a_duplicate_is_refused(rep):
    customer_create(by=rep, name="甲有限公司")
    second = customer_create(by=rep, name="乙有限公司")
    with pytest.raises(DuplicateCustomer):
        customer_update(customer=second, by=rep, name="甲 公司")
    second.refresh_from_db()
    assert second.name == "乙有限公司"


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_ratings_outside_1_to_5_are_refused(rep, rating):
    with pytest.raises(ValidationError) as refused:
        customer_create(by=rep, name="评分公司", potential=rating)
    assert "potential" in refused.value.message_dict
    assert not Customer.objects.exists()


def test_only_the_name_is_required(rep):
    with pytest.raises(ValidationError) as refused:
        customer_create(by=rep, name="  ")
    assert "name" in refused.value.message_dict


def test_a_name_of_only_a_legal_form_is_refused(rep):
    with pytest.raises(ValidationError):
        customer_create(by=rep, name="有限公司")


def test_rep_cannot_assign_customers_to_someone_else(rep, other_rep):
    with pytest.raises(ValidationError) as refused:
        customer_create(by=rep, name="转让公司", owner=other_rep)
    assert "owner" in refused.value.message_dict
    assert not Customer.objects.exists()


def test_manager_can_reassign_inside_the_team_only(manager, rep, other_rep, team):
    rep2 = UserFactory(username="rep2")
    team.members.add(rep2)
    customer = customer_create(by=rep, name="调整公司")

    customer_update(customer=customer, by=manager, owner=rep2)
    assert Customer.objects.get(pk=customer.pk).owner == rep2
    with pytest.raises(ValidationError):
        customer_update(customer=customer, by=manager, owner=other_rep)
    assert set(owner_choices(manager)) == {manager, rep, rep2}


def test_setting_a_scoring_field_is_refused(rep):
    with pytest.raises(ValidationError) as refused:
        customer_create(by=rep, name="作弊公司", tier="platinum")
    assert "tier" in refused.value.message_dict


def test_account_team_changes_need_the_owner_or_manager(rep, other_rep, manager):
    customer = customer_create(by=rep, name="团队公司", account_team=[other_rep])
    assert list(customer.account_team.all()) == [other_rep]
    # A team member may not change the team.
    with pytest.raises(ValidationError):
        customer_update(customer=customer, by=other_rep, account_team=[])
    customer_update(customer=customer, by=manager, account_team=[])
    assert not AccountTeamMember.objects.exists()


def test_personal_profile_visibility(rep, other_rep, manager, admin_user):
    customer = CustomerFactory(owner=rep)
    outsider = UserFactory(username="outsider")
    AccountTeamMember.objects.create(customer=customer, user=other_rep)
    assert can_see_personal_profile(rep, customer)
    assert can_see_personal_profile(other_rep, customer)
    assert can_see_personal_profile(manager, customer)
    assert can_see_personal_profile(admin_user, customer)
    assert not can_see_personal_profile(outsider, customer)


def test_delete_refused_with_transactions_and_for_team_members(rep, other_rep):
    customer = CustomerFactory(owner=rep)
    AccountTeamMember.objects.create(customer=customer, user=other_rep)
    with pytest.raises(PermissionDenied):
        customer_delete(customer=customer, by=other_rep)
    TransactionFactory(customer=customer)
    with pytest.raises(ValidationError):
        customer_delete(customer=customer, by=rep)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_visit_log_with_contacts_and_follow_up(rep):
    customer = CustomerFactory(owner=rep)
    buyer = ContactFactory(customer=customer)
    when = timezone.now() - timedelta(hours=2)

    visit = visit_log(
        customer=customer,
        by=rep,
        occurred_at=when,
        kind="meeting",
        contacts=[buyer],
        needs="交期缩短",
        follow_up_on=timezone.localdate() + timedelta(days=7),
        latitude=Decimal("31.230416"),
        longitude=Decimal("121.473701"),
        location_accuracy_m=25.0,
    )

    assert list(visit.contacts.all()) == [buyer]
    assert visit.by == rep
    assert Visit.objects.follow_ups_open().get() == visit


def test_visit_log_refuses_another_customers_contact(rep):
    customer = CustomerFactory(owner=rep)
    stranger = ContactFactory()
    with pytest.raises(ValidationError) as refused:
        visit_log(customer=customer, by=rep, occurred_at=timezone.now(), contacts=[stranger])
    assert "contacts" in refused.value.message_dict
    assert not Visit.objects.exists()


def test_visit_log_refuses_half_a_location_and_bad_kinds(rep):
    customer = CustomerFactory(owner=rep)
    with pytest.raises(ValidationError):
        visit_log(customer=customer, by=rep, occurred_at=timezone.now(), latitude=Decimal("31.2"))
    with pytest.raises(ValidationError):
        visit_log(customer=customer, by=rep, occurred_at=timezone.now(), kind="party")
    with pytest.raises(ValidationError):
        visit_log(
            customer=customer,
            by=rep,
            occurred_at=timezone.now(),
            latitude=Decimal("91"),
            longitude=Decimal("0"),
        )
    assert not Visit.objects.exists()


def test_follow_up_done_once(rep):
    customer = CustomerFactory(owner=rep)
    visit = visit_log(
        customer=customer, by=rep, occurred_at=timezone.now(), follow_up_on=timezone.localdate()
    )
    follow_up_mark_done(visit=visit, by=rep)
    first = Visit.objects.get().follow_up_done_at
    follow_up_mark_done(visit=visit, by=rep)
    assert Visit.objects.get().follow_up_done_at == first
    assert not Visit.objects.follow_ups_open().exists()


def test_follow_up_done_needs_a_follow_up(rep):
    visit = visit_log(customer=CustomerFactory(owner=rep), by=rep, occurred_at=timezone.now())
    with pytest.raises(ValidationError):
        follow_up_mark_done(visit=visit, by=rep)


def test_transactions_upsert_creates_then_updates_by_reference():
    customer = CustomerFactory()
    rows = [
        TransactionRow(customer.pk, "ERP-1", date(2026, 1, 5), Decimal("100.00"), Decimal("20.00")),
        TransactionRow(customer.pk, "ERP-2", date(2026, 1, 6), Decimal("-30.00"), Decimal("-5.00")),
    ]
    assert transactions_upsert(rows=rows).created == 2

    again = transactions_upsert(
        rows=[*rows[:1], TransactionRow(customer.pk, "ERP-2", date(2026, 1, 6), Decimal("-35"))]
    )

    assert (again.created, again.updated) == (0, 2)
    assert Transaction.objects.count() == 2
    assert Transaction.objects.get(reference="ERP-2").amount == Decimal("-35.00")
    assert Transaction.objects.get(reference="ERP-2").margin is None
