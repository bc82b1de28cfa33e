"""The reads of the users app's screens."""

from dataclasses import dataclass
from datetime import datetime

from .models import ApiKey, ApiKeyStatus, User


@dataclass(frozen=True)
class ApiKeyRow:
    key: ApiKey
    status: ApiKeyStatus

    @property
    def in_force(self) -> bool:
        return self.status == ApiKeyStatus.ACTIVE


def api_keys_of(*, user: User, now: datetime) -> list[ApiKeyRow]:
    """`user`'s own keys, newest first, with their status at `now`: one query."""
    keys = ApiKey.objects.filter(user=user).order_by("-created_at", "-id")
    return [ApiKeyRow(key=api_key, status=ApiKeyStatus(api_key.status_at(now))) for api_key in keys]
