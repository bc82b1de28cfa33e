"""/api/v1/visits/: logging visits, their contacts, follow-ups and check-in locations."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Visit
from tests.factories import ContactFactory, CustomerFactory, VisitFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep)


def test_log_a_visit_with_its_contacts_as_the_caller(api_client, rep, manager, customer):
    contacts = ContactFactory.create_batch(2, customer=customer)
    api_client.force_authenticate(manager)
    body = {
        "customer": customer.pk,
        "kind": "site_visit",
        "occurred_at": "2025-03-01T10:00:00+08:00",
        "contacts": [contact.pk for contact in contacts],
        "summary": "验厂",
        "needs": "交期缩短到两周",
        "objections": "价格偏高",
        "next_step": "报价",
        "follow_up_on": "2025-03-08",
        "latitude": "31.230416",
        "longitude": "121.473701",
        "location_accuracy_m": 12.5,
    }

    response = api_client.post("/api/v1/visits/", body, format="json")

    assert response.status_code == 201
    assert {name: response.json()[name] for name in body if name != "contacts"} == {
        name: value for name, value in body.items() if name != "contacts"
    }
    assert sorted(response.json()["contacts"]) == sorted(body["contacts"])
    assert response.json()["by"] == manager.pk
    assert response.json()["follow_up_done_at"] is None
    visit = Visit.objects.get()
    assert visit.by == manager
    assert visit.occurred_at == datetime(2025, 3, 1, 10, tzinfo=SHANGHAI)
    assert set(visit.contacts.all()) == set(contacts)
    assert visit.latitude == Decimal("31.230416")


def test_by_and_follow_up_done_at_cannot_be_sent(api_client, rep, other_rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/visits/",
        {
            "customer": customer.pk,
            "occurred_at": "2025-03-01T10:00:00+08:00",
            "by": other_rep.pk,
            "follow_up_done_at": "2025-03-02T10:00:00+08:00",
        },
        format="json",
    )

    assert response.status_code == 201
    visit = Visit.objects.get()
    assert visit.by == rep
    assert visit.follow_up_done_at is None


def test_contacts_must_belong_to_the_visits_customer(api_client, rep, customer):
    elsewhere = ContactFactory(customer=CustomerFactory(owner=rep))
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/visits/",
        {"customer": customer.pk, "occurred_at": "2025-03-01T10:00:00+08:00", "contacts": [elsewhere.pk]},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"contacts"}
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("location", "fields"),
    [
        ({"latitude": "91", "longitude": "0"}, {"latitude"}),
        ({"latitude": "0", "longitude": "-181"}, {"longitude"}),
        ({"latitude": "31.2"}, {"latitude", "longitude"}),
        ({"latitude": "north", "longitude": "0"}, {"latitude"}),
        ({"latitude": "31.2", "longitude": "121.4", "location_accuracy_m": -1}, {"location_accuracy_m"}),
    ],
)
def test_bad_locations_are_refused(api_client, rep, customer, location, fields):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/visits/",
        {"customer": customer.pk, "occurred_at": "2025-03-01T10:00:00+08:00", **location},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Visit.objects.exists()


def test_kind_and_time_are_checked(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/visits/",
        {"customer": customer.pk, "kind": "party", "occurred_at": "yesterday"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"kind", "occurred_at"}


def test_update_a_visit_and_its_contacts(api_client, rep, customer):
    visit = VisitFactory(customer=customer)
    contact = ContactFactory(customer=customer)
    api_client.force_authenticate(rep)
    url = f"/api/v1/visits/{visit.pk}/"

    patched = api_client.patch(url, {"summary": "补充纪要", "contacts": [contact.pk]}, format="json")
    body = api_client.get(url).json()
    body["next_step"] = "寄样"
    put = api_client.put(url, body, format="json")

    assert patched.status_code == 200
    assert patched.json()["contacts"] == [contact.pk]
    assert put.status_code == 200
    visit.refresh_from_db()
    assert (visit.summary, visit.next_step) == ("补充纪要", "寄样")
    assert list(visit.contacts.all()) == [contact]


def test_a_visit_stays_with_its_customer(api_client, rep, customer):
    visit = VisitFactory(customer=customer)
    elsewhere = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/visits/{visit.pk}/", {"customer": elsewhere.pk}, format="json")
    foreign_contact = api_client.patch(
        f"/api/v1/visits/{visit.pk}/", {"contacts": [ContactFactory(customer=elsewhere).pk]}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"customer"}
    assert foreign_contact.status_code == 400
    assert set(foreign_contact.json()) == {"contacts"}
    visit.refresh_from_db()
    assert visit.customer == customer
    assert not visit.contacts.exists()


def test_delete_a_visit(api_client, rep, customer):
    visit = VisitFactory(customer=customer)
    api_client.force_authenticate(rep)

    assert api_client.delete(f"/api/v1/visits/{visit.pk}/").status_code == 204
    assert not Visit.objects.exists()


# --- Follow-ups ------------------------------------------------------------------------------


def test_mark_a_follow_up_done_once(api_client, rep, customer):
    visit = VisitFactory(customer=customer, follow_up_on=date(2025, 3, 8))
    api_client.force_authenticate(rep)
    url = f"/api/v1/visits/{visit.pk}/follow-up-done/"

    first = api_client.post(url)
    second = api_client.post(url)

    assert first.status_code == 200
    assert first.json()["follow_up_done_at"] is not None
    assert second.status_code == 200
    assert second.json()["follow_up_done_at"] == first.json()["follow_up_done_at"]
    visit.refresh_from_db()
    assert visit.follow_up_done_at is not None


def test_a_visit_without_follow_up_cannot_be_marked_done(api_client, rep, customer):
    visit = VisitFactory(customer=customer, follow_up_on=None)
    api_client.force_authenticate(rep)

    response = api_client.post(f"/api/v1/visits/{visit.pk}/follow-up-done/")

    assert response.status_code == 400
    assert set(response.json()) == {"follow_up_on"}


def test_a_new_follow_up_date_opens_the_follow_up_again(api_client, rep, customer):
    visit = VisitFactory(
        customer=customer,
        occurred_at=datetime(2025, 3, 1, 10, tzinfo=SHANGHAI),
        follow_up_on=date(2025, 3, 8),
        follow_up_done_at=timezone.now(),
    )
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/visits/{visit.pk}/", {"follow_up_on": "2025-04-01"}, format="json")

    assert response.status_code == 200
    assert response.json()["follow_up_done_at"] is None


# --- Filters and query counts ----------------------------------------------------------------


def test_visit_filters(api_client, rep, manager, customer):
    other = CustomerFactory(owner=rep)
    open_ = VisitFactory(
        customer=customer,
        kind="call",
        follow_up_on=date(2025, 3, 8),
        occurred_at=datetime(2025, 3, 1, 9, tzinfo=SHANGHAI),
    )
    done = VisitFactory(
        customer=customer,
        follow_up_on=date(2025, 3, 8),
        follow_up_done_at=timezone.now(),
        occurred_at=datetime(2025, 3, 2, 23, 30, tzinfo=SHANGHAI),
    )
    none = VisitFactory(customer=other, occurred_at=datetime(2025, 3, 3, 0, 30, tzinfo=SHANGHAI))
    by_manager = VisitFactory(customer=other, by=manager, occurred_at=datetime(2025, 2, 1, tzinfo=SHANGHAI))
    api_client.force_authenticate(rep)

    def ids(**params):
        response = api_client.get("/api/v1/visits/", params)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["results"]]

    assert ids() == [none.pk, done.pk, open_.pk, by_manager.pk]
    assert ids(customer=customer.pk) == [done.pk, open_.pk]
    assert ids(kind="call") == [open_.pk]
    assert ids(follow_up_open="true") == [open_.pk]
    assert ids(follow_up_open="false") == [none.pk, done.pk, by_manager.pk]
    assert ids(by=manager.pk) == [by_manager.pk]
    # Days are Shanghai days: 23:30 on the 2nd is the 2nd, 00:30 on the 3rd the 3rd.
    assert ids(occurred_from="2025-03-02") == [none.pk, done.pk]
    assert ids(occurred_from="2025-03-01", occurred_to="2025-03-02") == [done.pk, open_.pk]
    assert ids(occurred_to="2025-02-28") == [by_manager.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "party"},
        {"follow_up_open": "yes"},
        {"occurred_from": "March"},
        {"customer": "-1"},
        {"by": "x"},
    ],
)
def test_invalid_visit_filters_are_400(api_client, rep, params):
    api_client.force_authenticate(rep)

    response = api_client.get("/api/v1/visits/", params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_list_runs_a_constant_number_of_queries(api_client, rep, customer, django_assert_num_queries):
    api_client.force_authenticate(rep)

    def visits(n):
        for _ in range(n):
            visit = VisitFactory(customer=customer, occurred_at=timezone.now() - timedelta(days=1))
            visit.contacts.set(ContactFactory.create_batch(2, customer=customer))

    visits(3)
    # managed teams? (visible_to), count, page, contacts
    with django_assert_num_queries(4):
        assert len(api_client.get("/api/v1/visits/").json()["results"]) == 3
    visits(27)
    with django_assert_num_queries(4):
        results = api_client.get("/api/v1/visits/").json()["results"]
    assert len(results) == 30
    assert all(len(item["contacts"]) == 2 for item in results)
