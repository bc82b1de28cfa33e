"""Query-string filters of the payment-collection API lists.

A value that is not valid (`customer=abc`, an unknown source, a date that is no date) is a 400
naming the parameter. The filters narrow a queryset that already comes from `visible_to(user)`.
"""

from django_filters import rest_framework as filters

from web.filters import IdFilter

from .models import Payment, PaymentPlan, PaymentSource


class PaymentPlanFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text="The customer's id.")
    opportunity = IdFilter(field_name="opportunity_id", help_text="The opportunity's id.")

    class Meta:
        model = PaymentPlan
        fields = ["customer", "opportunity"]


class PaymentFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text="The customer's id.")
    reference = filters.CharFilter(help_text="The external reference, exactly.")
    source = filters.ChoiceFilter(choices=PaymentSource.choices)
    received_from = filters.DateFilter(
        field_name="received_on", lookup_expr="gte", help_text="On or after this day."
    )
    received_to = filters.DateFilter(
        field_name="received_on", lookup_expr="lte", help_text="On or before this day."
    )

    class Meta:
        model = Payment
        fields = ["customer", "reference", "source"]
