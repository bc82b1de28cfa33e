"""A deactivated login ends everywhere: its API token and its sessions are deleted.

A signal rather than a step in a service, because a user is deactivated through several doors
(the admin's "active" box, `manage.py shell`, any future service) and the rule has to hold
whichever one is used. Django and DRF already refuse an inactive user's session and token;
deleting them as well means that reactivating the user later brings no old login back.
A queryset `update(is_active=False)` sends no signal and so skips this.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from rest_framework.authtoken.models import Token


def user_logins_end(*, user) -> None:
    """Delete the user's API token and every session they are logged in with."""
    Token.objects.filter(user=user).delete()
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return  # cookie or cache sessions cannot be listed; Django refuses them for an inactive user
    sessions = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    # Sessions are not indexed by user: read each live one (a rare admin action, not a hot path).
    for session in sessions.only("session_key", "session_data").iterator(chunk_size=1000):
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            store_class(session_key=session.session_key).delete()


def _logins_end_on_deactivation(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    # Only when it turns off (the values it was loaded with; unknown counts as a change).
    if getattr(instance, "_users_was_active", True) is False:
        return
    user_logins_end(user=instance)


def _remember_active(sender, instance, raw=False, **kwargs) -> None:
    loaded = getattr(instance, "_audit_loaded", None) or {}
    instance._users_was_active = loaded.get("is_active", True)


def connect() -> None:
    from .models import User

    pre_save.connect(_remember_active, sender=User, dispatch_uid="users.remember_active")
    post_save.connect(
        _logins_end_on_deactivation, sender=User, dispatch_uid="users.logins_end_on_deactivation"
    )
