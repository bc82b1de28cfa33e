from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Users and teams")

    def ready(self) -> None:
        from audit.registry import Readers, audit_m2m, audit_model

        from . import signals
        from .models import ApiKey, Team, User

        audit_model(
            User,
            object_type="user",
            readers=Readers.ADMINS,
            exclude={"last_login", "date_joined"},
            masked={"password"},
        )
        audit_model(Team, object_type="team", readers=Readers.ADMINS)
        # The secret's hash is never recorded; the last use changes too often to be a change.
        audit_model(
            ApiKey, object_type="apikey", readers=Readers.ADMINS, exclude={"secret_hash", "last_used_at"}
        )
        audit_m2m(Team, "members")
        audit_m2m(Team, "managers")
        signals.connect()
