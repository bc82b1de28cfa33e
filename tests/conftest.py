"""Fixtures shared by every test, and the rule for tests that need real services.

A test that needs PostgreSQL, Redis or Chromium asks for the matching fixture. When the
service is missing it is skipped on a laptop, but with KAM_REQUIRE_SERVICES=1 (set by
.ci/run) a missing service is a failure: CI never goes green by skipping them.
"""

import os

import pytest
from django.core.cache import cache
from django.db import connection

from tests.factories import TeamFactory, UserFactory
from users.models import Role

REQUIRE_SERVICES = os.environ.get("KAM_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def service_missing(reason: str):
    """Skip locally, fail in CI."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable (KAM_REQUIRE_SERVICES=1): {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Fast hashing; plain static storage (the hashed manifest exists only after collectstatic).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    # API throttle counts live in the cache: each test starts from an empty in-memory one, and
    # clearing it can never flush a shared Redis (REDIS_URL, the Celery broker).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def postgres(db):
    """The test database must be the real PostgreSQL."""
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL is not the configured database (set DATABASE_URL=postgres://...)")
    return connection


@pytest.fixture
def redis_url():
    """A reachable Redis: $CELERY_BROKER_URL / $REDIS_URL, else the local default port."""
    import redis

    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        service_missing(f"Redis at {url} is not reachable: {error}")
    return url


@pytest.fixture
def team(db):
    return TeamFactory(name="华东大客户部")


@pytest.fixture
def rep(team):
    user = UserFactory(username="rep1", role=Role.REP)
    team.members.add(user)
    return user


@pytest.fixture
def other_rep(db):
    user = UserFactory(username="rep9", role=Role.REP)
    TeamFactory(name="华南大客户部").members.add(user)
    return user


@pytest.fixture
def manager(team):
    user = UserFactory(username="manager", role=Role.MANAGER)
    team.managers.add(user)
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def eager_celery():
    """Run queued tasks in-process, as a laptop without a broker does (CI sets a real broker)."""
    from kam.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


@pytest.fixture
def gate_items(db):
    """The default stage-gate checklist (a data migration; transactional tests flush it)."""
    import importlib

    from pipeline.models import StageGateItem

    defaults = importlib.import_module("pipeline.migrations.0002_default_stage_gates").DEFAULT_ITEMS
    for position, (stage, label, rule) in enumerate(defaults):
        StageGateItem.objects.get_or_create(
            stage=stage, label=label, defaults={"rule": rule, "position": position}
        )
    return StageGateItem.objects.all()
