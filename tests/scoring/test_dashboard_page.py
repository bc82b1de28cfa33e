"""The manager dashboard page (/dashboard/): who may open it, what it loads, and `/` for each role."""

import json
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from scoring.dashboard import NAMES
from tests.factories import CustomerFactory, TeamFactory, TransactionFactory, UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db


def page_html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def labels(html: str) -> dict:
    blob = re.search(r'<script id="dashboard-labels" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(blob.group(1))


def test_manager_gets_the_page_with_every_chart_and_its_endpoint(client, manager, rep):
    client.force_login(manager)

    html = page_html(client.get("/dashboard/"))

    for name in NAMES:
        assert f'data-endpoint="/api/v1/dashboard/{name}/"' in html
        assert f'data-testid="chart-{name}"' in html
        assert f'data-testid="csv-{name}"' in html
        assert f'href="/api/v1/dashboard/{name}/?download=csv&amp;' in html
    assert "/static/vendor/echarts-6.1.0/echarts.min.js" in html
    assert "/static/kam/js/dashboard.js" in html
    assert 'data-testid="nav-dashboard"' in html
    assert 'href="/my-day/" data-testid="nav-my-day"' in html


def test_chart_words_come_translated_from_the_page(client, manager):
    client.force_login(manager)

    words = labels(page_html(client.get("/dashboard/")))

    assert words["tiers"] == {"platinum": "铂金", "gold": "黄金", "iron": "铁", "lead": "铅"}
    assert words["quadrants"]["key"] == "重点维护"
    assert words["quadrants"]["develop"] == "重点开发"
    assert set(words["stages"]) == {
        "target",
        "information",
        "evaluation",
        "relationship",
        "closing",
        "won",
        "lost",
    }


def test_filters_offer_the_managed_teams_and_the_visible_values(client, manager, team, rep, other_rep):
    TeamFactory(name="别人的团队")
    CustomerFactory(owner=rep, region="华东", industry="制造业")
    CustomerFactory(owner=rep, region="华北", industry="医疗")
    CustomerFactory(owner=other_rep, region="西南", industry="能源")
    client.force_login(manager)

    form = client.get("/dashboard/").context["form"]

    assert [label for value, label in form.fields["team"].choices if value] == ["华东大客户部"]
    assert sorted(value for value, _label in form.fields["region"].choices if value) == ["华东", "华北"]
    assert sorted(value for value, _label in form.fields["industry"].choices if value) == ["制造业", "医疗"]


def test_the_period_defaults_to_the_last_30_days(client, manager):
    client.force_login(manager)
    today = timezone.localdate()

    response = client.get("/dashboard/")

    assert response.context["form"].initial["start"] == today - timedelta(days=29)
    assert response.context["form"].initial["end"] == today
    assert f"start={today - timedelta(days=29):%Y-%m-%d}&amp;end={today:%Y-%m-%d}" in page_html(response)


def test_filters_in_the_address_are_kept_and_invalid_ones_dropped(client, manager, team, rep):
    CustomerFactory(owner=rep, region="华东")
    client.force_login(manager)

    response = client.get(
        "/dashboard/",
        {"team": team.pk, "region": "华东", "industry": "不存在", "start": "2025-01-01", "end": "not-a-date"},
    )

    initial = response.context["form"].initial
    assert initial["team"] == team.pk
    assert initial["region"] == "华东"
    assert "industry" not in initial
    assert initial["start"] == date(2025, 1, 1)
    assert initial["end"] == timezone.localdate()
    html = page_html(response)
    assert f'<option value="{team.pk}" selected>' in html
    assert f"team={team.pk}&amp;region=%E5%8D%8E%E4%B8%9C&amp;start=2025-01-01" in html


def test_a_period_the_wrong_way_round_is_not_passed_on(client, manager):
    client.force_login(manager)

    initial = client.get("/dashboard/", {"start": "2025-03-01", "end": "2025-02-01"}).context["form"].initial

    assert initial["end"] == date(2025, 2, 1)
    assert initial["start"] == date(2025, 1, 3)


def test_admin_gets_the_page_with_every_team(client, admin_user, team):
    TeamFactory(name="华南大客户部")
    client.force_login(admin_user)

    response = client.get("/dashboard/")

    assert response.status_code == 200
    teams = [label for value, label in response.context["form"].fields["team"].choices if value]
    assert teams == ["华东大客户部", "华南大客户部"]


def test_reps_are_refused(client, rep):
    client.force_login(rep)

    response = client.get("/dashboard/")

    assert response.status_code == 403
    assert 'data-testid="nav-dashboard"' not in client.get("/").content.decode()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/dashboard/"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_home_is_the_dashboard_for_managers_and_admins(client, team, role):
    user = UserFactory(username=f"home-{role}", role=role)
    team.managers.add(user)
    client.force_login(user)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_home_stays_my_day_for_reps(client, rep):
    client.force_login(rep)

    html = page_html(client.get("/"))

    assert 'data-testid="dashboard"' not in html
    assert 'href="/my-day/" data-testid="nav-my-day" aria-current="page"' in html


def test_managers_reach_my_day_from_the_menu(client, manager, rep):
    client.force_login(manager)

    html = page_html(client.get("/my-day/"))

    assert "我管理的团队" in html
    assert 'data-testid="nav-dashboard"' in html
    assert 'href="/my-day/" data-testid="nav-my-day" aria-current="page"' in html


@pytest.mark.parametrize("n", [1, 20])
def test_the_page_runs_a_fixed_number_of_queries(client, manager, team, n, django_assert_num_queries):
    today = timezone.localdate()
    for i in range(n):
        member = UserFactory(username=f"member{i}")
        team.members.add(member)
        customer = CustomerFactory(owner=member, region=f"地区{i}", industry=f"行业{i}")
        TransactionFactory(customer=customer, occurred_on=today)
    client.force_login(manager)

    # session, user; the teams; the visibility check, then regions, industries and owners.
    # The charts' data is fetched by the browser, not by the page.
    with django_assert_num_queries(8):  # +1: the bell's unread count (base.html)
        page_html(client.get("/dashboard/"))
