"""Deactivating a login ends it at once: its sessions and its API token stop working and are
deleted, so reactivating the user later brings neither back."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from users.models import User

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def with_token(user) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")


def session_users() -> list[str]:
    return sorted(session.get_decoded()[SESSION_KEY] for session in Session.objects.all())


def deactivate(user: User) -> None:
    user.is_active = False
    user.save()


def test_a_deactivated_users_page_session_goes_back_to_login(rep):
    client = logged_in(rep)
    assert client.get("/").status_code == 200

    deactivate(rep)
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_a_deactivated_users_session_is_refused_by_the_api(rep):
    client = logged_in(rep)
    assert client.get("/api/v1/me/").status_code == 200

    deactivate(rep)
    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_deactivated_users_token_is_refused_and_deleted(rep):
    client = with_token(rep)
    assert client.get("/api/v1/me/").status_code == 200

    deactivate(rep)

    assert client.get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(user=rep).exists()


def test_deactivation_deletes_only_that_users_sessions_and_token(rep, manager):
    for user in (rep, rep, manager):
        logged_in(user)
    for user in (rep, manager):
        with_token(user)

    deactivate(rep)

    assert session_users() == [str(manager.pk)]
    assert list(Token.objects.values_list("user__username", flat=True)) == ["manager"]


def test_reactivating_the_user_does_not_revive_the_old_session_or_token(rep):
    page, api = logged_in(rep), with_token(rep)
    deactivate(rep)

    rep.is_active = True
    rep.save()

    assert page.get("/").status_code == 302
    assert api.get("/api/v1/me/").status_code == 401


def test_saving_only_the_active_flag_ends_the_logins_too(rep):
    page, api = logged_in(rep), with_token(rep)

    rep.is_active = False
    rep.save(update_fields=["is_active"])

    assert session_users() == []
    assert page.get("/").status_code == 302
    assert api.get("/api/v1/me/").status_code == 401


def test_unticking_active_in_the_admin_ends_the_users_logins(admin_user, rep):
    page, api = logged_in(rep), with_token(rep)
    admin = logged_in(admin_user)

    response = admin.post(
        f"/admin/users/user/{rep.pk}/change/",
        {
            "username": "rep1",
            "first_name": rep.first_name,
            "last_name": rep.last_name,
            "email": "",
            "role": "rep",
            # "is_active" left out: the box is unticked.
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    rep.refresh_from_db()
    assert rep.is_active is False
    assert page.get("/").status_code == 302
    assert api.get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(user=rep).exists()
    # The admin who did it is still logged in.
    assert session_users() == [str(admin_user.pk)]
    assert admin.get("/admin/").status_code == 200
