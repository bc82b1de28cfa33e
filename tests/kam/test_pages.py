"""The base pages: home, health check, navigation."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_shows_the_users_role_and_teams(client, rep, manager):
    client.force_login(rep)
    html = client.get("/").content.decode()
    assert "销售代表" in html
    assert "华东大客户部" in html
    assert 'name="viewport"' in html
    assert "/static/kam/css/kam.css" in html


def test_managers_see_the_teams_they_manage(client, manager, rep):
    client.force_login(manager)
    html = client.get("/my-day/").content.decode()  # a manager's `/` is their dashboard
    assert "我管理的团队" in html
    assert rep.last_name + rep.first_name in html  # 李明: surname first, no space
    assert rep.get_full_name() not in html  # never Django's "明 李"


def test_admin_link_only_for_admins(client, rep, admin_user):
    client.force_login(rep)
    assert "/admin/" not in client.get("/").content.decode()
    client.force_login(admin_user)
    assert "/admin/" in client.get("/dashboard/").content.decode()


def test_health_check_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_unknown_page_is_a_404_page(client, rep):
    client.force_login(rep)
    response = client.get("/no-such-page/")
    assert response.status_code == 404


def test_my_day_puts_what_needs_doing_now_first(client, rep):
    """Follow-ups (oldest due first), then accounts due a visit, agreed actions and payments to
    collect; what already happened (recent activity) comes last."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import CustomerFactory, VisitFactory

    customer = CustomerFactory(name="南京百川生物医药有限公司", owner=rep)
    today = timezone.localdate()
    later = VisitFactory(customer=customer, by=rep, occurred_at=timezone.now() - timedelta(days=1))
    later.follow_up_on = today
    later.save()
    older = VisitFactory(customer=customer, by=rep, occurred_at=timezone.now() - timedelta(days=9))
    older.follow_up_on = today - timedelta(days=3)
    older.save()

    client.force_login(rep)
    html = client.get("/").content.decode()
    sections = ["follow-ups", "coverage-due", "actions-due", "installments-due", "recent-activity"]
    positions = [html.index(f'data-testid="{name}"') for name in sections]
    assert positions == sorted(positions)
    assert html.index(f'data-visit-id="{older.pk}"') < html.index(f'data-visit-id="{later.pk}"')
