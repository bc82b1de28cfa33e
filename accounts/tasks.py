"""Celery tasks of the accounts app."""

from celery import shared_task

from .notifications import notify_follow_ups_due


@shared_task(name="accounts.follow_ups_due", ignore_result=True)
def follow_ups_due() -> int:
    """Each morning, before the digest: "follow-up due today" notifications (CELERY_BEAT_SCHEDULE)."""
    return notify_follow_ups_due()
