from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Customer accounts (not logins): the key accounts, their people and our activity with them."""

    name = "accounts"
    verbose_name = _("Customer accounts")

    def ready(self) -> None:
        from audit.registry import Readers, audit_membership, audit_model, customer_scope

        from .models import AccountTeamMember, Contact, Customer
        from .services import personal_profile_customer_ids

        audit_model(
            Customer,
            object_type="customer",
            readers=Readers.CUSTOMER,
            customer_attname="id",
            owner_attname="owner_id",
            exclude=set(Customer.NAME_DERIVED),  # derived from the name, which is recorded
        )
        audit_model(
            Contact,
            object_type="contact",
            readers=Readers.CUSTOMER,
            customer_attname="customer_id",
            personal=Contact.PROFILE_FIELDS,
            exclude=set(Contact.NAME_DERIVED),
        )
        audit_membership(AccountTeamMember, parent="customer", member="user", field_name="account_team")
        customer_scope(visible=Customer.objects.visible_to, personal=personal_profile_customer_ids)
