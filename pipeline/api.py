"""REST endpoints of the pipeline under /api/v1/: opportunities with their moves, gate and
history, the forecast, and account plans.

Every queryset starts from `visible_to(user)`, so an opportunity or plan the caller may not
see is a 404 on every endpoint (moves, gate and history included) and never listed. Writes are
`pipeline.services` calls; the serializers only validate and shape.
"""

from django.db.models import Prefetch
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Tier
from web.viewsets import ModelViewSet

from . import selectors, services
from .filters import MONTH, AccountPlanFilter, ForecastFilter, OpportunityFilter
from .models import AccountPlan, Opportunity, PlanAction, PlanObjective, next_stage
from .serializers import (
    AccountPlanSerializer,
    ForecastSerializer,
    GateCheckSerializer,
    GateItemSerializer,
    GateSerializer,
    LoseSerializer,
    MoveRefusedSerializer,
    MoveSerializer,
    OpportunitySerializer,
    StageChangeSerializer,
)

FIELD_ERRORS = "Field → messages."


def _gate(opportunity: Opportunity) -> dict:
    items = services.gate_status(opportunity=opportunity)
    return {
        "stage": opportunity.stage,
        "next_stage": next_stage(opportunity.stage),
        "met": all(item.met for item in items),
        "items": items,
    }


def _owner_kept(moved: Opportunity, read: Opportunity) -> Opportunity:
    """A move never changes the owner: the answer names them from the row already read."""
    if moved.owner_id == read.owner_id:
        moved.owner = read.owner
    return moved


@extend_schema(tags=["opportunities"])
class OpportunityViewSet(ModelViewSet):
    """Opportunities at the customers the caller may see. The stage changes only through
    …/move/ and …/lose/. Deleting needs the opportunity's owner, their manager, or the
    customer's owner, their manager or an admin (else 403)."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter

    def get_queryset(self):
        return Opportunity.objects.visible_to(self.request.user).select_related("customer", "owner")

    def perform_create(self, serializer):
        serializer.instance = services.opportunity_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        fields = {name: value for name, value in serializer.validated_data.items() if name != "customer"}
        serializer.instance = services.opportunity_update(
            opportunity=serializer.instance, by=self.request.user, **fields
        )

    def perform_destroy(self, instance):
        services.opportunity_delete(opportunity=instance, by=self.request.user)

    @extend_schema(
        request=MoveSerializer,
        responses={
            200: OpportunitySerializer,
            400: OpenApiResponse(
                MoveRefusedSerializer,
                description="The gate is not met (this body), or: an unknown or non-adjacent stage, "
                "a closed opportunity, lost without a reason (field → messages).",
            ),
            403: OpenApiResponse(description="Only managers and admins may override an unmet gate."),
        },
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move one stage forward (won only from closing) or to lost (with a `reason`).

        An unmet gate refuses the move with its unmet items; a manager or admin may skip it
        with an `override_reason`, recorded with the move.
        """
        opportunity = self.get_object()
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            moved = services.opportunity_move(
                opportunity_id=opportunity.pk, by=request.user, **body.validated_data
            )
        except services.GateNotMet as refused:
            return Response(
                {
                    **refused.message_dict,
                    "unmet_gate_items": GateItemSerializer(refused.unmet, many=True).data,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(self.get_serializer(_owner_kept(moved, opportunity)).data)

    @extend_schema(
        request=LoseSerializer,
        responses={
            200: OpportunitySerializer,
            400: OpenApiResponse(description="No reason, or the opportunity is closed. " + FIELD_ERRORS),
        },
    )
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        """Close the opportunity as lost (终止), from any open stage, with a reason."""
        opportunity = self.get_object()
        body = LoseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lost = services.opportunity_lose(
            opportunity_id=opportunity.pk, by=request.user, reason=body.validated_data["reason"]
        )
        return Response(self.get_serializer(_owner_kept(lost, opportunity)).data)

    @extend_schema(methods=["GET"], request=None, responses=GateSerializer)
    @extend_schema(
        methods=["POST"],
        request=GateCheckSerializer,
        responses={
            200: GateSerializer,
            400: OpenApiResponse(
                description="An unknown item, an item met by the data, or one of another stage. "
                + FIELD_ERRORS
            ),
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def gate(self, request, pk=None):
        """The current stage's gate checklist. POST ticks or unticks a hand-checked item."""
        opportunity = self.get_object()
        if request.method == "POST":
            body = GateCheckSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.gate_check_set(opportunity=opportunity, by=request.user, **body.validated_data)
        return Response(GateSerializer(_gate(opportunity)).data)

    @extend_schema(responses=StageChangeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """Every stage change, oldest first: who, when, from, to, and any gate override."""
        opportunity = self.get_object()
        changes = opportunity.stage_changes.select_related("by").order_by("at", "id")
        return Response(StageChangeSerializer(changes, many=True).data)


@extend_schema(tags=["opportunities"])
class ForecastView(APIView):
    """The weighted pipeline (Σ amount × probability) of the open opportunities the caller may
    see, by month of expected close, owner and team, with the win rate and days per stage."""

    @extend_schema(
        parameters=[
            OpenApiParameter("owner", OpenApiTypes.INT, description="The owner's user id."),
            OpenApiParameter(
                "team", OpenApiTypes.INT, description="A team's id: its members' opportunities."
            ),
            OpenApiParameter("region", OpenApiTypes.STR, description="The customer's region."),
            OpenApiParameter("tier", OpenApiTypes.STR, enum=Tier.values, description="The customer's tier."),
            OpenApiParameter("close_month", OpenApiTypes.STR, pattern=MONTH.pattern, description="YYYY-MM."),
        ],
        responses={200: ForecastSerializer, 400: OpenApiResponse(description="A filter is not valid.")},
    )
    def get(self, request):
        filterset = ForecastFilter(request.query_params, queryset=Opportunity.objects.none())
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        result = selectors.forecast(user=request.user, filters=filterset.to_filters())
        return Response(ForecastSerializer(result).data)


@extend_schema(tags=["account plans"])
class AccountPlanViewSet(ModelViewSet):
    """Joint business plans (联合生意计划) of the customers the caller may see. Deleting needs
    the plan's author, the customer's owner, their manager or an admin (else 403)."""

    serializer_class = AccountPlanSerializer
    filterset_class = AccountPlanFilter

    def get_queryset(self):
        return (
            AccountPlan.objects.visible_to(self.request.user)
            .select_related("customer", "created_by")
            .prefetch_related(
                Prefetch("objectives", queryset=PlanObjective.objects.order_by("id")),
                Prefetch(
                    "actions", queryset=PlanAction.objects.select_related("owner").order_by("due_on", "id")
                ),
            )
        )

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        lists = {name: fields.pop(name, None) for name in ("objectives", "actions")}
        plan = services.account_plan_save(plan=AccountPlan(**fields), by=self.request.user, **lists)
        serializer.instance = self.reload(plan)

    def perform_update(self, serializer):
        plan = serializer.instance
        fields = dict(serializer.validated_data)
        lists = {name: fields.pop(name, None) for name in ("objectives", "actions")}
        for name, value in fields.items():
            setattr(plan, name, value)
        plan = services.account_plan_save(plan=plan, by=self.request.user, **lists)
        serializer.instance = self.reload(plan)

    def perform_destroy(self, instance):
        services.account_plan_delete(plan=instance, by=self.request.user)
