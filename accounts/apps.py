from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Customer accounts (not logins): the key accounts, their people and our activity with them."""

    name = "accounts"
    verbose_name = _("Customer accounts")

    def ready(self) -> None:
        from audit.registry import Readers, audit_m2m, audit_membership, audit_model, customer_scope

        from .models import AccountTeamMember, Contact, Customer, FitCriterion, IndustryFit
        from .services import personal_profile_customer_ids

        audit_model(
            Customer,
            object_type="customer",
            readers=Readers.CUSTOMER,
            customer_attname="id",
            owner_attname="owner_id",
            # Derived from the name, and the prospect grade from the status and the opportunities,
            # all of which are recorded.
            exclude={*Customer.NAME_DERIVED, "prospect_grade"},
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
        # The experience method's reference data (经历推算法), and the checklist ticked on customers.
        audit_model(IndustryFit, object_type="industryfit", readers=Readers.MANAGERS)
        audit_model(FitCriterion, object_type="fitcriterion", readers=Readers.MANAGERS)
        audit_m2m(Customer, "fit_criteria")
        customer_scope(visible=Customer.objects.visible_to, personal=personal_profile_customer_ids)
