"""A new password ends the old logins: the user's API token and their other sessions go, as on
deactivation, whichever door changed it (the admin's password form, an admin's own password
page, `add_user --password`, a save in code). Re-running `add_user` with the same password is
no change and ends nothing."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.factories import TEST_PASSWORD
from tests.users.test_deactivation import logged_in, session_users, with_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-long-passw0rd-2026"


def test_a_new_password_ends_the_token_and_sessions_of_that_user_only(rep, manager):
    page, api = logged_in(rep), with_token(rep)
    logged_in(manager), with_token(manager)

    rep.set_password(NEW_PASSWORD)
    rep.save()

    assert api.get("/api/v1/me/").status_code == 401
    assert page.get("/").status_code == 302
    assert session_users() == [str(manager.pk)]
    assert list(Token.objects.values_list("user__username", flat=True)) == ["manager"]


def test_saving_other_fields_keeps_the_logins(rep):
    page, api = logged_in(rep), with_token(rep)

    rep.first_name = "伟"
    rep.save()
    rep.save(update_fields=["last_name"])

    assert api.get("/api/v1/me/").status_code == 200
    assert page.get("/").status_code == 200


def test_the_admin_password_form_ends_the_users_logins(client, admin_user, rep):
    api = with_token(rep)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/users/user/{rep.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert api.get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(user=rep).exists()


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(admin_user):
    here, elsewhere = logged_in(admin_user), logged_in(admin_user)
    api = with_token(admin_user)

    response = here.post(
        "/admin/password_change/",
        {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    assert api.get("/api/v1/me/").status_code == 401
    assert session_users() == [str(admin_user.pk)]


def test_add_user_with_a_new_password_ends_the_token_and_the_same_one_does_not(rep):
    with_token(rep)
    call_command("add_user", "rep1", "--password", TEST_PASSWORD, "--role", "rep")
    assert Token.objects.filter(user=rep).exists()

    call_command("add_user", "rep1", "--password", NEW_PASSWORD, "--role", "rep")
    assert not Token.objects.filter(user=rep).exists()
