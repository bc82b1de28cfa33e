"""The pages' forms: customers (with the 撞单 check), contacts and logging a visit.

Bad input shows a form error and writes nothing. Assertions look at data and
data-testid hooks, never at translated labels.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Contact, Customer, Visit
from tests.factories import ContactFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(rep):
    return CustomerFactory(owner=rep, name="上海华信精密机械有限公司")


@pytest.fixture
def theirs(other_rep):
    return CustomerFactory(owner=other_rep, name="广州南方电子有限公司")


def form_html(response) -> str:
    """A form page shown again with its errors."""
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    return html


# --- Customers -------------------------------------------------------------------------------


def test_a_rep_creates_a_customer_they_own(client, rep):
    client.force_login(rep)
    assert 'name="owner"' not in client.get("/customers/new/").content.decode()

    response = client.post(
        "/customers/new/",
        {
            "name": "苏州新材料有限公司",
            "status": "prospect",
            "region": "华东",
            "potential": "4",
            "winnability": "",
        },
    )

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.name, customer.owner, customer.region) == ("苏州新材料有限公司", rep, "华东")
    assert (customer.potential, customer.winnability) == (4, None)


def test_a_rep_cannot_hand_a_customer_to_someone_else(client, rep, other_rep):
    client.force_login(rep)
    client.post(
        "/customers/new/", {"name": "苏州新材料有限公司", "status": "prospect", "owner": other_rep.pk}
    )
    assert Customer.objects.get().owner == rep


def test_a_manager_may_assign_the_owner_among_their_team(client, manager, rep, other_rep):
    client.force_login(manager)
    html = client.get("/customers/new/").content.decode()
    assert f'<option value="{rep.pk}"' in html
    assert f'<option value="{other_rep.pk}"' not in html

    response = client.post(
        "/customers/new/", {"name": "苏州新材料有限公司", "status": "prospect", "owner": rep.pk}
    )

    assert response.status_code == 302
    assert Customer.objects.get().owner == rep


def test_a_manager_cannot_assign_outside_their_team(client, manager, other_rep):
    client.force_login(manager)
    form_html(
        client.post("/customers/new/", {"name": "苏州新材料", "status": "prospect", "owner": other_rep.pk})
    )
    assert not Customer.objects.exists()


def test_a_duplicate_name_is_refused_with_a_link_when_visible(client, rep, mine):
    client.force_login(rep)

    html = form_html(
        client.post("/customers/new/", {"name": "上海 华信精密机械 股份有限公司", "status": "prospect"})
    )

    assert 'data-testid="error-name"' in html
    assert "上海华信精密机械有限公司" in html
    assert rep.display_name in html
    assert f'data-testid="duplicate-link">\n    <a href="/customers/{mine.pk}/"' in html
    assert Customer.objects.count() == 1


def test_a_duplicate_of_an_invisible_customer_names_its_owner_but_gives_no_link(
    client, rep, other_rep, theirs
):
    client.force_login(rep)

    html = form_html(client.post("/customers/new/", {"name": "广州南方电子", "status": "prospect"}))

    assert 'data-testid="error-name"' in html
    assert other_rep.display_name in html
    assert 'data-testid="duplicate-link"' not in html
    assert f"/customers/{theirs.pk}/" not in html
    assert Customer.objects.count() == 1


def test_renaming_onto_another_customer_is_refused(client, rep, mine):
    other = CustomerFactory(owner=rep, name="杭州西湖软件有限公司")
    client.force_login(rep)
    form_html(client.post(f"/customers/{other.pk}/edit/", {"name": "上海华信精密机械", "status": "prospect"}))
    other.refresh_from_db()
    assert other.name == "杭州西湖软件有限公司"


@pytest.mark.parametrize("rating", ["0", "6", "9", "abc", "-1"])
def test_a_rating_outside_one_to_five_is_a_form_error(client, rep, mine, rating):
    client.force_login(rep)

    html = form_html(
        client.post("/customers/new/", {"name": "苏州新材料", "status": "prospect", "potential": rating})
    )
    assert 'data-testid="error-potential"' in html
    html = form_html(
        client.post(
            f"/customers/{mine.pk}/edit/", {"name": "改了名字", "status": "prospect", "demonstration": rating}
        )
    )
    assert 'data-testid="error-demonstration"' in html

    assert Customer.objects.count() == 1
    mine.refresh_from_db()
    assert (mine.name, mine.demonstration) == ("上海华信精密机械有限公司", None)


def test_parent_and_referrer_are_limited_to_visible_customers(client, rep, mine, theirs):
    client.force_login(rep)
    html = client.get("/customers/new/").content.decode()
    assert f'<option value="{mine.pk}"' in html
    assert f'<option value="{theirs.pk}"' not in html

    html = form_html(
        client.post(
            f"/customers/{mine.pk}/edit/",
            {"name": mine.name, "status": "prospect", "parent": theirs.pk, "referred_by": theirs.pk},
        )
    )

    assert 'data-testid="error-parent"' in html
    assert 'data-testid="error-referred_by"' in html
    mine.refresh_from_db()
    assert (mine.parent, mine.referred_by) == (None, None)


def test_a_customer_cannot_be_its_own_group_account(client, rep, mine):
    client.force_login(rep)
    html = form_html(
        client.post(
            f"/customers/{mine.pk}/edit/", {"name": mine.name, "status": "prospect", "parent": mine.pk}
        )
    )
    assert 'data-testid="error-parent"' in html
    mine.refresh_from_db()
    assert mine.parent is None


def test_editing_a_customer(client, rep, mine):
    group = CustomerFactory(owner=rep, name="华信集团")
    client.force_login(rep)

    response = client.post(
        f"/customers/{mine.pk}/edit/",
        {"name": mine.name, "status": "customer", "parent": group.pk, "potential": "5", "notes": "年底招标"},
    )

    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.parent, mine.potential, mine.notes, mine.owner) == (
        "customer",
        group,
        5,
        "年底招标",
        rep,
    )


def test_a_team_member_edits_without_the_owner_field(client, rep, theirs, other_rep):
    theirs.team_memberships.create(user=rep)
    client.force_login(rep)
    assert 'name="owner"' not in client.get(f"/customers/{theirs.pk}/edit/").content.decode()
    response = client.post(f"/customers/{theirs.pk}/edit/", {"name": theirs.name, "status": "customer"})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert (theirs.status, theirs.owner) == ("customer", other_rep)


# --- Contacts --------------------------------------------------------------------------------


def test_adding_a_contact_with_a_personal_profile(client, rep, mine):
    client.force_login(rep)
    assert (
        'data-testid="profile-fields"' in client.get(f"/customers/{mine.pk}/contacts/new/").content.decode()
    )

    response = client.post(
        f"/customers/{mine.pk}/contacts/new/",
        {
            "name": "王建国",
            "buying_role": "decision_maker",
            "influence": "5",
            "relationship_strength": "2",
            "attitude": "neutral",
            "hometown": "湖南长沙",
            "birthday": "1970-05-01",
        },
    )

    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{mine.pk}/#contact-{contact.pk}"
    assert (contact.customer, contact.name, contact.influence, contact.hometown) == (
        mine,
        "王建国",
        5,
        "湖南长沙",
    )
    assert str(contact.birthday) == "1970-05-01"


def test_bad_contact_input_writes_nothing(client, rep, mine):
    client.force_login(rep)
    html = form_html(
        client.post(
            f"/customers/{mine.pk}/contacts/new/",
            {"name": "", "influence": "7", "age": "3", "email": "not-an-email"},
        )
    )
    for field in ("name", "influence", "age", "email"):
        assert f'data-testid="error-{field}"' in html
    assert not Contact.objects.exists()


def test_the_profile_is_neither_shown_nor_editable_without_the_right(client, rep, team, mine):
    contact = ContactFactory(customer=mine, name="王建国", hometown="湖南长沙")
    lead = UserFactory(username="lead")  # a rep's role, listed as the team's manager
    team.managers.add(lead)
    client.force_login(lead)

    html = client.get(f"/customers/{mine.pk}/contacts/{contact.pk}/edit/").content.decode()
    assert 'name="hometown"' not in html
    assert "湖南长沙" not in html

    response = client.post(
        f"/customers/{mine.pk}/contacts/{contact.pk}/edit/",
        {"name": "王建国", "title": "总经理", "hometown": "北京"},
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.hometown) == ("总经理", "湖南长沙")


# --- Visits ----------------------------------------------------------------------------------


def test_the_visit_form_offers_the_customers_contacts_and_now(client, rep, mine, theirs):
    mine_contact = ContactFactory(customer=mine, name="王建国")
    ContactFactory(customer=theirs, name="赵敏")
    client.force_login(rep)

    html = client.get(f"/customers/{mine.pk}/visits/new/").content.decode()

    assert f'value="{mine_contact.pk}"' in html
    assert "赵敏" not in html
    assert f'value="{timezone.localtime():%Y-%m-%dT}' in html
    # The location is empty until the rep asks for it.
    assert '<input type="hidden" name="latitude" data-location-field="latitude" id="id_latitude">' in html


def test_logging_a_visit(client, rep, mine):
    boss = ContactFactory(customer=mine, name="王建国")
    ContactFactory(customer=mine, name="李采购")
    client.force_login(rep)

    response = client.post(
        f"/customers/{mine.pk}/visits/new/",
        {
            "kind": "site_visit",
            "occurred_at": "2026-03-02T09:30",
            "contacts": [boss.pk],
            "summary": "参观工厂",
            "needs": "交期缩短",
            "objections": "价格偏高",
            "next_step": "报价",
            "follow_up_on": "2026-03-09",
        },
    )

    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{mine.pk}/#visit-{visit.pk}"
    # Entered in Asia/Shanghai local time.
    assert visit.occurred_at == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert (visit.customer, visit.by, visit.kind) == (mine, rep, "site_visit")
    assert list(visit.contacts.all()) == [boss]
    assert (visit.summary, visit.needs, visit.objections, visit.next_step) == (
        "参观工厂",
        "交期缩短",
        "价格偏高",
        "报价",
    )
    assert str(visit.follow_up_on) == "2026-03-09"
    assert (visit.latitude, visit.longitude, visit.location_accuracy_m) == (None, None, None)

    html = client.get(response["Location"]).content.decode()
    assert f'data-visit-id="{visit.pk}"' in html
    assert "参观工厂" in html


def test_logging_a_visit_with_a_location(client, rep, mine):
    client.force_login(rep)
    client.post(
        f"/customers/{mine.pk}/visits/new/",
        {
            "kind": "visit",
            "occurred_at": "2026-03-02T09:30",
            "latitude": "31.230416",
            "longitude": "121.473701",
            "location_accuracy_m": "25.5",
        },
    )
    visit = Visit.objects.get()
    assert (visit.latitude, visit.longitude, visit.location_accuracy_m) == (
        Decimal("31.230416"),
        Decimal("121.473701"),
        25.5,
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": ""}, "occurred_at"),
        ({"kind": "party"}, "kind"),
        ({"follow_up_on": "2026-02-30"}, "follow_up_on"),
        ({"latitude": "95", "longitude": "121.4"}, "latitude"),
        ({"latitude": "31.2"}, None),
    ],
)
def test_bad_visit_input_writes_nothing(client, rep, mine, data, error):
    client.force_login(rep)
    html = form_html(
        client.post(
            f"/customers/{mine.pk}/visits/new/", {"kind": "visit", "occurred_at": "2026-03-02T09:30", **data}
        )
    )
    if error:
        assert f'data-testid="error-{error}"' in html
    assert not Visit.objects.exists()


def test_a_contact_of_another_customer_cannot_be_slipped_in(client, rep, mine, theirs):
    stranger = ContactFactory(customer=theirs, name="赵敏")
    client.force_login(rep)

    html = form_html(
        client.post(
            f"/customers/{mine.pk}/visits/new/",
            {"kind": "visit", "occurred_at": "2026-03-02T09:30", "contacts": [stranger.pk]},
        )
    )

    assert 'data-testid="error-contacts"' in html
    assert not Visit.objects.exists()
