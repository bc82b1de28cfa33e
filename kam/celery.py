"""The Celery app. Configuration comes from Django settings (the CELERY_* names)."""

import os

import redis.exceptions
from celery import Celery
from kombu.exceptions import OperationalError as BrokerOperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# What sending a task raises when Redis cannot be reached: kombu's wrapper around a refused
# or dropped connection, redis-py's own errors, or Celery's RuntimeError ("Retry limit
# exceeded while trying to reconnect to the Celery result store") raised from one of them.
BROKER_ERRORS = (BrokerOperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def broker_unreachable(error: BaseException | None) -> bool:
    """Did this error come from the broker (or result store) being unreachable?"""
    while error is not None:
        if isinstance(error, BROKER_ERRORS):
            return True
        error = error.__cause__
    return False


@app.task(name="kam.ping")
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the broker."""
    return "pong"
