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
