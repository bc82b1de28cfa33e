from django import forms
from django.contrib import admin
from django.contrib.admin.utils import display_for_field
from django.db.models import F
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin

from . import services
from .forms import CreditCodeField
from .models import (
    STANDING_CLASSES,
    STANDING_FIELDS,
    AccountTeamMember,
    CompetitorPresence,
    Contact,
    Customer,
    CustomerStanding,
    Transaction,
    Visit,
)


class AccountTeamInline(admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    autocomplete_fields = ["user"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "buying_role", "influence", "relationship_strength", "attitude"]
    show_change_link = True


class CompetitorInline(admin.TabularInline):
    model = CompetitorPresence
    extra = 0


class CustomerAdminForm(forms.ModelForm):
    """The admin saves without the services, so the 撞单 checks (name, then credit code) run
    here: a duplicate is a field message naming the customer and its owner, as on the pages.
    The model and the fields are the ModelAdmin's."""

    credit_code = CreditCodeField(
        label=capfirst(Customer._meta.get_field("credit_code").verbose_name), required=False
    )

    def _get_validation_exclusions(self):
        # The code is checked by its field, and whose it already is below, with a message
        # naming the owner rather than the unique constraint's generic one.
        return {*super()._get_validation_exclusions(), "credit_code"}

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the cleaned values
        if not self.has_error("name") and not self.has_error("credit_code"):
            try:
                services.customer_check_duplicates(self.instance)
            except services.DuplicateCustomer as error:
                self.add_error(None, error)


def _standing_column(name: str, *, sortable: bool = False):
    field = CustomerStanding._meta.get_field(name)
    # A class of a customer never scored (no standing row: NULL) sorts as the empty text it
    # reads as, before every class.
    ordering = F(name).asc(nulls_first=True) if name in STANDING_CLASSES else name

    @admin.display(description=capfirst(field.verbose_name), ordering=ordering if sortable else None)
    def column(self, customer):
        return display_for_field(getattr(customer, name), field, self.get_empty_value_display())

    return column


@admin.register(Customer)
class CustomerAdmin(AuditHistoryMixin, admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = [
        "name",
        "credit_code",
        "status",
        "industry",
        "region",
        "owner",
        "tier",
        "abc_class",
        "score",
        "sales_12m",
    ]
    list_filter = [
        "status",
        ("standing__tier", admin.ChoicesFieldListFilter),
        ("standing__abc_class", admin.ChoicesFieldListFilter),
        ("standing__is_key_account", admin.BooleanFieldListFilter),
        "source",
        "industry",
        "region",
    ]
    search_fields = ["name", "name_pinyin", "name_initials", "credit_code", "contacts__name"]  # nanjing, nj
    autocomplete_fields = ["owner", "parent", "referred_by"]
    list_select_related = ["owner"]
    readonly_fields = [*Customer.SCORING_FIELDS, "created_at", "updated_at"]
    inlines = [AccountTeamInline, ContactInline, CompetitorInline]
    show_facets = admin.ShowFacets.NEVER  # counting facets over a million rows is too slow


# The run's results (accounts.CustomerStanding, annotated on every customer query), shown as their
# fields are: the standing's labels and formats, sortable by the annotations.
for _name in STANDING_FIELDS:
    setattr(CustomerAdmin, _name, _standing_column(_name, sortable=True))


@admin.register(Contact)
class ContactAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "customer",
        "title",
        "buying_role",
        "influence",
        "relationship_strength",
        "attitude",
    ]
    list_filter = ["buying_role", "attitude"]
    search_fields = ["name", "name_pinyin", "name_initials", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "kind",
        "customer",
        "by",
        "follow_up_on",
        "follow_up_done_at",
        "distance_m",
    ]
    list_filter = ["kind", "occurred_at"]
    search_fields = ["customer__name", "summary"]
    autocomplete_fields = ["customer", "by", "contacts"]
    list_select_related = ["customer", "by"]
    date_hierarchy = "occurred_at"

    @admin.display(description=_("distance to the customer’s site (m)"))
    def distance_m(self, visit: Visit) -> int | None:
        return visit.checkin_distance_m  # the customer comes with the row (list_select_related)


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["reference", "occurred_on", "customer", "amount", "margin"]
    list_filter = ["occurred_on"]
    search_fields = ["reference", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]
    date_hierarchy = "occurred_on"


@admin.register(CompetitorPresence)
class CompetitorPresenceAdmin(admin.ModelAdmin):
    list_display = ["competitor", "customer", "share_of_wallet", "updated_at"]
    search_fields = ["competitor", "customer__name"]
    autocomplete_fields = ["customer"]
