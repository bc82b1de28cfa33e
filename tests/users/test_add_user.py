"""`add_user`: creates or updates logins idempotently, with teams, and refuses bad input."""

import pytest
from django.core.management import CommandError, call_command

from users.models import Role, Team, User

pytestmark = pytest.mark.django_db


def test_add_user_creates_a_rep_in_a_new_team():
    call_command(
        "add_user", "alice", "--password", "Sales-pass-2026", "--role", "rep", "--team", "华北大客户部"
    )

    alice = User.objects.get(username="alice")
    assert alice.role == Role.REP
    assert not alice.is_staff
    assert list(alice.teams.values_list("name", flat=True)) == ["华北大客户部"]
    assert alice.check_password("Sales-pass-2026")


def test_add_user_twice_changes_nothing_the_second_time():
    args = ["bob", "--password", "Sales-pass-2026", "--role", "manager", "--manages", "T1", "--team", "T2"]
    call_command("add_user", *args)
    call_command("add_user", *args)

    assert User.objects.filter(username="bob").count() == 1
    assert Team.objects.filter(name__in=["T1", "T2"]).count() == 2
    bob = User.objects.get(username="bob")
    assert [t.name for t in bob.managed_teams.all()] == ["T1"]
    assert [t.name for t in bob.teams.all()] == ["T2"]


def test_add_user_updates_role_password_and_replaces_memberships():
    call_command("add_user", "carol", "--password", "First-pass-2026", "--role", "rep", "--team", "Old")
    call_command("add_user", "carol", "--password", "Second-pass-2026", "--role", "admin", "--team", "New")

    carol = User.objects.get(username="carol")
    assert carol.role == Role.ADMIN
    assert carol.is_staff
    assert carol.is_superuser
    assert [t.name for t in carol.teams.all()] == ["New"]
    assert carol.check_password("Second-pass-2026")


def test_add_user_without_team_options_keeps_memberships():
    call_command("add_user", "dan", "--password", "First-pass-2026", "--role", "rep", "--team", "Keep")
    call_command("add_user", "dan", "--password", "First-pass-2026", "--role", "rep")

    assert [t.name for t in User.objects.get(username="dan").teams.all()] == ["Keep"]


def test_add_user_refuses_an_unknown_role():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("add_user", "eve", "--password", "Sales-pass-2026", "--role", "boss")
    assert not User.objects.filter(username="eve").exists()


def test_add_user_refuses_a_weak_password_and_writes_nothing():
    with pytest.raises(CommandError, match="8"):
        call_command("add_user", "frank", "--password", "123", "--role", "rep", "--team", "Ghost")
    assert not User.objects.filter(username="frank").exists()
    assert not Team.objects.filter(name="Ghost").exists()


def test_add_user_refuses_an_invalid_username():
    with pytest.raises(CommandError):
        call_command("add_user", "bad name!", "--password", "Sales-pass-2026", "--role", "rep")
    assert User.objects.count() == 0


def test_admin_role_and_staff_flag_cannot_disagree_in_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="sneaky", role=Role.REP, is_staff=True)


def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser("root", "root@example.com", "Root-pass-2026")
    assert user.role == Role.ADMIN
    assert user.is_staff
