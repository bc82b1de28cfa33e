"""/api/v1/contacts/: the buying committee, and the personal profile only for the account team."""

import pytest

from accounts import services
from accounts.models import AccountTeamMember, Contact, Customer
from tests.factories import ContactFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = {
    "hometown": "浙江宁波",
    "birthday": "1975-06-01",
    "age": 50,
    "interests": "围棋、钓鱼",
    "tenure": "8年",
    "authority": "300万以下采购可自行审批",
    "personality": "稳重",
    "working_style": "重数据",
    "family": "一子在读大学",
}


def test_create_a_contact_with_its_profile(api_client, rep):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)
    body = {
        "customer": customer.pk,
        "name": "张伟",
        "title": "采购总监",
        "buying_role": "decision_maker",
        "influence": 5,
        "relationship_strength": 2,
        "attitude": "neutral",
        **PROFILE,
    }

    response = api_client.post("/api/v1/contacts/", body, format="json")

    assert response.status_code == 201
    assert {name: response.json()[name] for name in body} == body
    contact = Contact.objects.get()
    assert contact.customer == customer
    assert contact.hometown == "浙江宁波"


def test_json_fields_of_a_contact(api_client, rep):
    contact = ContactFactory(customer=CustomerFactory(owner=rep))
    api_client.force_authenticate(rep)

    body = api_client.get(f"/api/v1/contacts/{contact.pk}/").json()

    assert set(body) == {
        "id",
        "customer",
        "name",
        "title",
        "department",
        "phone",
        "email",
        "wechat",
        "buying_role",
        "influence",
        "relationship_strength",
        "attitude",
        "notes",
        *Contact.PROFILE_FIELDS,
        "created_at",
        "updated_at",
    }
    assert body["buying_role"] is None
    assert body["influence"] is None


@pytest.mark.parametrize(("field", "value"), [("influence", 0), ("relationship_strength", 6), ("age", 12)])
def test_out_of_range_numbers_are_refused(api_client, rep, field, value):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    response = api_client.post("/api/v1/contacts/", {"customer": customer.pk, "name": "张伟", field: value})

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert not Contact.objects.exists()


def test_a_contact_stays_with_its_customer(api_client, rep):
    contact = ContactFactory(customer=CustomerFactory(owner=rep))
    elsewhere = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/contacts/{contact.pk}/", {"customer": elsewhere.pk}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"customer"}
    contact.refresh_from_db()
    assert contact.customer_id != elsewhere.pk


def test_update_and_delete(api_client, rep):
    contact = ContactFactory(customer=CustomerFactory(owner=rep), title="采购经理")
    api_client.force_authenticate(rep)
    url = f"/api/v1/contacts/{contact.pk}/"
    body = api_client.get(url).json()
    body["title"] = "采购总监"

    assert api_client.put(url, body, format="json").status_code == 200
    contact.refresh_from_db()
    assert contact.title == "采购总监"
    assert api_client.delete(url).status_code == 204
    assert not Contact.objects.exists()


@pytest.mark.parametrize("who", ["owner", "team_member", "manager", "admin"])
def test_the_account_team_its_manager_and_admins_see_the_profile(
    api_client, rep, other_rep, manager, admin_user, who
):
    customer = CustomerFactory(owner=rep)
    AccountTeamMember.objects.create(customer=customer, user=other_rep)
    contact = ContactFactory(customer=customer, **PROFILE)
    user = {"owner": rep, "team_member": other_rep, "manager": manager, "admin": admin_user}[who]
    api_client.force_authenticate(user)

    listed = api_client.get("/api/v1/contacts/").json()["results"][0]
    detail = api_client.get(f"/api/v1/contacts/{contact.pk}/").json()

    assert listed["hometown"] == detail["hometown"] == "浙江宁波"
    assert listed["age"] == detail["age"] == 50


@pytest.fixture
def former_reps_contact(rep, manager):
    """A contact at a customer of a rep who has left: the manager still sees the customer,
    but is no longer the account team's manager, so the profile is hidden from them."""
    contact = ContactFactory(customer=CustomerFactory(owner=rep), **PROFILE)
    rep.is_active = False
    rep.save()
    return contact


def test_profile_fields_are_absent_for_those_outside_the_account_team(
    api_client, manager, former_reps_contact
):
    api_client.force_authenticate(manager)

    listed = api_client.get("/api/v1/contacts/").json()["results"]
    detail = api_client.get(f"/api/v1/contacts/{former_reps_contact.pk}/").json()

    assert [item["id"] for item in listed] == [former_reps_contact.pk]
    for body in (listed[0], detail):
        assert body["name"] == former_reps_contact.name
        assert not set(Contact.PROFILE_FIELDS) & set(body)


def test_a_mixed_list_shows_each_profile_only_where_allowed(api_client, manager, former_reps_contact):
    own = ContactFactory(customer=CustomerFactory(owner=manager), **PROFILE)
    api_client.force_authenticate(manager)

    results = {item["id"]: item for item in api_client.get("/api/v1/contacts/").json()["results"]}

    assert results[own.pk]["hometown"] == "浙江宁波"
    assert "hometown" not in results[former_reps_contact.pk]


def test_those_outside_the_account_team_cannot_write_the_profile(api_client, manager, former_reps_contact):
    api_client.force_authenticate(manager)
    url = f"/api/v1/contacts/{former_reps_contact.pk}/"

    refused = api_client.patch(url, {"hometown": "北京", "age": 30}, format="json")
    allowed = api_client.patch(url, {"title": "副总经理"}, format="json")

    assert refused.status_code == 400
    assert set(refused.json()) == {"hometown", "age"}
    assert allowed.status_code == 200
    former_reps_contact.refresh_from_db()
    assert former_reps_contact.hometown == "浙江宁波"
    assert former_reps_contact.title == "副总经理"


def test_filter_by_customer_and_search_by_name(api_client, rep):
    first, second = CustomerFactory(owner=rep), CustomerFactory(owner=rep)
    zhang = ContactFactory(customer=first, name="张伟")
    li = ContactFactory(customer=first, name="李娜")
    zhang_too = ContactFactory(customer=second, name="张敏")
    api_client.force_authenticate(rep)

    def ids(**params):
        return {item["id"] for item in api_client.get("/api/v1/contacts/", params).json()["results"]}

    assert ids(customer=first.pk) == {zhang.pk, li.pk}
    assert ids(search="张") == {zhang.pk, zhang_too.pk}
    assert ids(customer=first.pk, search="张") == {zhang.pk}
    assert api_client.get("/api/v1/contacts/", {"customer": "first"}).status_code == 400


@pytest.mark.parametrize("user_fixture", ["rep", "manager"])
def test_list_runs_a_constant_number_of_queries(
    request, api_client, rep, user_fixture, django_assert_num_queries
):
    user = request.getfixturevalue(user_fixture)
    api_client.force_authenticate(user)

    def contacts(n):
        for _ in range(n):
            ContactFactory(customer=CustomerFactory(owner=rep), **PROFILE)

    contacts(3)
    # managed teams? (visible_to), count, page, customers whose profiles the caller may see
    with django_assert_num_queries(4):
        assert len(api_client.get("/api/v1/contacts/").json()["results"]) == 3
    contacts(27)
    with django_assert_num_queries(4):
        results = api_client.get("/api/v1/contacts/").json()["results"]
    assert len(results) == 30
    assert all(item["hometown"] == "浙江宁波" for item in results)


def test_the_list_rule_for_profiles_agrees_with_the_single_rule(rep, other_rep, manager, admin_user):
    # services.personal_profile_customer_ids serves lists; it must decide as can_see_personal_profile.
    former = UserFactory(is_active=False)
    rep.teams.first().members.add(former)
    customers = [
        CustomerFactory(owner=rep),
        CustomerFactory(owner=other_rep),
        CustomerFactory(owner=manager),
        CustomerFactory(owner=former),
        CustomerFactory(owner=None),
    ]
    AccountTeamMember.objects.create(customer=customers[1], user=rep)
    ids = [customer.pk for customer in customers]

    for user in (rep, other_rep, manager, admin_user, former):
        expected = {
            customer.pk
            for customer in Customer.objects.filter(pk__in=ids)
            if services.can_see_personal_profile(user, customer)
        }
        assert services.personal_profile_customer_ids(user, ids) == expected, user
