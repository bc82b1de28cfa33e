"""Logins: every page but login needs one; failures are throttled per username+IP."""

import re

import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_home_redirects_anonymous_users_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


@pytest.mark.parametrize("url", ["/", "/admin/", "/logout/"])
def test_pages_other_than_login_require_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_login_page_is_chinese_by_default(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_language_can_be_switched_to_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    response = client.get("/login/")
    assert response["Content-Language"] == "en"
    assert "Log in to KAM" in response.content.decode()


def test_login_with_the_right_password_reaches_home(client, rep):
    response = client.post("/login/", {"username": "rep1", "password": TEST_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == rep


def test_logout_needs_a_post_and_ends_the_session(client, rep):
    client.force_login(rep)
    assert client.get("/logout/").status_code == 405
    client.post("/logout/")
    assert client.get("/").status_code == 302


def _fail(client, username, url="/login/"):
    return client.post(url, {"username": username, "password": "wrong-password"}, REMOTE_ADDR="10.1.2.3")


@pytest.mark.parametrize("username", ["rep1", "nobody-like-this"])
def test_five_failures_lock_the_username_and_ip_for_15_minutes(client, rep, username):
    for _ in range(4):
        response = _fail(client, username)
        assert response.status_code == 200
        assert "请输入一个正确的用户名和密码" in response.content.decode()

    locked = _fail(client, username)

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert "15" in locked.content.decode()
    assert "登录失败次数过多" in locked.content.decode()
    # Even the right password is refused now, from that address.
    right = client.post("/login/", {"username": username, "password": TEST_PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert right.status_code == 429


def test_known_and_unknown_usernames_get_the_same_lockout_answer(client, rep):
    answers = []
    for username in ["rep1", "ghost"]:
        for _ in range(5):
            response = _fail(client, username)
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        answers.append((response.status_code, html.replace(username, "U")))
    assert answers[0] == answers[1]


def test_lockout_is_per_username_and_ip(client, rep):
    for _ in range(5):
        _fail(client, "rep1")
    other_ip = client.post(
        "/login/", {"username": "rep1", "password": TEST_PASSWORD}, REMOTE_ADDR="10.9.9.9", follow=True
    )
    assert other_ip.context["user"] == rep


def test_admin_login_is_throttled_too(client, admin_user):
    for _ in range(5):
        response = _fail(client, "admin", url="/admin/login/")
    assert response.status_code == 429


def test_api_token_endpoint_is_throttled_with_json(api_client, rep):
    for _ in range(5):
        response = api_client.post(
            "/api/v1/auth/token/", {"username": "rep1", "password": "nope"}, REMOTE_ADDR="10.1.2.3"
        )
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
