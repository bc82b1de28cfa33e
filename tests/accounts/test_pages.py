"""The rep's pages: who sees what, the customer list, the customer page, My day, and how
many queries each runs.

Assertions look at data (names, numbers, ids, data-testid hooks), never at translated labels.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Contact, Customer, Visit
from tests.factories import (
    CompetitorPresenceFactory,
    ContactFactory,
    CustomerFactory,
    TransactionFactory,
    UserFactory,
    VisitFactory,
)
from users.models import Role

pytestmark = pytest.mark.django_db


def page_html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def ids(html: str, testid: str, attribute: str = "data-customer-id") -> list[int]:
    return [int(pk) for pk in re.findall(rf'data-testid="{testid}" {attribute}="(\d+)"', html)]


@pytest.fixture
def mine(rep):
    return CustomerFactory(owner=rep, name="上海华信精密机械有限公司", region="华东", industry="机械")


@pytest.fixture
def theirs(other_rep):
    return CustomerFactory(owner=other_rep, name="广州南方电子有限公司", region="华南", industry="电子")


@pytest.fixture
def their_contact(theirs):
    return ContactFactory(customer=theirs, name="赵敏")


@pytest.fixture
def their_visit(theirs):
    return VisitFactory(customer=theirs, follow_up_on=timezone.localdate())


# --- Access ----------------------------------------------------------------------------------


def test_pages_need_a_login(client, mine):
    for url in ("/customers/", f"/customers/{mine.pk}/", "/visits/new/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/customers/{customer}/",
        "/customers/{customer}/edit/",
        "/customers/{customer}/contacts/new/",
        "/customers/{customer}/contacts/{contact}/edit/",
        "/customers/{customer}/visits/new/",
    ],
)
def test_another_reps_customer_does_not_exist_for_a_rep(client, rep, theirs, their_contact, path):
    client.force_login(rep)
    url = path.format(customer=theirs.pk, contact=their_contact.pk)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "改名", "summary": "偷看", "kind": "visit"}).status_code == 404
    theirs.refresh_from_db()
    their_contact.refresh_from_db()
    assert theirs.name == "广州南方电子有限公司"
    assert their_contact.name == "赵敏"
    assert Contact.objects.count() == 1
    assert not Visit.objects.exists()


def test_a_contact_is_reached_only_through_its_own_customer(client, rep, mine, their_contact):
    client.force_login(rep)
    response = client.post(f"/customers/{mine.pk}/contacts/{their_contact.pk}/edit/", {"name": "改名"})
    assert response.status_code == 404
    their_contact.refresh_from_db()
    assert their_contact.name == "赵敏"


def test_marking_another_reps_follow_up_done_is_a_404(client, rep, their_visit):
    client.force_login(rep)
    assert client.post(f"/visits/{their_visit.pk}/follow-up-done/").status_code == 404
    their_visit.refresh_from_db()
    assert their_visit.follow_up_done_at is None


def test_an_account_team_member_sees_the_customer(client, rep, theirs):
    theirs.team_memberships.create(user=rep)
    client.force_login(rep)
    assert "广州南方电子有限公司" in page_html(client.get(f"/customers/{theirs.pk}/"))


# --- Customer list ---------------------------------------------------------------------------


def test_the_list_shows_only_visible_customers(client, rep, mine, theirs):
    client.force_login(rep)
    html = page_html(client.get("/customers/"))
    assert ids(html, "customer-row") == [mine.pk]
    assert "广州南方电子有限公司" not in html
    assert 'data-testid="export-csv"' in html


def test_search_never_finds_another_reps_customer(client, rep, mine, theirs, their_contact):
    client.force_login(rep)
    assert ids(page_html(client.get("/customers/", {"search": "南方电子"})), "customer-row") == []
    assert ids(page_html(client.get("/customers/", {"search": "赵敏"})), "customer-row") == []
    assert ids(page_html(client.get("/visits/new/", {"search": "南方"})), "pick-customer") == []


def test_search_matches_customer_and_contact_names(client, rep, mine):
    CustomerFactory(owner=rep, name="杭州西湖软件有限公司")
    ContactFactory(customer=mine, name="钱学明")
    client.force_login(rep)
    assert ids(page_html(client.get("/customers/", {"search": "华信"})), "customer-row") == [mine.pk]
    assert ids(page_html(client.get("/customers/", {"search": "钱学明"})), "customer-row") == [mine.pk]


def test_a_manager_sees_the_team_customers_but_not_other_teams(client, manager, mine, theirs):
    client.force_login(manager)
    assert ids(page_html(client.get("/customers/")), "customer-row") == [mine.pk]
    assert page_html(client.get(f"/customers/{mine.pk}/"))
    assert client.get(f"/customers/{theirs.pk}/").status_code == 404


def test_an_admin_sees_everyone(client, admin_user, mine, theirs):
    client.force_login(admin_user)
    assert sorted(ids(page_html(client.get("/customers/")), "customer-row")) == sorted([mine.pk, theirs.pk])


def test_filters_and_sorting(client, rep, mine):
    gold = CustomerFactory(owner=rep, name="A金牌客户", tier="gold", abc_class="A", region="华北", score=90)
    CustomerFactory(owner=rep, name="B铁牌客户", tier="iron", abc_class="C", region="华北", score=40)
    key = CustomerFactory(owner=rep, name="C大客户", is_key_account=True, status="customer")
    client.force_login(rep)

    def rows(**params):
        return ids(page_html(client.get("/customers/", params)), "customer-row")

    assert rows(tier="gold") == [gold.pk]
    assert rows(abc_class="A") == [gold.pk]
    assert rows(region="华东", industry="机械") == [mine.pk]
    assert rows(status="customer") == [key.pk]
    assert rows(is_key_account="yes") == [key.pk]
    assert rows(owner=rep.pk, region="华北", ordering="-score")[0] == gold.pk
    assert rows(region="华北", ordering="score")[0] != gold.pk


@pytest.mark.parametrize("ordering", ["-score", "score"])
def test_unscored_customers_sort_last_either_way(client, rep, ordering):
    unscored = CustomerFactory(owner=rep, name="A未评分客户")
    low = CustomerFactory(owner=rep, name="B低分客户", score=40)
    high = CustomerFactory(owner=rep, name="C高分客户", score=90)
    client.force_login(rep)
    rows = ids(page_html(client.get("/customers/", {"ordering": ordering})), "customer-row")
    assert rows == ([high.pk, low.pk] if ordering == "-score" else [low.pk, high.pk]) + [unscored.pk]


def test_invalid_filters_are_reported_and_ignored(client, rep, mine):
    client.force_login(rep)
    response = client.get(
        "/customers/",
        {"tier": "diamond", "owner": "x", "ordering": "password", "region": "火星", "page": "abc"},
    )
    html = page_html(response)
    assert ids(html, "customer-row") == [mine.pk]
    assert 'data-testid="filter-errors"' in html
    for name in ("tier", "owner", "ordering", "region"):
        assert f'data-testid="filter-error-{name}"' in html


def test_the_list_is_paginated(client, rep):
    CustomerFactory.create_batch(30, owner=rep)
    client.force_login(rep)
    first = page_html(client.get("/customers/"))
    second = page_html(client.get("/customers/", {"page": 2}))
    assert len(ids(first, "customer-row")) == 25
    assert len(ids(second, "customer-row")) == 5
    assert not set(ids(first, "customer-row")) & set(ids(second, "customer-row"))
    assert 'data-testid="customer-count">30<' in first
    # An out-of-range page shows the last page rather than failing.
    assert len(ids(page_html(client.get("/customers/", {"page": 99})), "customer-row")) == 5


# --- Customer page ---------------------------------------------------------------------------


def test_the_customer_page_shows_committee_timeline_sales_and_competitors(client, rep, mine):
    boss = ContactFactory(
        customer=mine, name="王建国", buying_role="decision_maker", influence=5, relationship_strength=3
    )
    visit = VisitFactory(customer=mine, summary="介绍新产品线", follow_up_on=timezone.localdate())
    visit.contacts.add(boss)
    today = timezone.localdate()
    TransactionFactory(customer=mine, occurred_on=today, amount=Decimal("120000.00"), margin=Decimal("30000"))
    TransactionFactory(customer=mine, occurred_on=today - timedelta(days=400), amount=Decimal("100000.00"))
    CompetitorPresenceFactory(customer=mine, competitor="西门子", share_of_wallet=40)
    client.force_login(rep)

    html = page_html(client.get(f"/customers/{mine.pk}/"))

    assert ids(html, "contact", "data-contact-id") == [boss.pk]
    assert 'data-testid="contact-influence"><span class="rating" data-value="5"' in html
    assert ids(html, "visit", "data-visit-id") == [visit.pk]
    assert "介绍新产品线" in html
    assert "<span>王建国</span>" in html
    assert f'action="/visits/{visit.pk}/follow-up-done/"' in html
    assert 'data-testid="sales-12m">¥120,000<' in html
    assert 'data-testid="sales-prev-12m">¥100,000<' in html
    assert 'data-testid="sales-growth" class="up">+20.0%<' in html
    assert html.count('data-testid="trend-bar"') == 12
    assert 'data-amount="120000.00"' in html
    assert "西门子" in html
    assert 'data-testid="not-scored"' in html


def test_scoring_fields_show_once_scored(client, rep):
    customer = CustomerFactory(
        owner=rep,
        score=Decimal("87.50"),
        tier="gold",
        abc_class="A",
        is_key_account=True,
        scored_at=timezone.now(),
    )
    client.force_login(rep)
    html = page_html(client.get(f"/customers/{customer.pk}/"))
    assert 'data-testid="not-scored"' not in html
    assert 'data-testid="score">87.50<' in html
    assert 'data-testid="abc-class">A<' in html


def test_the_personal_profile_shows_only_to_those_allowed(client, rep, team, mine):
    ContactFactory(customer=mine, name="王建国", hometown="湖南长沙")
    # A team lead with a rep's role sees the team's customers but is not on the account team.
    lead = UserFactory(username="lead", role=Role.REP)
    team.managers.add(lead)

    client.force_login(rep)
    assert 'data-testid="profile-hometown">湖南长沙<' in page_html(client.get(f"/customers/{mine.pk}/"))
    client.force_login(lead)
    html = page_html(client.get(f"/customers/{mine.pk}/"))
    assert "王建国" in html
    assert "湖南长沙" not in html
    assert 'data-testid="contact-profile"' not in html


# --- My day ----------------------------------------------------------------------------------


def test_my_day_lists_due_follow_ups_accounts_due_and_recent_activity(client, rep, mine, theirs):
    today = timezone.localdate()
    overdue = VisitFactory(customer=mine, follow_up_on=today - timedelta(days=2), next_step="寄样品")
    due = VisitFactory(customer=mine, follow_up_on=today)
    later = VisitFactory(customer=mine, follow_up_on=today + timedelta(days=3))
    done = VisitFactory(customer=mine, follow_up_on=today, follow_up_done_at=timezone.now())
    VisitFactory(customer=theirs, follow_up_on=today)
    # Gold: a visit every 30 days (the service levels, servicing.coverage).
    neglected = CustomerFactory(owner=rep, name="宁波久未拜访有限公司", tier="gold")
    VisitFactory(customer=neglected, occurred_at=timezone.now() - timedelta(days=45))
    client.force_login(rep)

    html = page_html(client.get("/"))

    assert ids(html, "follow-up", "data-visit-id") == [overdue.pk, due.pk]
    assert later.pk not in ids(html, "follow-up", "data-visit-id")
    assert done.pk not in ids(html, "follow-up", "data-visit-id")
    assert "寄样品" in html
    assert ids(html, "coverage-account") == [neglected.pk]
    assert set(ids(html, "activity", "data-visit-id")) >= {overdue.pk, due.pk}
    assert "广州南方电子有限公司" not in html
    assert 'href="/visits/new/"' in html


def test_marking_a_follow_up_done_from_my_day(client, rep, mine):
    visit = VisitFactory(customer=mine, follow_up_on=timezone.localdate())
    client.force_login(rep)

    response = client.post(f"/visits/{visit.pk}/follow-up-done/", {"next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    visit.refresh_from_db()
    assert visit.follow_up_done_at is not None
    assert ids(page_html(client.get("/")), "follow-up", "data-visit-id") == []


def test_marking_done_needs_a_post_and_stays_on_this_site(client, rep, mine):
    visit = VisitFactory(customer=mine, follow_up_on=timezone.localdate())
    client.force_login(rep)
    assert client.get(f"/visits/{visit.pk}/follow-up-done/").status_code == 405

    response = client.post(f"/visits/{visit.pk}/follow-up-done/", {"next": "https://evil.example/"})

    assert response["Location"] == f"/customers/{mine.pk}/#visit-{visit.pk}"


def test_follow_up_done_needs_the_csrf_token(rep, mine):
    from django.test import Client

    visit = VisitFactory(customer=mine, follow_up_on=timezone.localdate())
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.post(f"/visits/{visit.pk}/follow-up-done/").status_code == 403
    visit.refresh_from_db()
    assert visit.follow_up_done_at is None


def test_a_visit_without_follow_up_cannot_be_marked_done(client, rep, mine):
    visit = VisitFactory(customer=mine)
    client.force_login(rep)
    response = client.post(f"/visits/{visit.pk}/follow-up-done/", follow=True)
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.follow_up_done_at is None


def test_the_visit_picker_lists_visible_customers_and_links_to_their_visit_form(client, rep, mine, theirs):
    client.force_login(rep)
    html = page_html(client.get("/visits/new/"))
    assert ids(html, "pick-customer") == [mine.pk]
    assert f'href="/customers/{mine.pk}/visits/new/"' in html


# --- Query counts ----------------------------------------------------------------------------


def _fill_customer(customer, n: int) -> None:
    contacts = ContactFactory.create_batch(n, customer=customer)
    for visit in VisitFactory.create_batch(n, customer=customer, follow_up_on=timezone.localdate()):
        visit.contacts.add(*contacts[:2])
    TransactionFactory.create_batch(n, customer=customer)
    CompetitorPresenceFactory.create_batch(n, customer=customer)
    customer.team_memberships.create(user=UserFactory())


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_runs_a_fixed_number_of_queries(client, rep, n, django_assert_num_queries):
    for customer in CustomerFactory.create_batch(n, owner=rep, is_key_account=True):
        VisitFactory(customer=customer)
    client.force_login(rep)
    # session, user, 3 for the filter choices (+1 visibility check), count, page (+1 visibility check)
    with django_assert_num_queries(10):  # +1: the bell's unread count (base.html)
        page_html(client.get("/customers/", {"ordering": "-last_visit_at"}))


@pytest.mark.parametrize("n", [1, 10])
def test_the_customer_page_runs_a_fixed_number_of_queries(client, rep, mine, n, django_assert_num_queries):
    _fill_customer(mine, n)
    client.force_login(rep)
    # session, user, visibility check, customer, 2 for sales, contacts, visits (+ their
    # contacts), competitors, account team, 2 for the customer fit (the industry's row, the
    # checklist with its ticks); the owner sees profiles without asking.
    with django_assert_num_queries(14):  # +1: the bell's unread count (base.html)
        page_html(client.get(f"/customers/{mine.pk}/"))


# Each +1 for the bell's unread count (base.html).
@pytest.mark.parametrize(("role", "queries"), [(Role.REP, 13), (Role.MANAGER, 14)])
@pytest.mark.parametrize("n", [1, 10])
def test_my_day_runs_a_fixed_number_of_queries(client, team, n, role, queries, django_assert_num_queries):
    user = UserFactory(role=role)
    team.members.add(user)
    if role == Role.MANAGER:
        team.managers.add(user)
    for customer in CustomerFactory.create_batch(n, owner=user, is_key_account=True):
        _fill_customer(customer, 2)
    client.force_login(user)
    # session, user, visibility check, follow-ups, activity, then servicing's: the service
    # policies, the accounts due, the agreed actions; the installments to collect
    # (receivables); then the teams: the teams one is in
    # (+ their managers) and the teams one manages (+ their members, only if any).
    # (/my-day/: a manager's `/` is their dashboard.)
    with django_assert_num_queries(queries):
        page_html(client.get("/my-day/"))


def test_nothing_is_written_by_viewing_pages(client, rep, mine):
    _fill_customer(mine, 2)
    client.force_login(rep)
    before = (Customer.objects.count(), Contact.objects.count(), Visit.objects.count())
    for url in ("/", "/customers/", f"/customers/{mine.pk}/", f"/customers/{mine.pk}/visits/new/"):
        page_html(client.get(url))
    assert (Customer.objects.count(), Contact.objects.count(), Visit.objects.count()) == before


def test_export_links_carry_the_current_filters(client, rep):
    client.force_login(rep)
    html = client.get("/customers/", {"region": "华东", "ordering": "-score"}).content.decode()
    assert "/customers/export.csv?region=%E5%8D%8E%E4%B8%9C&amp;ordering=-score" in html


def test_money_reads_with_separators_on_the_customer_page_and_list(client, rep):
    # Given a customer whose last 12 months come to ¥1,848,160, and one with only a credit note
    big = CustomerFactory(owner=rep, name="南京百川生物医药有限公司", sales_12m=Decimal("1848160.00"))
    TransactionFactory(customer=big, occurred_on=timezone.localdate(), amount=Decimal("1848160.00"))
    credited = CustomerFactory(owner=rep, name="杭州退货测试有限公司", sales_12m=Decimal("-12345.00"))
    TransactionFactory(customer=credited, occurred_on=timezone.localdate(), amount=Decimal("-12345.00"))
    client.force_login(rep)

    # Then the customer page and the list show the exact figure, in Chinese and in English alike
    for language in ("zh-hans", "en"):
        detail = page_html(client.get(f"/customers/{big.pk}/", HTTP_ACCEPT_LANGUAGE=language))
        listed = page_html(client.get("/customers/", HTTP_ACCEPT_LANGUAGE=language))
        assert 'data-testid="sales-12m">¥1,848,160<' in detail
        assert 'data-testid="sales-prev-12m">¥0<' in detail
        assert 'class="num">¥1,848,160</td>' in listed
        assert 'class="num">-¥12,345</td>' in listed
        assert "1848160" not in detail.replace('data-amount="1848160.00"', "")
    credited_page = page_html(client.get(f"/customers/{credited.pk}/"))
    assert 'data-testid="sales-12m">-¥12,345<' in credited_page
