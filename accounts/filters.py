"""Query-string filters of the accounts API lists.

A value that is not valid (an unknown tier, `owner=abc`, `is_key_account=maybe`, an unknown
ordering) is a 400 naming the parameter, never silently ignored. The filters narrow a
queryset that already comes from `visible_to(user)`; they never widen it.
"""

from django_filters import rest_framework as filters

from web.filters import IdFilter, TrueFalseFilter

from .models import AbcClass, Contact, Customer, CustomerStatus, Tier, Transaction, Visit, VisitKind
from .selectors import CUSTOMER_ORDERINGS, customer_ordering, customer_search, name_match, with_credit_risk


class CustomerFilter(filters.FilterSet):
    tier = filters.ChoiceFilter(choices=Tier.choices)
    abc_class = filters.ChoiceFilter(choices=AbcClass.choices)
    status = filters.ChoiceFilter(choices=CustomerStatus.choices)
    region = filters.CharFilter()
    industry = filters.CharFilter()
    owner = IdFilter(field_name="owner_id", help_text="The owner's user id.")
    is_key_account = TrueFalseFilter()
    credit_risk = TrueFalseFilter(
        method="filter_credit_risk",
        help_text="true: customers with money open more than 30 days past due today (payment "
        "collection); false: the others.",
    )
    fit_score_min = filters.NumberFilter(
        field_name="fit_score",
        lookup_expr="gte",
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text="Fit score (experience method 经历推算法) at least this, 0–100; "
        "customers not scored yet are left out.",
    )
    search = filters.CharFilter(
        method="filter_search",
        help_text="Part of the customer's or a contact's name, in characters, pinyin or pinyin initials "
        "(南京, nanjing, nj).",
    )
    ordering = filters.ChoiceFilter(
        choices=[(name, name) for name in CUSTOMER_ORDERINGS],
        method="filter_ordering",
        help_text="Sort order; `-` for descending. Default: name (in pinyin order).",
    )

    class Meta:
        model = Customer
        fields = ["tier", "abc_class", "status", "region", "industry", "owner", "is_key_account"]

    def filter_search(self, queryset, name, value: str):
        return customer_search(queryset, value)

    def filter_credit_risk(self, queryset, name, value: bool):
        return with_credit_risk(queryset, value)

    def filter_ordering(self, queryset, name, value: str):
        return queryset  # applied in filter_queryset: name order depends on the search too

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return queryset.order_by(
            *customer_ordering(data.get("ordering") or "name", search=data.get("search") or "")
        )


class ContactFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text="The customer's id.")
    search = filters.CharFilter(
        method="filter_search", help_text="Part of the name, in characters, pinyin or pinyin initials."
    )

    class Meta:
        model = Contact
        fields = ["customer"]

    def filter_search(self, queryset, name, value: str):
        value = value.strip()
        return queryset.filter(name_match(value)) if value else queryset


class VisitFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text="The customer's id.")
    by = IdFilter(field_name="by_id", help_text="The id of the user who logged the visit.")
    kind = filters.ChoiceFilter(choices=VisitKind.choices)
    follow_up_open = TrueFalseFilter(
        method="filter_follow_up_open",
        help_text="true: a follow-up date is set and not done yet; false: everything else.",
    )
    occurred_from = filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", help_text="On or after this day."
    )
    occurred_to = filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", help_text="On or before this day."
    )

    class Meta:
        model = Visit
        fields = ["customer", "by", "kind"]

    def filter_follow_up_open(self, queryset, name, value: bool):
        if value:
            return queryset.follow_ups_open()
        return queryset.exclude(pk__in=Visit.objects.follow_ups_open().values("pk"))


class TransactionFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text="The customer's id.")
    reference = filters.CharFilter(help_text="The ERP's reference, exactly.")
    occurred_from = filters.DateFilter(
        field_name="occurred_on", lookup_expr="gte", help_text="On or after this day."
    )
    occurred_to = filters.DateFilter(
        field_name="occurred_on", lookup_expr="lte", help_text="On or before this day."
    )

    class Meta:
        model = Transaction
        fields = ["customer", "reference"]
