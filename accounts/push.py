"""Records pushed by another system (an ERP) keyed by its reference: one object, or a batch.

Transactions (accounts) and payments (receivables) take the same contract, so it is written
once here: `POST` one object or a JSON array of up to `push_max`; a reference seen before
updates that record instead of adding a second one, so re-sending a batch is safe; an array is
written whole or not at all, with every bad row's index and field errors; a customer the caller
cannot see, or a reference already used at such a customer, is an error of that row. Checking a
batch takes a fixed number of queries, whatever its size.
"""

from dataclasses import asdict

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from web.filters import BIGINT_MAX
from web.serializers import id_or_none

from .models import Customer

PUSH_MAX = 5000
BATCH_ERRORS = (
    'One object: field → messages, as everywhere. An array: `{"errors": [{"index": 3, "errors": '
    '{"amount": ["…"]}}]}`, one entry per bad row (index from 0); an empty or oversized array: '
    '`{"non_field_errors": ["…"]}`.'
)


def push_schema(*, name: str, summary: str, serializer, result, errors, responses: dict | None = None):
    """The OpenAPI description of a push endpoint's `create`."""
    return extend_schema(
        summary=summary,
        request=PolymorphicProxySerializer(
            component_name=f"{name}Push",
            serializers=[serializer, serializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: PolymorphicProxySerializer(
                component_name=f"{name}PushResult",
                serializers=[serializer, result],
                resource_type_field_name=None,
                many=False,
            ),
            200: serializer,
            400: OpenApiResponse(errors, description=BATCH_ERRORS),
            **(responses or {}),
        },
    )


class KeyedPushMixin:
    """`create` for a ModelViewSet whose serializer has `to_row()` and whose rows have a
    `customer_id` and a `reference`. Set `push_model` and the three messages, and define
    `push_rows(rows)`: write the valid rows through the service, returning its dataclass of
    counts (created, updated, …), which a batch answers with."""

    push_model: type[Model]
    push_max = PUSH_MAX
    push_empty_message: str  # "Send at least one …"
    push_too_many_message: str  # "Send at most %(max)d … at a time."
    push_taken_message: str  # "A … with this reference already exists."

    def create(self, request, *args, **kwargs):
        if not isinstance(request.data, list):
            rows, errors = self.validate_rows([request.data])
            if errors:
                raise exceptions.ValidationError(errors[0]["errors"])
            result = self.push_rows(rows)
            record = self.get_queryset().get(reference=rows[0].reference)
            return Response(
                self.get_serializer(record).data,
                status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            )
        if not request.data:
            raise exceptions.ValidationError({"non_field_errors": [self.push_empty_message]})
        if len(request.data) > self.push_max:
            message = self.push_too_many_message % {"max": self.push_max}
            raise exceptions.ValidationError({"non_field_errors": [message]})
        rows, errors = self.validate_rows(request.data)
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(asdict(self.push_rows(rows)), status=status.HTTP_201_CREATED)

    def validate_rows(self, data: list) -> tuple[list, list[dict]]:
        """Every row checked, in a fixed number of queries: the valid rows, and the errors of
        the others as `[{"index": i, "errors": {field: [message]}}]`."""
        visible = Customer.objects.visible_to(self.request.user)
        ids = {id_or_none(item.get("customer")) for item in data if isinstance(item, dict)}
        customers = visible.in_bulk([pk for pk in ids if pk is not None and 0 < pk <= BIGINT_MAX])
        context = {**self.get_serializer_context(), "visible_customers": customers}
        serializer_class = self.get_serializer_class()
        valid, errors = {}, {}
        for index, item in enumerate(data):
            serializer = serializer_class(data=item, context=context)
            if serializer.is_valid():
                valid[index] = serializer.to_row()
            else:
                errors[index] = serializer.errors
        taken = self._references_of_hidden_customers(visible, {row.reference for row in valid.values()})
        for index, row in valid.items():
            if row.reference in taken:
                errors[index] = {"reference": [self.push_taken_message]}
        rows = [row for index, row in valid.items() if index not in errors]
        return rows, [{"index": index, "errors": errors[index]} for index in sorted(errors)]

    def _references_of_hidden_customers(self, visible: QuerySet[Customer], references: set[str]) -> set[str]:
        """The references already used at customers outside `visible`: writing them would move
        another team's record, so they are refused (as taken)."""
        references = sorted(references)
        taken: set[str] = set()
        for start in range(0, len(references), 1000):  # stay under SQLite's bound-parameter limit
            taken.update(
                self.push_model.objects.filter(reference__in=references[start : start + 1000])
                .exclude(customer__in=visible)
                .values_list("reference", flat=True)
            )
        return taken


class PushedRowSerializerMixin:
    """For the serializer of a pushed record (an ApiModelSerializer): the reference is the key,
    so a known one is an update rather than a uniqueness error (set `extra_kwargs =
    {"reference": {"validators": []}}`) and cannot change on an update; `row_fields` are the
    model fields the service's row takes, for `merged_data`."""

    row_fields: tuple[str, ...]

    def validate_reference(self, reference):
        return self.unchanged_on_update(reference, "reference")

    def merged_data(self) -> dict:
        """The validated data, merged over the instance on update: what the row is to be."""
        data = {}
        if self.instance is not None:
            data = {name: getattr(self.instance, name) for name in self.row_fields}
        data.update(self.validated_data)
        return data
