"""The gatekeeper over the API: who sees which customers, contacts, visits and transactions.

A record outside the caller's visibility is a 404 on retrieve, update and delete, never in a
list, a search or a filter, and a denied write changes nothing.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import AccountTeamMember, Contact, Customer, Transaction, Visit
from tests.factories import ContactFactory, CustomerFactory, TransactionFactory, VisitFactory

pytestmark = pytest.mark.django_db

RESOURCES = ["customers", "contacts", "visits", "transactions"]
MODELS = {"customers": Customer, "contacts": Contact, "visits": Visit, "transactions": Transaction}
FACTORIES = {"contacts": ContactFactory, "visits": VisitFactory, "transactions": TransactionFactory}
# A change the endpoint accepts from someone who may see the record.
CHANGES = {
    "customers": {"notes": "改过了"},
    "contacts": {"title": "总经理"},
    "visits": {"summary": "改过了"},
    "transactions": {"description": "改过了"},
}


def record(resource, customer):
    """The record of `resource` that belongs to `customer` (the customer itself for customers)."""
    return customer if resource == "customers" else FACTORIES[resource](customer=customer)


def row(obj) -> dict | None:
    """The record's columns as stored now (None once deleted)."""
    return type(obj).objects.filter(pk=obj.pk).values().first()


def listed_ids(client, resource, **params) -> set[int]:
    response = client.get(f"/api/v1/{resource}/", params)
    assert response.status_code == 200
    return {item["id"] for item in response.json()["results"]}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def shared_with(user, **kwargs):
    customer = CustomerFactory(**kwargs)
    AccountTeamMember.objects.create(customer=customer, user=user)
    return customer


@pytest.mark.parametrize("resource", RESOURCES)
def test_rep_lists_own_and_account_team_records_only(api_client, rep, other_rep, resource):
    mine = record(resource, CustomerFactory(owner=rep))
    shared = record(resource, shared_with(rep, owner=other_rep))
    record(resource, CustomerFactory(owner=other_rep))
    api_client.force_authenticate(rep)

    assert listed_ids(api_client, resource) == {mine.pk, shared.pk}


@pytest.mark.parametrize("resource", RESOURCES)
def test_manager_sees_records_of_their_teams_members_only(api_client, rep, other_rep, manager, resource):
    of_member = record(resource, CustomerFactory(owner=rep))
    own = record(resource, CustomerFactory(owner=manager))
    record(resource, CustomerFactory(owner=other_rep))
    api_client.force_authenticate(manager)

    assert listed_ids(api_client, resource) == {of_member.pk, own.pk}
    assert api_client.get(f"/api/v1/{resource}/{of_member.pk}/").status_code == 200


@pytest.mark.parametrize("resource", RESOURCES)
def test_admin_sees_every_record(api_client, rep, other_rep, admin_user, resource):
    records = [record(resource, CustomerFactory(owner=owner)) for owner in (rep, other_rep, None)]
    api_client.force_authenticate(admin_user)

    assert listed_ids(api_client, resource) == {obj.pk for obj in records}


@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_requests_are_401_and_change_nothing(api_client, rep, resource):
    obj = record(resource, CustomerFactory(owner=rep))
    before = row(obj)
    url = f"/api/v1/{resource}/{obj.pk}/"

    assert api_client.get(f"/api/v1/{resource}/").status_code == 401
    assert api_client.post(f"/api/v1/{resource}/", {}, format="json").status_code == 401
    assert api_client.get(url).status_code == 401
    assert api_client.patch(url, CHANGES[resource], format="json").status_code == 401
    assert api_client.delete(url).status_code == 401
    assert row(obj) == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_reps_record_is_404_on_retrieve_update_delete_and_unchanged(
    api_client, rep, other_rep, resource
):
    theirs = record(resource, CustomerFactory(owner=other_rep))
    url = f"/api/v1/{resource}/{theirs.pk}/"
    # A body its owner could send, so only visibility can refuse it.
    full_body = client_for(other_rep).get(url).json()
    full_body.update(CHANGES[resource])
    before = row(theirs)
    api_client.force_authenticate(rep)

    assert api_client.get(url).status_code == 404
    assert api_client.put(url, full_body, format="json").status_code == 404
    assert api_client.patch(url, CHANGES[resource], format="json").status_code == 404
    assert api_client.delete(url).status_code == 404
    assert row(theirs) == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_manager_gets_404_for_another_teams_record(api_client, manager, other_rep, resource):
    theirs = record(resource, CustomerFactory(owner=other_rep))
    before = row(theirs)
    api_client.force_authenticate(manager)

    url = f"/api/v1/{resource}/{theirs.pk}/"
    assert api_client.get(url).status_code == 404
    assert api_client.patch(url, CHANGES[resource], format="json").status_code == 404
    assert api_client.delete(url).status_code == 404
    assert row(theirs) == before


@pytest.mark.parametrize("resource", ["contacts", "visits", "transactions"])
def test_filtering_by_a_hidden_customer_shows_nothing(api_client, rep, other_rep, resource):
    theirs = CustomerFactory(owner=other_rep)
    record(resource, theirs)
    record(resource, CustomerFactory(owner=rep))
    api_client.force_authenticate(rep)

    assert listed_ids(api_client, resource, customer=theirs.pk) == set()


def test_customer_search_and_filters_never_reveal_hidden_customers(api_client, rep, other_rep):
    theirs = CustomerFactory(owner=other_rep, name="隐藏的华信集团", tier="gold", is_key_account=True)
    ContactFactory(customer=theirs, name="隐藏联系人")
    mine = CustomerFactory(owner=rep, name="我的华信分公司")
    api_client.force_authenticate(rep)

    assert listed_ids(api_client, "customers", search="华信") == {mine.pk}
    assert listed_ids(api_client, "customers", search="隐藏联系人") == set()
    assert listed_ids(api_client, "customers", owner=other_rep.pk) == set()
    assert listed_ids(api_client, "customers", tier="gold") == set()
    assert listed_ids(api_client, "customers", is_key_account="true") == set()


def test_contact_search_never_reveals_hidden_contacts(api_client, rep, other_rep):
    ContactFactory(customer=CustomerFactory(owner=other_rep), name="王建国")
    mine = ContactFactory(customer=CustomerFactory(owner=rep), name="王建华")
    api_client.force_authenticate(rep)

    assert listed_ids(api_client, "contacts", search="王建") == {mine.pk}


def test_account_team_member_sees_and_edits_the_customer_but_cannot_delete_it(api_client, rep, other_rep):
    customer = shared_with(rep, owner=other_rep)
    url = f"/api/v1/customers/{customer.pk}/"
    api_client.force_authenticate(rep)

    assert api_client.get(url).status_code == 200
    assert api_client.patch(url, {"notes": "团队成员的记录"}, format="json").status_code == 200
    before = row(customer)

    response = api_client.delete(url)

    assert response.status_code == 403
    assert row(customer) == before


def test_account_team_member_cannot_change_the_team_or_the_owner(api_client, rep, other_rep, manager):
    customer = shared_with(rep, owner=other_rep)
    before = row(customer)
    url = f"/api/v1/customers/{customer.pk}/"
    api_client.force_authenticate(rep)

    team = api_client.patch(url, {"account_team": []}, format="json")
    owner = api_client.patch(url, {"owner": rep.pk}, format="json")

    assert team.status_code == 400
    assert set(team.json()) == {"account_team"}
    assert owner.status_code == 400
    assert set(owner.json()) == {"owner"}
    assert row(customer) == before
    assert list(customer.account_team.all()) == [rep]


def test_manager_may_delete_a_team_members_customer(api_client, rep, manager):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(manager)

    assert api_client.delete(f"/api/v1/customers/{customer.pk}/").status_code == 204
    assert row(customer) is None


@pytest.mark.parametrize("resource", ["contacts", "visits", "transactions"])
def test_records_cannot_be_attached_to_a_hidden_customer(api_client, rep, other_rep, resource):
    theirs = CustomerFactory(owner=other_rep)
    body = {
        "contacts": {"customer": theirs.pk, "name": "李雷"},
        "visits": {"customer": theirs.pk, "occurred_at": "2025-03-01T10:00:00+08:00"},
        "transactions": {
            "customer": theirs.pk,
            "reference": "ERP-HIDDEN",
            "occurred_on": "2025-03-01",
            "amount": "100.00",
        },
    }[resource]
    api_client.force_authenticate(rep)

    response = api_client.post(f"/api/v1/{resource}/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"customer"}
    assert not MODELS[resource].objects.exists()


@pytest.mark.parametrize("field", ["parent", "referred_by"])
def test_a_customer_cannot_point_at_a_hidden_customer(api_client, rep, other_rep, field):
    theirs = CustomerFactory(owner=other_rep)
    mine = CustomerFactory(owner=rep)
    before = row(mine)
    api_client.force_authenticate(rep)

    created = api_client.post("/api/v1/customers/", {"name": "新客户", field: theirs.pk}, format="json")
    updated = api_client.patch(f"/api/v1/customers/{mine.pk}/", {field: theirs.pk}, format="json")

    assert created.status_code == 400
    assert set(created.json()) == {field}
    assert updated.status_code == 400
    assert set(updated.json()) == {field}
    assert Customer.objects.count() == 2
    assert row(mine) == before


def test_a_visit_cannot_name_a_hidden_contact(api_client, rep, other_rep):
    mine = CustomerFactory(owner=rep)
    their_contact = ContactFactory(customer=CustomerFactory(owner=other_rep))
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/visits/",
        {"customer": mine.pk, "occurred_at": "2025-03-01T10:00:00+08:00", "contacts": [their_contact.pk]},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"contacts"}
    assert not Visit.objects.exists()


def test_follow_up_of_a_hidden_visit_is_404_and_unchanged(api_client, rep, other_rep):
    visit = VisitFactory(customer=CustomerFactory(owner=other_rep), follow_up_on="2025-03-08")
    api_client.force_authenticate(rep)

    response = api_client.post(f"/api/v1/visits/{visit.pk}/follow-up-done/")

    assert response.status_code == 404
    visit.refresh_from_db()
    assert visit.follow_up_done_at is None
