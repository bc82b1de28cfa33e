from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Customer accounts (not logins): the key accounts, their people and our activity with them."""

    name = "accounts"
    verbose_name = _("Customer accounts")
