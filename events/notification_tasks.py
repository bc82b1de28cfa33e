"""Celery task of the daily digest e-mail (imported by EventsConfig.ready, so workers know it)."""

from celery import shared_task


@shared_task(name="events.send_digests", ignore_result=True)
def send_digests() -> int:
    """The daily digest e-mails (CELERY_BEAT_SCHEDULE "daily-digest")."""
    from .digest import send_digests as send  # noqa: PLC0415

    return send()
