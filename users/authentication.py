"""API keys on the API: `Authorization: Api-Key kam_…` (or `Bearer kam_…`), next to DRF's
`Token` and the session (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES, where this comes first).

Every request reads the key's row: a revoked or expired key, or one whose user is inactive, is
refused (401) from the next request on, with nothing cached. The request then acts as the key's
user, under that user's visibility and rate limit (`request.user`), with the key in
`request.auth`. A read-only key is refused (403) on any method that is not safe, here, for
every view at once: DRF's permission classes are the views' own (several replace the default
list), so a check there would cover only the views that remember it.

Keys (or tokens) in the URL are refused on every API request, whatever else authenticates it:
a query string ends up in access logs, proxies and browser history.
"""

from datetime import timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from . import api_keys

KEYWORD = "Api-Key"
BEARER = "Bearer"
# How stale `last_used_at` may get: one write per key per minute at most, not one per request.
LAST_USED_INTERVAL = timedelta(minutes=1)
# Query parameters a client might put a key or token in, by the names common elsewhere.
CREDENTIAL_PARAMETERS = frozenset(
    {"api_key", "apikey", "api-key", "key", "token", "access_token", "auth_token"}
)
# Compared against when no key has the prefix, so an unknown prefix costs the same hash.
_NO_HASH = "0" * 64


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        self.refuse_credentials_in_the_url(request)
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in (KEYWORD.lower().encode(), BEARER.lower().encode()):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: send “%(keyword)s <key>”, the key without spaces.")
                % {"keyword": KEYWORD}
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        api_key = self.api_key_for(key)
        self.check_scope(request, api_key)
        self.note_use(api_key)
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'

    @staticmethod
    def refuse_credentials_in_the_url(request) -> None:
        named = sorted(name for name in request.query_params if name.lower() in CREDENTIAL_PARAMETERS)
        if named:
            raise exceptions.AuthenticationFailed(
                _(
                    "Credentials are not accepted in the URL (“%(parameter)s”): URLs end up in logs and "
                    "browser history. Send the key in the header: “Authorization: %(keyword)s <key>”."
                )
                % {"parameter": named[0], "keyword": KEYWORD}
            )

    @staticmethod
    def api_key_for(key: str):
        """The key's row, if the key is right and in force; else AuthenticationFailed."""
        from .models import ApiKey  # DRF imports this module while its views load, before models

        parts = api_keys.parse(key)
        api_key = None
        if parts is not None:
            api_key = ApiKey.objects.select_related("user").filter(prefix=parts.prefix).first()
        right = api_keys.secret_matches(
            parts.secret if parts else "", api_key.secret_hash if api_key else _NO_HASH
        )
        if api_key is None or not right:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        now = timezone.now()
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This API key was revoked on %(when)s.") % {"when": _when(api_key.revoked_at)}
            )
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This API key expired on %(when)s.") % {"when": _when(api_key.expires_at)}
            )
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed(_("The user of this API key is inactive."))
        return api_key

    @staticmethod
    def check_scope(request, api_key) -> None:
        if api_key.is_read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(
                _("This API key is read-only: it may read (GET, HEAD, OPTIONS) but not %(method)s.")
                % {"method": request.method}
            )

    @staticmethod
    def note_use(api_key) -> None:
        """Record the use at most once a minute: a conditional UPDATE, so concurrent requests
        that all see a stale time still write once (and no audit row: the field is excluded)."""
        from .models import ApiKey

        now = timezone.now()
        if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_INTERVAL:
            return
        stale = ApiKey.objects.filter(pk=api_key.pk)
        if api_key.last_used_at is not None:
            stale = stale.filter(last_used_at__lt=now - LAST_USED_INTERVAL)
        else:
            stale = stale.filter(last_used_at__isnull=True)
        stale.update(last_used_at=now)
        api_key.last_used_at = now


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")
