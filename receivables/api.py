"""REST endpoints of payment collection under /api/v1/: payment plans, payments, and a
customer's receivables.

Who may do what:
- Everyone signed in reads the plans, payments and receivables of the customers they may see;
  everything else is a 404, as for every record under a customer.
- A payment plan is written (created, changed, deleted) by whoever may edit its opportunity's
  deal: the opportunity's owner or their manager, the customer's owner or their manager, and
  admins (`services.can_edit_plan`). Account-team members and other managers get 403.
- Payments are written by managers and admins only (`services.can_record_payments`); a rep
  gets 403 on every write. An ERP or other integration pushes with the API token of such a
  user, and sees, like that user, only the customers that user may see.

Every queryset starts from `visible_to(user)`. Writes are `receivables.services` calls, which
rebuild the customer's allocation in the same transaction.
"""

from django.db.models import Prefetch, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Customer
from accounts.push import PUSH_MAX, KeyedPushMixin, push_schema
from web.viewsets import ModelViewSet

from . import selectors, services
from .filters import PaymentFilter, PaymentPlanFilter
from .models import Installment, Payment, PaymentPlan
from .serializers import (
    REFERENCE_TAKEN,
    PaymentBatchErrorSerializer,
    PaymentBatchResultSerializer,
    PaymentPlanSerializer,
    PaymentSerializer,
    ReceivablesSerializer,
)

PAYMENT_BATCH_MAX = PUSH_MAX
MONEY = selectors.MONEY


class PlanEditors(permissions.BasePermission):
    """Reading for everyone who sees the plan; writing for whoever may edit its deal."""

    message = _("Only the opportunity's owner, their manager or an admin can change its payment plan.")

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or services.can_edit_plan(
            request.user, obj.opportunity
        )


class PaymentWriters(permissions.BasePermission):
    """Reading for everyone; recording, correcting and deleting payments for managers and admins."""

    message = _("Only managers and admins can record payments.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or services.can_record_payments(request.user)


@extend_schema(tags=["payment collection"])
class PaymentPlanViewSet(ModelViewSet):
    """Payment plans (回款计划) of won opportunities at the customers the caller may see.

    Written by whoever may edit the deal: the opportunity's owner or their manager, the
    customer's owner or their manager, an admin (else 403). The installments add up exactly to
    the contract amount (else 400 naming both sums). The amounts and due dates can change, and
    the plan can be deleted, until money is applied to it (then 400); the contract number,
    signing date and notes always can."""

    serializer_class = PaymentPlanSerializer
    filterset_class = PaymentPlanFilter
    permission_classes = [permissions.IsAuthenticated, PlanEditors]

    def get_queryset(self):
        return (
            PaymentPlan.objects.visible_to(self.request.user)
            .select_related("opportunity__customer", "customer", "created_by")
            .prefetch_related(Prefetch("installments", queryset=Installment.objects.order_by("due_on", "id")))
        )

    def perform_create(self, serializer):
        plan = services.plan_create(
            opportunity=serializer.validated_data["opportunity"],
            by=self.request.user,
            **serializer.service_fields(),
        )
        serializer.instance = self.reload(plan)

    def perform_update(self, serializer):
        plan = services.plan_update(
            plan=serializer.instance, by=self.request.user, **serializer.service_fields()
        )
        serializer.instance = self.reload(plan)

    def perform_destroy(self, instance):
        services.plan_delete(plan=instance, by=self.request.user)


@extend_schema(tags=["payment collection"])
class PaymentViewSet(KeyedPushMixin, ModelViewSet):
    """Payments received from the customers the caller may see, keyed by their reference.
    Managers and admins (and integrations with such a user's token) record, correct and delete
    them; reps read them (writes: 403)."""

    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    permission_classes = [permissions.IsAuthenticated, PaymentWriters]

    def get_queryset(self):
        # An aggregate drops Meta.ordering: newest first, said again.
        return (
            Payment.objects.visible_to(self.request.user)
            .annotate(
                applied_amount=Coalesce(
                    Sum("applications__amount"), Value(selectors.ZERO), output_field=MONEY
                )
            )
            .order_by("-received_on", "-id")
        )

    push_model = Payment
    push_empty_message = _("Send at least one payment.")
    push_too_many_message = _("Send at most %(max)d payments at a time.")
    push_taken_message = REFERENCE_TAKEN

    @push_schema(
        name="Payment",
        summary="Record one payment, or push a batch",
        serializer=PaymentSerializer,
        result=PaymentBatchResultSerializer,
        errors=PaymentBatchErrorSerializer,
        responses={403: OpenApiResponse(description="Only managers and admins record payments.")},
    )
    def create(self, request, *args, **kwargs):
        """One object, or an array of up to 5,000 (an ERP push).

        A reference seen before updates that payment instead of adding a second one, and the
        same row again changes nothing, so re-sending a batch is safe. One object: 201 with the
        new payment, or 200 with the known one. An array is written whole or not at all: 201
        with `{"created": n, "updated": m, "unchanged": k}` when every row is valid, else 400
        with every bad row's index and field errors and nothing written. A customer the caller
        cannot see, or a reference already used at such a customer, is an error of that row.
        Every payment is applied to the customer's open installments, oldest due first.
        """
        return super().create(request, *args, **kwargs)

    def push_rows(self, rows):
        return services.payments_upsert(rows=rows, by=self.request.user)

    def perform_update(self, serializer):
        # The reference cannot change (the serializer refuses it), so this updates in place.
        fields = {name: value for name, value in serializer.validated_data.items() if name != "reference"}
        payment = services.payment_update(payment=serializer.instance, by=self.request.user, **fields)
        serializer.instance = self.reload(payment)

    def perform_destroy(self, instance):
        services.payment_delete(payment=instance, by=self.request.user)


@extend_schema(tags=["payment collection"])
class CustomerReceivablesView(APIView):
    """A customer's receivables (回款) today: plans with their installments (paid, open,
    overdue, days past due), payments, totals, aging buckets and the credit-risk flag."""

    @extend_schema(responses={200: ReceivablesSerializer})
    def get(self, request, pk: int):
        customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
        summary = selectors.customer_receivables(customer=customer, today=timezone.localdate())
        return Response(ReceivablesSerializer(summary).data)
