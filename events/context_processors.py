"""The bell's unread count for every page: counted only when a page shows it (lazily), with one
COUNT on the partial index of unread notifications."""

from django.utils.functional import SimpleLazyObject

from .notifications import unread_count


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}
