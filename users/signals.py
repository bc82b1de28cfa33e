"""A deactivated login, or one whose password changed, ends everywhere: its API token and its
sessions are deleted. A deactivated login's API keys are revoked too (a new password leaves them:
they belong to integrations, not to whoever knew the password).

A signal rather than a step in a service, because a user is deactivated or given a new password
through several doors (the admin's "active" box and password form, `add_user --password`,
`manage.py changepassword`, any future service) and the rule has to hold whichever one is used.
Django and DRF already refuse an inactive user's session and token; deleting them as well means
that reactivating the user later brings no old login back. After a password change, whoever knew
the old one keeps nothing: the token is gone and so are the sessions (a page that changes the
signed-in user's own password keeps that one session, as Django's `update_session_auth_hash`
saves it again under a new key). A queryset `update(...)` sends no signal and so skips this.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from rest_framework.authtoken.models import Token

from .services import api_keys_revoke_all


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


def _saved(field: str, update_fields) -> bool:
    return update_fields is None or field in update_fields


def _logins_end_on_deactivation_or_new_password(
    sender, instance, created, update_fields=None, **kwargs
) -> None:
    if created:
        return
    # Only when it turns off (the values it was loaded with; unknown counts as a change).
    deactivated = (
        not instance.is_active
        and _saved("is_active", update_fields)
        and getattr(instance, "_users_was_active", True) is not False
    )
    new_password = _saved("password", update_fields) and instance.password != instance._users_old_password
    if deactivated or new_password:
        user_logins_end(user=instance)
    if deactivated:
        api_keys_revoke_all(user=instance)


def _remember_loaded(sender, instance, raw=False, **kwargs) -> None:
    instance._users_was_active = instance.value_as_loaded("is_active", True)
    instance._users_old_password = instance.value_as_loaded("password", instance.password)


def connect() -> None:
    from .models import User

    pre_save.connect(_remember_loaded, sender=User, dispatch_uid="users.remember_loaded")
    post_save.connect(
        _logins_end_on_deactivation_or_new_password, sender=User, dispatch_uid="users.logins_end"
    )
