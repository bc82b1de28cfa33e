"""REST endpoints for customers, contacts, visits and transactions under /api/v1/.

Every queryset starts from the model's `visible_to(user)`, so a record the caller may not see
is a 404 on retrieve, update and delete and never appears in a list, a search or a filter.
Writes are `accounts.services` calls; the serializers only validate and shape.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from users.models import User
from web.api import IdsFirstPagination
from web.viewsets import ModelViewSet

from . import selectors, services
from .filters import ContactFilter, CustomerFilter, TransactionFilter, VisitFilter
from .models import Contact, FitCriterion, IndustryFit, Transaction, Visit
from .push import PUSH_MAX, KeyedPushMixin, push_schema
from .selectors import customer_list
from .serializers import (
    ContactSerializer,
    CustomerSerializer,
    FitCriterionSerializer,
    IndustryFitSerializer,
    PossibleDuplicateSerializer,
    PossibleDuplicatesQuerySerializer,
    ShortlistQuerySerializer,
    ShortlistSerializer,
    TransactionBatchErrorSerializer,
    TransactionBatchResultSerializer,
    TransactionSerializer,
    VisitSerializer,
)

TRANSACTION_BATCH_MAX = PUSH_MAX


@extend_schema(tags=["customers"])
class CustomerViewSet(ModelViewSet):
    """Customers the caller may see: their own, their account teams', and for a manager those
    of their teams' members. Deleting needs the owner, their manager or an admin (else 403);
    a customer with transactions cannot be deleted (400)."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    pagination_class = IdsFirstPagination  # each row joins its standing, owner and last visit

    def get_queryset(self):
        # The ticks come with a query of their own, as the team does (a portable array
        # aggregate would need PostgreSQL); a page of customers is one query more, not one per row.
        return customer_list(user=self.request.user).prefetch_related(
            Prefetch("account_team", queryset=User.objects.only("id")),
            Prefetch("fit_criteria", queryset=FitCriterion.objects.only("id", "is_active")),
        )

    def perform_create(self, serializer):
        customer = services.customer_create(by=self.request.user, **serializer.validated_data)
        serializer.instance = self.reload(customer)

    def perform_update(self, serializer):
        customer = services.customer_update(
            customer=serializer.instance, by=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.reload(customer)

    def perform_destroy(self, instance):
        services.customer_delete(customer=instance, by=self.request.user)

    @extend_schema(
        parameters=[PossibleDuplicatesQuerySerializer],
        responses={200: PossibleDuplicateSerializer(many=True)},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="possible-duplicates", pagination_class=None)
    def possible_duplicates(self, request, format=None):
        """Customers whose names are close to `name` (可能重复), closest first, at most 5: to
        warn before creating a customer, which this never refuses (a name that is the same
        company is refused by the create, `same_company`). Customers the caller cannot see are
        included with their name and owner but no id, as a refused duplicate names them."""
        query = PossibleDuplicatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        matches = selectors.customer_possible_duplicates(user=request.user, name=query.validated_data["name"])
        return Response(PossibleDuplicateSerializer(matches, many=True).data)

    @extend_schema(
        parameters=[ShortlistQuerySerializer],
        responses={200: ShortlistSerializer(many=True)},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="shortlist")
    def shortlist(self, request, format=None):
        """The new-market shortlist (经历推算法): the prospects the caller may see with no sales in
        the last 12 months (their transactions in that window sum to 0 or less), by `fit_score`,
        best first (not yet scored last), then name in pinyin order; filtered by `industry`,
        `region` and `owner`, paginated like every list."""
        query = ShortlistQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = selectors.ShortlistFilters(**query.validated_data)
        page = self.paginate_queryset(selectors.new_market_shortlist(user=request.user, filters=filters))
        context = {**self.get_serializer_context(), "fit_items": selectors.active_fit_criteria().count()}
        return self.get_paginated_response(ShortlistSerializer(page, many=True, context=context).data)


# --- The experience method's reference data (经历推算法) ----------------------------------------


class CanEditIndustryFits(permissions.BasePermission):
    """Everyone signed in reads the industry fit table; managers and admins change it (else 403)."""

    message = _("Only managers and admins can change the industry fit table.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or services.can_edit_industry_fits(request.user)


class CanEditFitCriteria(permissions.BasePermission):
    """Everyone signed in reads the checklist's items; admins change them (else 403)."""

    message = _("Only admins can change the customer-fit checklist.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or services.can_edit_fit_criteria(request.user)


@extend_schema(tags=["experience method"])
class IndustryFitViewSet(ModelViewSet):
    """The industry fit table (经历推算法): per industry, its need for what we sell and our
    capability, 1–5 each, and the industry fit they give. Everyone signed in reads it; managers
    and admins add, change and delete rows (others: 403). An industry is in the table once (a
    second row for it is a 400)."""

    serializer_class = IndustryFitSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditIndustryFits]
    queryset = IndustryFit.objects.order_by("industry", "id")

    def perform_create(self, serializer):
        serializer.instance = services.industry_fit_save(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.industry_fit_save(
            by=self.request.user, industry_fit=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.industry_fit_delete(by=self.request.user, industry_fit=instance)


@extend_schema(tags=["experience method"])
class FitCriterionViewSet(ModelViewSet):
    """The customer-fit checklist's items and their weights, in checklist order. Everyone
    signed in reads them; admins add and change them (others: 403). Deactivating an item
    (`is_active: false`) keeps its ticks; an item that was ever ticked cannot be deleted (400)."""

    serializer_class = FitCriterionSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditFitCriteria]
    queryset = FitCriterion.objects.order_by("position", "id")

    def perform_create(self, serializer):
        serializer.instance = services.fit_criterion_save(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.fit_criterion_save(
            by=self.request.user, criterion=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.fit_criterion_delete(by=self.request.user, criterion=instance)


@extend_schema(tags=["contacts"])
class ContactViewSet(ModelViewSet):
    """Contacts of the customers the caller may see. A contact stays with its customer."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter

    def get_queryset(self):
        return Contact.objects.visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.contact_save(contact=Contact(**serializer.validated_data))

    def perform_update(self, serializer):
        contact = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(contact, name, value)
        serializer.instance = services.contact_save(contact=contact)


@extend_schema(tags=["visits"])
class VisitViewSet(ModelViewSet):
    """Visits, calls and meetings at the customers the caller may see, logged by the caller.
    A visit stays with its customer; its contacts must be that customer's."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilter

    def get_queryset(self):
        return (
            Visit.objects.visible_to(self.request.user)
            .with_site()  # the customer's site, for each check-in's distance
            .select_related("by")
            .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("id")))
        )

    def perform_create(self, serializer):
        serializer.instance = services.visit_log(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        fields = {name: value for name, value in serializer.validated_data.items() if name != "customer"}
        serializer.instance = services.visit_update(visit=serializer.instance, **fields)

    @extend_schema(
        request=None,
        responses={200: VisitSerializer, 400: OpenApiResponse(description="The visit has no follow-up.")},
    )
    @action(detail=True, methods=["post"], url_path="follow-up-done")
    def follow_up_done(self, request, pk=None, format=None):
        """Tick off the visit's follow-up; doing it again keeps the first time."""
        visit = services.follow_up_mark_done(visit=self.get_object(), by=request.user)
        return Response(self.get_serializer(visit).data)


@extend_schema(tags=["transactions"])
class TransactionViewSet(KeyedPushMixin, ModelViewSet):
    """Order and invoice lines of the customers the caller may see, keyed by the ERP's reference."""

    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter

    def get_queryset(self):
        return Transaction.objects.visible_to(self.request.user)

    push_model = Transaction
    push_empty_message = _("Send at least one transaction.")
    push_too_many_message = _("Send at most %(max)d transactions at a time.")
    push_taken_message = _("A transaction with this reference already exists.")

    @push_schema(
        name="Transaction",
        summary="Create or update one transaction, or push a batch",
        serializer=TransactionSerializer,
        result=TransactionBatchResultSerializer,
        errors=TransactionBatchErrorSerializer,
    )
    def create(self, request, *args, **kwargs):
        """One object, or an array of up to 5,000 (an ERP push).

        A reference seen before updates that transaction instead of adding a second one, so
        re-sending a batch is safe. One object: 201 with the new transaction, or 200 with the
        updated one. An array is written whole or not at all: 201 with
        `{"created": n, "updated": m}` when every row is valid, else 400 with every bad row's
        index and field errors and nothing written. A customer the caller cannot see, or a
        reference already used at such a customer, is an error of that row.
        """
        return super().create(request, *args, **kwargs)

    def push_rows(self, rows):
        return services.transactions_upsert(rows=rows)

    def perform_update(self, serializer):
        # The reference cannot change (the serializer refuses it), so this updates in place.
        services.transactions_upsert(rows=[serializer.to_row()])
        serializer.instance = self.reload(serializer.instance)
