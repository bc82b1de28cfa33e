"""The Celery app's configuration, and a real worker answering kam.ping over Redis."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from kam.celery import app, ping

ROOT = Path(__file__).resolve().parents[2]


def test_celery_is_configured_for_safe_long_jobs():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_ping_runs_in_process_when_eager(settings):
    app.conf.task_always_eager = True
    try:
        assert ping.delay().get(timeout=5) == "pong"
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def celery_worker_process(redis_url):
    """A real `celery -A kam worker` on a private queue, stopped after the test."""
    queue = f"kam-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url, "DEBUG": "1"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kam",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_a_real_worker_answers_ping(celery_worker_process, redis_url):
    # A separate client app, so this process's own app (eager without a broker) is untouched;
    # the task is addressed by its registered name, exactly as another service would.
    client = Celery("kam-test-client", broker=redis_url, backend=redis_url)
    client.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")

    result = client.send_task("kam.ping", queue=celery_worker_process)

    assert result.get(timeout=60) == "pong"
    assert result.status == "SUCCESS"
