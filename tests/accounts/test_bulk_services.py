"""The batch writes the demo loader uses: each checks every row as its single-row counterpart
does, then writes the whole batch or, on the first bad row, nothing at all."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Contact, Customer, Visit
from accounts.services import DuplicateCustomer, VisitRow, contacts_create, customers_create, visits_log
from audit.models import Action, AuditEvent
from tests.factories import ContactFactory, CustomerFactory
from users.services import owner_choices

pytestmark = pytest.mark.django_db


def written_customers():
    return list(Customer.objects.order_by("id").values_list("name", "name_normalised", "owner_id"))


def created_events(object_type):
    return AuditEvent.objects.filter(object_type=object_type, action=Action.CREATE)


# --- customers_create ------------------------------------------------------------------------


def test_every_customer_is_written_owned_by_the_creator(rep):
    batch = [
        Customer(name="华信科技有限公司", industry="电子", potential=4),
        Customer(name="远景能源股份有限公司", region="华东"),
        Customer(name="Acme Co., Ltd."),
    ]

    created = customers_create(by=rep, customers=batch)

    assert created == batch
    assert [customer.pk for customer in created] == list(
        Customer.objects.order_by("id").values_list("pk", flat=True)
    )
    assert written_customers() == [
        ("华信科技有限公司", "华信科技", rep.pk),
        ("远景能源股份有限公司", "远景能源", rep.pk),
        ("Acme Co., Ltd.", "acme", rep.pk),
    ]
    assert Customer.objects.get(name="华信科技有限公司").potential == 4


def test_a_manager_may_assign_a_team_member(manager, rep):
    customers_create(
        by=manager, customers=[Customer(name="甲有限公司", owner=rep), Customer(name="乙有限公司")]
    )

    assert written_customers() == [("甲有限公司", "甲", rep.pk), ("乙有限公司", "乙", manager.pk)]


def test_a_rep_assigning_another_rep_writes_nothing(rep, other_rep):
    batch = [Customer(name="甲有限公司"), Customer(name="乙有限公司", owner=other_rep)]

    with pytest.raises(ValidationError) as refused:
        customers_create(by=rep, customers=batch)

    assert list(refused.value.message_dict) == ["owner"]
    assert other_rep.display_name in refused.value.message_dict["owner"][0]
    assert written_customers() == []
    assert not created_events("customer").exists()


def test_a_manager_assigning_outside_their_team_writes_nothing(manager, rep, other_rep):
    batch = [Customer(name="甲有限公司", owner=rep), Customer(name="乙有限公司", owner=other_rep)]

    with pytest.raises(ValidationError) as refused:
        customers_create(by=manager, customers=batch)

    assert list(refused.value.message_dict) == ["owner"]
    assert written_customers() == []


def test_a_duplicate_of_a_saved_customer_writes_nothing(rep, other_rep):
    existing = CustomerFactory(name="华信科技有限公司", owner=other_rep)
    events_before = AuditEvent.objects.count()
    batch = [Customer(name="远景能源有限公司"), Customer(name="华信科技 股份有限公司")]

    with pytest.raises(DuplicateCustomer) as refused:
        customers_create(by=rep, customers=batch)

    assert refused.value.existing == existing
    assert list(refused.value.message_dict) == ["name"]
    assert "华信科技 股份有限公司" in refused.value.message_dict["name"][0]
    assert other_rep.display_name in refused.value.message_dict["name"][0]
    assert written_customers() == [("华信科技有限公司", "华信科技", other_rep.pk)]
    assert AuditEvent.objects.count() == events_before


def test_a_duplicate_within_the_batch_writes_nothing(rep):
    first = Customer(name="华信科技有限公司")
    batch = [first, Customer(name="远景能源有限公司"), Customer(name="华信科技 股份有限公司")]

    with pytest.raises(DuplicateCustomer) as refused:
        customers_create(by=rep, customers=batch)

    assert refused.value.existing is first
    assert rep.display_name in refused.value.message_dict["name"][0]
    assert written_customers() == []
    assert not created_events("customer").exists()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"name": "评分有限公司", "potential": 9}, "potential"),
        ({"name": "评分有限公司", "winnability": 0}, "winnability"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "有限公司"}, "name"),
        ({"name": "华信\u000b科技有限公司"}, "name"),
        ({"name": "来源有限公司", "source": "tv"}, "source"),
    ],
)
def test_an_invalid_customer_writes_nothing(rep, fields, error_field):
    # The bad row comes last: a service that saved row by row would have written the others.
    batch = [Customer(name="甲有限公司"), Customer(name="乙有限公司"), Customer(**fields)]

    with pytest.raises(ValidationError) as refused:
        customers_create(by=rep, customers=batch)

    assert list(refused.value.message_dict) == [error_field]
    assert written_customers() == []
    assert not created_events("customer").exists()


def test_group_account_and_referrer_may_be_earlier_in_the_batch(rep):
    saved_referrer = CustomerFactory(name="老客户有限公司", owner=rep)
    group = Customer(name="华信集团有限公司")
    subsidiary = Customer(name="华信电子有限公司", parent=group, referred_by=saved_referrer)
    referral = Customer(name="远景能源有限公司", referred_by=subsidiary)

    customers_create(by=rep, customers=[group, subsidiary, referral])

    links = dict(Customer.objects.values_list("name", "parent_id"))
    referrers = dict(Customer.objects.values_list("name", "referred_by_id"))
    assert links == {
        "老客户有限公司": None,
        "华信集团有限公司": None,
        "华信电子有限公司": group.pk,
        "远景能源有限公司": None,
    }
    assert referrers == {
        "老客户有限公司": None,
        "华信集团有限公司": None,
        "华信电子有限公司": saved_referrer.pk,
        "远景能源有限公司": subsidiary.pk,
    }
    assert list(group.subsidiaries.all()) == [subsidiary]


def test_one_created_event_per_customer(rep):
    group = Customer(name="华信集团有限公司")
    subsidiary = Customer(name="华信电子有限公司", parent=group, potential=3)

    customers_create(by=rep, customers=[group, subsidiary])

    events = created_events("customer").order_by("object_id")
    assert [(e.object_id, e.customer_id, e.object_repr) for e in events] == [
        (group.pk, group.pk, "华信集团有限公司"),
        (subsidiary.pk, subsidiary.pk, "华信电子有限公司"),
    ]
    assert AuditEvent.objects.filter(object_type="customer").count() == 2  # no update rows for the links
    changes = events.get(object_id=subsidiary.pk).changes
    assert changes["name"] == [None, "华信电子有限公司"]
    assert changes["owner"] == [None, {"id": rep.pk, "label": str(rep)}]
    assert changes["parent"] == [None, {"id": group.pk, "label": "华信集团有限公司"}]
    assert changes["potential"] == [None, 3]


def _queries_to_create(*, by, owners, count: int, prefix: str) -> int:
    group = Customer(name=f"{prefix}集团有限公司", owner=owners[0])
    batch = [group] + [
        Customer(name=f"{prefix}子公司{n}", owner=owners[n % len(owners)], parent=group)
        for n in range(count - 1)
    ]
    with CaptureQueriesContext(connection) as queries:
        customers_create(by=by, customers=batch)
    assert Customer.objects.filter(name__startswith=prefix).count() == count
    return len(queries)


@pytest.mark.parametrize("by_fixture", ["rep", "manager", "admin_user"])
def test_query_count_does_not_grow_with_the_batch(request, rep, other_rep, manager, by_fixture):
    # Owners are spread over everyone `by` may assign: the demo loader's admin assigns anyone.
    by = request.getfixturevalue(by_fixture)
    owners = list(owner_choices(by).order_by("pk"))

    assert _queries_to_create(by=by, owners=owners, count=3, prefix="甲") == _queries_to_create(
        by=by, owners=owners, count=30, prefix="乙"
    )


# --- contacts_create -------------------------------------------------------------------------


def test_every_contact_is_written(rep):
    customer = CustomerFactory(owner=rep)
    other = CustomerFactory(owner=rep)
    batch = [
        Contact(customer=customer, name="王伟", title="采购经理", email="wang.wei@example.com", influence=5),
        Contact(customer=customer, name="李娜", buying_role="influencer"),
        Contact(customer=other, name="张强"),
    ]

    created = contacts_create(contacts=batch)

    assert created == batch
    assert list(
        Contact.objects.order_by("id").values_list(
            "pk", "customer_id", "name", "email", "influence", "buying_role"
        )
    ) == [
        (batch[0].pk, customer.pk, "王伟", "wang.wei@example.com", 5, ""),
        (batch[1].pk, customer.pk, "李娜", "", None, "influencer"),
        (batch[2].pk, other.pk, "张强", "", None, ""),
    ]


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"name": ""}, "name"),
        ({"name": "王伟", "email": "not-an-email"}, "email"),
        ({"name": "王\u000b伟"}, "name"),
        ({"name": "王伟", "influence": 9}, "influence"),
        ({"name": "王伟", "age": 12}, "age"),
    ],
)
def test_an_invalid_contact_writes_nothing(rep, fields, error_field):
    customer = CustomerFactory(owner=rep)
    batch = [Contact(customer=customer, name="李娜"), Contact(customer=customer, **fields)]

    with pytest.raises(ValidationError) as refused:
        contacts_create(contacts=batch)

    assert list(refused.value.message_dict) == [error_field]
    assert not Contact.objects.exists()
    assert not created_events("contact").exists()


def test_one_created_event_per_contact(rep):
    customer = CustomerFactory(owner=rep)
    batch = [
        Contact(customer=customer, name="王伟", title="采购经理"),
        Contact(customer=customer, name="李娜"),
    ]

    contacts_create(contacts=batch)

    events = created_events("contact").order_by("object_id")
    assert [(e.object_id, e.customer_id, e.object_repr) for e in events] == [
        (batch[0].pk, customer.pk, "王伟"),
        (batch[1].pk, customer.pk, "李娜"),
    ]
    assert events[0].changes["title"] == [None, "采购经理"]
    assert events[0].changes["customer"] == [None, {"id": customer.pk, "label": customer.name}]


# --- visits_log ------------------------------------------------------------------------------


def test_visits_are_written_with_the_contacts_present(rep):
    customer = CustomerFactory(owner=rep)
    buyer = ContactFactory(customer=customer, name="王伟")
    engineer = ContactFactory(customer=customer, name="李娜")
    other = CustomerFactory(owner=rep)
    when = timezone.now() - timedelta(days=3)
    follow_up = timezone.localdate() + timedelta(days=7)
    batch = [
        VisitRow(
            customer=customer,
            by=rep,
            occurred_at=when,
            kind="meeting",
            contacts=[buyer, engineer],
            needs="交期缩短",
            follow_up_on=follow_up,
        ),
        VisitRow(customer=customer, by=rep, occurred_at=when - timedelta(days=1), contacts=[buyer]),
        VisitRow(customer=other, by=rep, occurred_at=when, kind="call", summary="电话回访"),
    ]

    logged = visits_log(visits=batch)

    assert [visit.pk for visit in logged] == list(Visit.objects.order_by("id").values_list("pk", flat=True))
    assert list(
        Visit.objects.order_by("id").values_list(
            "customer_id", "by_id", "kind", "occurred_at", "follow_up_on"
        )
    ) == [
        (customer.pk, rep.pk, "meeting", when, follow_up),
        (customer.pk, rep.pk, "visit", when - timedelta(days=1), None),
        (other.pk, rep.pk, "call", when, None),
    ]
    present = Visit.contacts.through.objects.values_list("visit_id", "contact_id")
    assert sorted(present) == sorted(
        [(logged[0].pk, buyer.pk), (logged[0].pk, engineer.pk), (logged[1].pk, buyer.pk)]
    )
    assert set(logged[0].contacts.all()) == {buyer, engineer}
    assert logged[2].summary == "电话回访"
    assert Visit.objects.follow_ups_open().get() == logged[0]


def test_a_contact_of_another_customer_writes_nothing(rep):
    customer = CustomerFactory(owner=rep)
    buyer = ContactFactory(customer=customer, name="王伟")
    stranger = ContactFactory(name="张强")
    batch = [
        VisitRow(customer=customer, by=rep, occurred_at=timezone.now(), contacts=[buyer]),
        VisitRow(customer=customer, by=rep, occurred_at=timezone.now(), contacts=[buyer, stranger]),
    ]

    with pytest.raises(ValidationError) as refused:
        visits_log(visits=batch)

    assert list(refused.value.message_dict) == ["contacts"]
    assert "张强" in refused.value.message_dict["contacts"][0]
    assert not Visit.objects.exists()
    assert not Visit.contacts.through.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"kind": "party"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"summary": "拜访\u0000记录"}, "summary"),
    ],
)
def test_an_invalid_visit_writes_nothing(rep, fields, error_field):
    customer = CustomerFactory(owner=rep)
    buyer = ContactFactory(customer=customer)
    batch = [
        VisitRow(customer=customer, by=rep, occurred_at=timezone.now(), contacts=[buyer]),
        VisitRow(customer=customer, by=rep, occurred_at=timezone.now(), **fields),
    ]

    with pytest.raises(ValidationError) as refused:
        visits_log(visits=batch)

    assert list(refused.value.message_dict) == [error_field]
    assert not Visit.objects.exists()
    assert not Visit.contacts.through.objects.exists()


def test_a_contact_named_twice_is_present_once(rep):
    # visit_log takes [buyer, buyer] as one contact present (contacts.set() drops repeats).
    customer = CustomerFactory(owner=rep)
    buyer = ContactFactory(customer=customer)

    [visit] = visits_log(
        visits=[VisitRow(customer=customer, by=rep, occurred_at=timezone.now(), contacts=[buyer, buyer])]
    )

    assert list(visit.contacts.all()) == [buyer]
