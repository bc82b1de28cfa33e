from datetime import UTC, datetime

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Action, AuditEvent, Source
from .selectors import parse_object

EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, tzinfo=UTC)


class AuditEventFilter(django_filters.FilterSet):
    object = django_filters.CharFilter(
        method="filter_object", label="Object as type:id, e.g. customer:12, contact:7, opportunity:3, user:2."
    )
    customer = django_filters.NumberFilter(
        field_name="customer_id",
        label="Everything under a customer: the customer, its contacts and opportunities.",
    )
    source = django_filters.ChoiceFilter(choices=Source.choices)
    action = django_filters.ChoiceFilter(choices=Action.choices)
    actor = django_filters.NumberFilter(field_name="actor_id")
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", method="filter_since")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", method="filter_until")

    class Meta:
        model = AuditEvent
        fields = ["object", "customer", "source", "action", "actor", "since", "until"]

    def is_valid(self) -> bool:
        """A malformed `object` is a 400 with the field's message, like any other filter."""
        if not super().is_valid():
            return False
        for name in ("since", "until"):
            moment = self.form.cleaned_data.get(name)
            if moment is not None and not EARLIEST <= moment <= LATEST:
                self.form.add_error(name, _("Enter a time between 1900 and 2999."))
                return False
        value = self.form.cleaned_data.get("object")
        if value:
            try:
                parse_object(value)
            except ValueError as error:
                # As a parameter, not as the message: django-filter %-formats every message
                # with its params, and the type the user sent may hold a "%".
                self.form.add_error("object", ValidationError("%(message)s", params={"message": str(error)}))
                return False
        return True

    # Compared in UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows.
    def filter_since(self, queryset, name, value):
        return queryset.filter(at__gte=value.astimezone(UTC))

    def filter_until(self, queryset, name, value):
        return queryset.filter(at__lt=value.astimezone(UTC))

    def filter_object(self, queryset, name, value):
        object_type, object_id = parse_object(value)
        return queryset.filter(object_type=object_type, object_id=object_id)
