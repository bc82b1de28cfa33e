"""What servicing puts on My day (kam.views.my_day): the user's own accounts due or overdue by
their tier's service level, most urgent first, and their agreed actions due; the customer
page's service-level panel."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Customer, VisitKind
from servicing.models import AccountReview, ReviewAction
from tests.factories import CustomerFactory, UserFactory, VisitFactory
from users.models import Role

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def page(client, url: str = "/", **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


def items(html: str, testid: str, attribute: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}" {attribute}="([^"]*)"', html)


def review_of(customer, days: int = 10) -> AccountReview:
    day = timezone.localdate() - timedelta(days=days)
    return AccountReview.objects.create(
        customer=customer, reviewed_on=day, period_start=day - timedelta(days=90), period_end=day
    )


# --- Accounts due or overdue ------------------------------------------------------------------


@pytest.fixture
def book(rep):
    """The rep's accounts in every state, and one of someone else's that is overdue."""
    never = CustomerFactory(owner=rep, name="铂金从未拜访", tier="platinum")
    late = CustomerFactory(owner=rep, name="黄金逾期五天", tier="gold")
    VisitFactory(customer=late, occurred_at=days_ago(35))
    VisitFactory(customer=late, occurred_at=days_ago(2), kind=VisitKind.CALL)  # a call does not count
    VisitFactory(customer=late, occurred_at=days_ago(10), kind=VisitKind.EXECUTIVE)  # seen 10 days ago…
    review_of(late)
    due = CustomerFactory(owner=rep, name="铅级即将到期", tier="lead")
    VisitFactory(customer=due, occurred_at=days_ago(86))
    fine = CustomerFactory(owner=rep, name="铁级正常", tier="iron")
    VisitFactory(customer=fine, occurred_at=days_ago(3))
    review_of(fine)
    untiered = CustomerFactory(owner=rep, name="未分级", tier="")
    VisitFactory(customer=untiered, occurred_at=days_ago(100))
    theirs = CustomerFactory(name="别人的客户", tier="platinum")
    return {"never": never, "late": late, "due": due, "fine": fine, "untiered": untiered, "theirs": theirs}


def test_my_day_lists_the_reps_accounts_due_or_overdue_most_urgent_first(client, rep, book):
    # `late` (gold, every 30 days): the executive meeting 10 days ago is its last in-person visit,
    # so its visit is on track; its next executive meeting (every 180) too; it is not listed.
    client.force_login(rep)

    html = page(client, **EN)

    listed = [int(pk) for pk in items(html, "coverage-account", "data-customer-id")]
    assert listed == [book["never"].pk, book["untiered"].pk, book["due"].pk]
    assert book["theirs"].pk not in listed
    assert re.findall(r'data-testid="coverage-account" [^>]*data-status="(\w+)"', html) == [
        "overdue",
        "overdue",
        "due",
    ]
    assert "Visit: none on record" in html
    assert "Visit overdue by 10 days" in html  # untiered follows lead: 100 − 90
    assert "Visit due in 4 days" in html  # lead: next due on day 90
    assert "Not tiered yet" in html
    assert f'href="/customers/{book["due"].pk}/visits/new/"' in html


def test_logging_the_visit_takes_the_account_off_the_list(client, rep, book):
    client.force_login(rep)
    response = client.post(
        f"/customers/{book['due'].pk}/visits/new/",
        {"kind": "visit", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "summary": "拜访"},
    )
    assert response.status_code == 302

    html = page(client)

    assert str(book["due"].pk) not in items(html, "coverage-account", "data-customer-id")


def test_a_review_driven_account_links_to_a_new_review(client, rep):
    customer = CustomerFactory(owner=rep, tier="iron")
    VisitFactory(customer=customer, occurred_at=days_ago(1))  # no review on record
    client.force_login(rep)

    html = page(client)

    assert items(html, "coverage-account", "data-customer-id") == [str(customer.pk)]
    assert 'data-requirement="review"' in html
    assert f'href="/customers/{customer.pk}/reviews/new/"' in html


def test_a_manager_sees_only_the_accounts_they_own(client, manager, rep):
    CustomerFactory(owner=rep, tier="gold")  # their team's, overdue: on the dashboard, not here
    own = CustomerFactory(owner=manager, tier="gold")
    client.force_login(manager)

    html = page(client, "/my-day/")

    assert items(html, "coverage-account", "data-customer-id") == [str(own.pk)]


def test_nothing_due_says_so(client, rep):
    client.force_login(rep)

    html = page(client)

    assert 'data-testid="no-coverage-due"' in html
    assert 'data-testid="no-actions-due"' in html


# --- Agreed actions due -----------------------------------------------------------------------


def test_agreed_actions_due_within_a_week_or_overdue(client, rep, manager):
    customer = CustomerFactory(owner=rep)
    review = review_of(customer)
    today = timezone.localdate()

    def action(description, due, owner=rep, **kwargs):
        return ReviewAction.objects.create(
            review=review, description=description, owner=owner, due_on=due, **kwargs
        )

    overdue = action("补充样品", today - timedelta(days=3))
    this_week = action("约总经理见面", today + timedelta(days=7))
    action("下个月再说", today + timedelta(days=8))
    action("已完成", today, done_at=timezone.now())
    action("别人的", today, owner=manager)
    action("没有日期", None)
    client.force_login(rep)

    html = page(client)

    assert items(html, "action-due", "data-action-id") == [str(overdue.pk), str(this_week.pk)]
    assert f'action="/review-actions/{overdue.pk}/done/"' in html


def test_marking_an_action_done_from_my_day(client, rep):
    action = ReviewAction.objects.create(
        review=review_of(CustomerFactory(owner=rep)),
        description="寄送报价",
        owner=rep,
        due_on=timezone.localdate(),
    )
    client.force_login(rep)

    response = client.post(f"/review-actions/{action.pk}/done/", {"next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    action.refresh_from_db()
    assert action.done_at is not None
    assert items(page(client), "action-due", "data-action-id") == []


def test_an_action_at_a_customer_out_of_sight_is_not_listed(client, rep, other_rep):
    # Owner of an action at a customer they cannot see (moved to another team since).
    action = ReviewAction.objects.create(
        review=review_of(CustomerFactory(owner=other_rep)),
        description="x",
        owner=rep,
        due_on=timezone.localdate(),
    )
    client.force_login(rep)

    assert str(action.pk) not in items(page(client), "action-due", "data-action-id")


# --- Query counts -----------------------------------------------------------------------------


# Each +1 for the bell's unread count (base.html) and +1 for the installments to collect.
@pytest.mark.parametrize(("role", "queries"), [(Role.REP, 13), (Role.MANAGER, 14)])
@pytest.mark.parametrize("n", [1, 8])
def test_my_day_takes_a_fixed_number_of_queries(client, team, role, queries, n, django_assert_num_queries):
    user = UserFactory(role=role)
    team.members.add(user)
    if role == Role.MANAGER:
        team.managers.add(user)
    for i in range(n):
        customer = CustomerFactory(owner=user, tier=["platinum", "gold"][i % 2])  # reviews overdue
        VisitFactory(customer=customer, occurred_at=days_ago(20 + i * 10), follow_up_on=timezone.localdate())
        review = review_of(customer, days=200)
        ReviewAction.objects.create(
            review=review, description=f"行动{i}", owner=user, due_on=timezone.localdate()
        )
    client.force_login(user)

    # session, user, visibility check, follow-ups, activity, the service policies, the accounts
    # due, the actions due, the installments due, the bell, the teams one is in (+ their managers), the teams one manages (+ their
    # members, only if any).
    with django_assert_num_queries(queries):
        html = page(client, "/my-day/")

    assert len(items(html, "coverage-account", "data-customer-id")) == n
    assert len(items(html, "action-due", "data-action-id")) == n


# --- The customer page's panel ----------------------------------------------------------------


def test_the_panel_shows_each_requirement(client, rep):
    customer = CustomerFactory(owner=rep, tier="platinum")
    VisitFactory(customer=customer, occurred_at=days_ago(20))
    review_of(customer, days=30)
    client.force_login(rep)

    html = page(client, f"/service-levels/customers/{customer.pk}/panel/", **EN)

    today = timezone.localdate()
    rows = re.findall(r'data-requirement="(\w+)" data-status="(\w+)"', html)
    assert rows == [("visit", "overdue"), ("executive", "overdue"), ("review", "on_track")]
    assert (today - timedelta(days=20)).isoformat() in html  # the last visit
    assert (today - timedelta(days=6)).isoformat() in html  # its next due date: 20 − 14 days ago
    assert (today + timedelta(days=60)).isoformat() in html  # the next review
    assert "Executive meeting: none on record" in html  # never: it drives


def test_the_panel_of_an_iron_account_says_what_is_not_required(client, rep):
    customer = CustomerFactory(owner=rep, tier="iron")
    client.force_login(rep)

    html = page(client, f"/service-levels/customers/{customer.pk}/panel/", **EN)

    assert re.findall(r'data-requirement="(\w*)"', html) == ["visit", "", "review"]
    assert "Not required" in html


def test_the_panel_is_a_404_for_a_customer_out_of_sight(client, other_rep):
    customer = CustomerFactory(tier="gold")
    client.force_login(other_rep)

    assert client.get(f"/service-levels/customers/{customer.pk}/panel/").status_code == 404


def test_the_customer_page_loads_the_panel(client, rep):
    customer = CustomerFactory(owner=rep)
    client.force_login(rep)

    html = page(client, f"/customers/{customer.pk}/")

    assert f'data-panel-url="/service-levels/customers/{customer.pk}/panel/"' in html


def test_the_panel_takes_a_fixed_number_of_queries(client, rep, django_assert_num_queries):
    customer = CustomerFactory(owner=rep, tier="gold")
    for days in range(0, 50, 5):
        VisitFactory(customer=customer, occurred_at=days_ago(days))
        review_of(customer, days)
    client.force_login(rep)

    # session, user, visibility check, customer, the service policies, the last dates
    with django_assert_num_queries(6):
        page(client, f"/service-levels/customers/{customer.pk}/panel/")


def test_viewing_writes_nothing(client, rep, book):
    client.force_login(rep)
    before = Customer.objects.count()
    page(client)
    page(client, f"/service-levels/customers/{book['late'].pk}/panel/")
    assert Customer.objects.count() == before
