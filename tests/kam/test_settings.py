"""Configuration from the environment, checked in fresh processes (settings load once per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "db = s.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': s.CELERY_BROKER_URL, 'tz': s.TIME_ZONE, 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS}))"
)
SERVICE_VARS = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "CELERY_RESULT_BACKEND",
    "SECRET_KEY",
    "DEBUG",
)


def run(code_or_args, extra_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update({"DJANGO_SETTINGS_MODULE": "kam.settings", "KAM_VAR_DIR": str(tmp_path)}, **extra_env)
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_defaults_are_sqlite_under_var_and_eager_tasks(tmp_path):
    result = run(PROBE, {"DEBUG": "1"}, tmp_path)
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "kam.sqlite3")
    assert values["eager"] is True
    assert values["tz"] == "Asia/Shanghai"


def test_database_url_and_broker_come_from_the_environment(tmp_path):
    env = {
        "DEBUG": "1",
        "DATABASE_URL": "postgres://kam:pw@db.example:5433/kamdb",
        "REDIS_URL": "redis://cache.example:6379/2",
        "TIME_ZONE": "UTC",
        "ALLOWED_HOSTS": "kam.example.com,www.kam.example.com",
    }
    values = json.loads(run(PROBE, env, tmp_path).stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "kamdb"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.example:6379/2"
    assert values["tz"] == "UTC"
    assert values["hosts"] == ["kam.example.com", "www.kam.example.com"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run(PROBE, {"DEBUG": "0"}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_values(tmp_path):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
        "ALLOWED_HOSTS": "kam.example.com",
    }
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
