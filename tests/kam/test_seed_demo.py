"""seed_demo: demo logins that work, loaded idempotently."""

import pytest
from django.core.management import call_command

from kam.management.commands.seed_demo import DEMO_PASSWORD
from users.models import Role, Team, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_working_logins_and_two_teams(capsys):
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    for username in ["admin", "manager", "rep1", "rep2"]:
        assert username in out
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    assert User.objects.get(username="admin").role == Role.ADMIN
    assert User.objects.get(username="manager").role == Role.MANAGER
    assert Team.objects.count() == 2


def test_seed_demo_twice_does_not_duplicate():
    call_command("seed_demo")
    counts = (User.objects.count(), Team.objects.count(), Team.members.through.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Team.objects.count(), Team.members.through.objects.count()) == counts
