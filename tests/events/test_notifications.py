"""Notifications for people (events.notifications): made from the events for their audience, once;
the bell's count, the list page and API (one's own only), and the daily digest e-mail."""

import itertools
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token

from accounts.notifications import notify_follow_ups_due
from events.digest import send_digests
from events.dispatch import dispatch
from events.models import Notification, NotificationKind
from events.notifications import notifications_from_events, notify, render, unread_count
from events.outbox import emit
from events.types import EventType
from tests.factories import CustomerFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, name="南京百川生物医药有限公司")


def tier_changed(customer, audience, *, to_tier="platinum"):
    return emit(
        EventType.CUSTOMER_TIER_CHANGED,
        data={
            "customer_id": customer.pk,
            "customer_name": customer.name,
            "from_tier": "gold",
            "to_tier": to_tier,
            "direction": "upgrade",
            "score": "86.50",
            "run_id": 1,
            "as_of": "2026-06-30",
        },
        customer_id=customer.pk,
        audience=audience,
    )


def stage_changed(customer, audience, *, by, override, type=EventType.OPPORTUNITY_STAGE_CHANGED):
    return emit(
        type,
        data={
            "opportunity_id": 7,
            "title": "冻干粉针生产线",
            "customer_id": customer.pk,
            "customer_name": customer.name,
            "from_stage": "evaluation",
            "to_stage": "closing",
            "amount": "120000.00",
            "owner_id": customer.owner_id,
            "owner_name": "",
            "by_id": by.pk,
            "by_name": by.display_name,
            "override": override,
            "lost_reason": "",
        },
        customer_id=customer.pk,
        audience=audience,
    )


_keys = itertools.count()


def add(user, n=1, **kwargs):
    today = timezone.localdate()
    return [
        Notification.objects.create(
            user=user,
            kind=NotificationKind.FOLLOW_UP_DUE,
            params={"customer_name": f"客户{i}"},
            object_key=f"visit:{next(_keys)}",
            day=today,
            url="/customers/",
            **kwargs,
        )
        for i in range(n)
    ]


# --- From events ---------------------------------------------------------------------------


def test_a_tier_change_notifies_its_audience_only(rep, other_rep, customer):
    event = tier_changed(customer, [rep.pk])
    dispatch(event_ids=[event.pk])

    notification = Notification.objects.get()
    assert notification.user == rep
    assert notification.kind == NotificationKind.TIER_CHANGED
    assert notification.event_id == event.pk
    assert notification.url == reverse("accounts:customer-detail", args=[customer.pk])
    assert not Notification.objects.filter(user=other_rep).exists()
    with translation.override("en"):
        assert render(notification.kind, notification.params) == (
            "南京百川生物医药有限公司 moved from Gold to Platinum (score 86.50)"
        )


def test_a_gate_override_notifies_the_owner_not_the_manager_who_made_it(rep, manager, customer):
    override = stage_changed(customer, [rep.pk, manager.pk], by=manager, override=True)
    # The same move announced as won, and a move without an override: nobody is told of those.
    won = stage_changed(customer, [rep.pk], by=manager, override=True, type=EventType.OPPORTUNITY_WON)
    plain = stage_changed(customer, [rep.pk], by=manager, override=False)
    notifications_from_events([override, won, plain])

    notification = Notification.objects.get()
    assert (notification.user, notification.kind) == (rep, NotificationKind.GATE_OVERRIDE)
    assert notification.url == reverse("pipeline:opportunity-detail", args=[7])
    with translation.override("en"):
        text = render(notification.kind, notification.params)
    assert "冻干粉针生产线" in text
    assert "Value assessment → Closing" in text


def test_an_overdue_installment_notifies_with_the_open_amount(rep, customer):
    event = emit(
        EventType.INSTALLMENT_OVERDUE,
        data={
            "installment_id": 3,
            "plan_id": 2,
            "contract_number": "HT-1",
            "opportunity_id": 7,
            "customer_id": customer.pk,
            "customer_name": customer.name,
            "due_on": "2026-06-01",
            "amount": "50000.00",
            "open_amount": "12000.00",
            "days_overdue": 3,
        },  # fmt: skip
        customer_id=customer.pk,
        audience=[rep.pk],
    )
    notifications_from_events([event])
    notification = Notification.objects.get(user=rep)
    with translation.override("en"):
        assert render(notification.kind, notification.params) == (
            "南京百川生物医药有限公司: the installment due on 2026-06-01 is overdue (¥12,000 open)"
        )


def test_events_notify_once_however_often_dispatched(rep, customer):
    event = tier_changed(customer, [rep.pk, rep.pk])
    notifications_from_events([event])
    notifications_from_events([event])
    dispatch(event_ids=[event.pk])
    assert Notification.objects.count() == 1


def test_inactive_and_unknown_users_are_skipped(rep, customer):
    gone = UserFactory(username="gone", is_active=False)
    notifications_from_events([tier_changed(customer, [gone.pk, 999_999, rep.pk])])
    assert list(Notification.objects.values_list("user", flat=True)) == [rep.pk]


def test_time_based_notifications_are_once_per_user_kind_object_and_day(rep):
    today = timezone.localdate()
    for _ in range(2):
        notify([rep.pk], kind=NotificationKind.FOLLOW_UP_DUE, params={}, object_key="visit:1", day=today)
    notify(
        [rep.pk],
        kind=NotificationKind.FOLLOW_UP_DUE,
        params={},
        object_key="visit:1",
        day=today + timedelta(1),
    )
    notify([rep.pk], kind=NotificationKind.FOLLOW_UP_DUE, params={}, object_key="visit:2", day=today)
    assert Notification.objects.count() == 3


def test_follow_ups_falling_due_today_notify_who_promised_them(rep, other_rep, customer):
    today = timezone.localdate()
    due = VisitFactory(customer=customer, occurred_at=timezone.now() - timedelta(days=3), follow_up_on=today)
    VisitFactory(
        customer=customer, occurred_at=timezone.now() - timedelta(days=3), follow_up_on=today,
        follow_up_done_at=timezone.now(),
    )  # fmt: skip
    VisitFactory(customer=customer, occurred_at=timezone.now(), follow_up_on=today + timedelta(days=1))
    VisitFactory(customer=CustomerFactory(owner=other_rep), occurred_at=timezone.now(), follow_up_on=today)

    notify_follow_ups_due()
    notify_follow_ups_due()  # the task may run twice: nothing new

    mine = Notification.objects.get(user=rep)
    assert (mine.kind, mine.object_key, mine.day) == (
        NotificationKind.FOLLOW_UP_DUE,
        f"visit:{due.pk}",
        today,
    )
    assert Notification.objects.filter(user=other_rep).count() == 1
    with translation.override("en"):
        assert render(mine.kind, mine.params) == "Follow-up due today: 南京百川生物医药有限公司"


# --- The bell and the list page ------------------------------------------------------------


def test_the_bell_counts_with_one_query(rep, django_assert_num_queries):
    add(rep, 3)
    Notification.objects.filter(pk=add(rep)[0].pk).update(read_at=timezone.now())
    with django_assert_num_queries(1):
        assert unread_count(user=rep) == 3


def test_the_bell_shows_the_unread_count_on_every_page(client, rep):
    client.force_login(rep)
    page = client.get(reverse("accounts:customer-list"))
    assert b'data-testid="bell-count"' not in page.content  # nothing unread: no badge
    add(rep, 3)
    page = client.get(reverse("accounts:customer-list"))
    assert b'data-testid="bell-count">3<' in page.content
    add(rep, 100)
    assert b'data-testid="bell-count">99+<' in client.get(reverse("accounts:customer-list")).content


def test_the_bell_costs_one_query_whatever_the_count(client, rep, django_assert_num_queries):
    client.force_login(rep)
    url = reverse("events:notifications")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as none:
        client.get(url)
    add(rep, 30)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(none) + 1  # the rows themselves (an empty page selects nothing)
    with django_assert_num_queries(len(many)):
        client.get(url + "?page=2")


def test_the_list_page_newest_first_and_marking_read(client, rep, other_rep):
    first, second = add(rep, 2)
    theirs = add(other_rep)[0]
    client.force_login(rep)
    page = client.get(reverse("events:notifications"))
    assert page.status_code == 200
    ids = [n["notification"].pk for n in page.context["rows"]]
    assert ids == [second.pk, first.pk]

    response = client.post(reverse("events:notification-read", args=[first.pk]))
    assert response.status_code == 302
    assert response.url == reverse("events:notifications")
    first.refresh_from_db()
    assert first.read_at is not None

    # "Open" marks it read and goes where it points.
    response = client.post(reverse("events:notification-read", args=[second.pk]), {"open": "1"})
    assert response.url == "/customers/"

    assert client.post(reverse("events:notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_ones_own(client, rep, other_rep):
    add(rep, 3)
    add(other_rep, 2)
    client.force_login(rep)
    assert client.post(reverse("events:notifications-read-all")).status_code == 302
    assert unread_count(user=rep) == 0
    assert unread_count(user=other_rep) == 2


def test_the_digest_switch_on_the_page(client, rep):
    client.force_login(rep)
    assert client.post(reverse("events:notifications-digest"), {}).status_code == 302
    rep.refresh_from_db()
    assert rep.digest_enabled is False
    client.post(reverse("events:notifications-digest"), {"digest_enabled": "on"})
    rep.refresh_from_db()
    assert rep.digest_enabled is True


# --- The API -------------------------------------------------------------------------------


@pytest.fixture
def api(rep):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep).key}")
    return client


def test_the_api_lists_ones_own_newest_first(api, rep, other_rep, customer, django_assert_num_queries):
    notifications_from_events([tier_changed(customer, [rep.pk])])
    add(rep, 2)
    add(other_rep, 2)
    with django_assert_num_queries(3):  # the token, the count, the page
        body = api.get("/api/v1/notifications/").json()
    assert body["count"] == 3
    first = body["results"][-1]
    assert first["kind"] == "tier_changed"
    assert first["is_read"] is False
    assert "南京百川生物医药有限公司" in first["text"]


def test_the_api_marks_read_and_hides_others(api, rep, other_rep):
    mine = add(rep, 2)
    theirs = add(other_rep)[0]
    response = api.post(f"/api/v1/notifications/{mine[0].pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert unread_count(user=other_rep) == 1


def test_the_api_switches_the_digest(api, rep):
    add(rep, 2)
    assert api.get("/api/v1/notifications/settings/").json() == {"digest_enabled": True, "unread": 2}
    response = api.patch("/api/v1/notifications/settings/", {"digest_enabled": False}, format="json")
    assert response.json() == {"digest_enabled": False, "unread": 2}
    rep.refresh_from_db()
    assert rep.digest_enabled is False
    bad = api.patch("/api/v1/notifications/settings/", {"digest_enabled": "perhaps"}, format="json")
    assert bad.status_code == 400
    assert "digest_enabled" in bad.json()


# --- The daily digest ----------------------------------------------------------------------


def test_the_digest_goes_to_those_with_it_on(rep, other_rep, customer, settings):
    settings.KAM_SITE_URL = "https://kam.example.com"
    rep.email, other_rep.email = "rep@example.com", "other@example.com"
    rep.save()
    other_rep.digest_enabled = False
    other_rep.save()
    notifications_from_events([tier_changed(customer, [rep.pk, other_rep.pk])])
    no_email = UserFactory(username="no-email", email="")
    add(no_email)
    read = UserFactory(username="all-read", email="read@example.com")
    add(read, read_at=timezone.now())

    assert send_digests() == 1
    [message] = mail.outbox
    assert message.to == ["rep@example.com"]
    assert "南京百川生物医药有限公司" in message.body
    assert f"https://kam.example.com/customers/{customer.pk}/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert "南京百川生物医药有限公司" in html

    # Run again (a retry, a second beat): nothing is mailed twice.
    assert send_digests() == 0
    assert len(mail.outbox) == 1


def test_the_digest_leaves_out_older_notifications(rep):
    rep.email = "rep@example.com"
    rep.save()
    [old] = add(rep)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert send_digests() == 0
