"""REST endpoints of account reviews under /api/v1/: reviews with their agreed actions, and the
actions on their own (a list to work from, and …/done/ to tick one off).

Every queryset starts from the customers the caller may see, so a review or action they may not
see is a 404 on every endpoint and never listed. Whoever sees the customer may write its reviews
(as they may edit the customer); deleting one needs its author, the customer's owner, their
manager or an admin (else 403). Writes are `servicing.services` calls.
"""

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Customer
from web.filters import IdFilter, TrueFalseFilter
from web.viewsets import ModelViewSet

from . import selectors, services
from .models import AccountReview, ReviewAction
from .review_serializers import AccountReviewSerializer, ReviewActionItemSerializer


class AccountReviewFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text="The customer's id.")

    class Meta:
        model = AccountReview
        fields = ["customer"]


class ReviewActionFilter(filters.FilterSet):
    review = IdFilter(field_name="review_id", help_text="The review's id.")
    customer = IdFilter(field_name="review__customer_id", help_text="The customer's id.")
    owner = IdFilter(field_name="owner_id", help_text="The owner's user id.")
    open = TrueFalseFilter(
        field_name="done_at", lookup_expr="isnull", help_text="true: not done yet; false: done."
    )

    class Meta:
        model = ReviewAction
        fields = ["review", "customer", "owner", "open"]


def _saved(write):
    """Run a review write; refused actions are a 400 in DRF's nested shape, one entry per row."""
    try:
        return write()
    except services.ActionRowsInvalid as error:
        raise serializers.ValidationError({"actions": error.rows}) from error


@extend_schema(tags=["account reviews"])
class AccountReviewViewSet(ModelViewSet):
    """Periodic reviews (大客户定期评估) of the customers the caller may see, newest first.

    Whoever sees the customer may create and change its reviews (as they may edit the customer).
    Deleting one needs its author, the customer's owner, their manager or an admin (else 403)."""

    serializer_class = AccountReviewSerializer
    filterset_class = AccountReviewFilter

    def get_queryset(self):
        reviews = AccountReview.objects.visible_to(self.request.user).select_related("customer", "created_by")
        return (
            selectors.reviews_with_figures(reviews)
            .prefetch_related(
                Prefetch(
                    "actions", queryset=ReviewAction.objects.select_related("owner").order_by("due_on", "id")
                ),
                Prefetch(
                    "customer__account_plans",
                    queryset=selectors.account_plans_with_objectives(),
                    to_attr="plans_loaded",
                ),
            )
            .order_by("-reviewed_on", "-id")
        )

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        customer = fields.pop("customer")
        rows = serializer.action_rows(fields.pop("actions", []))
        review = _saved(
            lambda: services.review_create(customer=customer, by=self.request.user, actions=rows, **fields)
        )
        serializer.instance = self.reload(review)

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        fields.pop("customer", None)
        actions = fields.pop("actions", None)
        rows = None if actions is None else serializer.action_rows(actions)
        review = _saved(
            lambda: services.review_update(
                review=serializer.instance, by=self.request.user, actions=rows, **fields
            )
        )
        serializer.instance = self.reload(review)

    def perform_destroy(self, instance):
        services.review_delete(review=instance, by=self.request.user)


@extend_schema(tags=["account reviews"])
class ReviewActionViewSet(viewsets.ReadOnlyModelViewSet):
    """Actions agreed in the reviews of the customers the caller may see, soonest due first
    (no due date last). They are written with their review; …/done/ ticks one off."""

    serializer_class = ReviewActionItemSerializer
    filterset_class = ReviewActionFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        visible = Customer.objects.visible_to(self.request.user)
        return (
            ReviewAction.objects.filter(review__customer__in=visible)
            .select_related("owner", "review__customer")
            .order_by("due_on", "id")
        )

    @extend_schema(request=None, responses={200: ReviewActionItemSerializer})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """Tick the action off; doing it again keeps the first time."""
        done = services.review_action_done(action=self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=done.pk)).data)
