"""Scoring over REST: runs, the model, the summary and a customer's score history."""

from collections.abc import Callable

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Customer
from web.spreadsheets import table_csv

from . import dashboard, selectors, services
from .models import ScoringRun
from .serializers import (
    AgingPanelSerializer,
    CoveragePanelSerializer,
    DashboardFilterSerializer,
    PreviewSerializer,
    RunRequestSerializer,
    ScoreHistorySerializer,
    ScoringModelSerializer,
    ScoringRunSerializer,
    ScoringSettingsSerializer,
    SummarySerializer,
)


class CanTuneScoring(permissions.BasePermission):
    """Managers and admins may change the model and start runs (reps: 403)."""

    message = "Only managers and admins can do this."

    def has_permission(self, request, view):
        return selectors.can_tune_scoring(request.user)


class ReadOrTune(CanTuneScoring):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or super().has_permission(request, view)


@extend_schema(tags=["scoring"])
class ScoringRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Scoring runs, newest first. Anyone signed in may follow them; managers and admins start them."""

    serializer_class = ScoringRunSerializer
    permission_classes = [permissions.IsAuthenticated, ReadOrTune]
    queryset = ScoringRun.objects.select_related("model", "started_by").order_by("-created_at", "-id")
    filterset_fields = ["status"]
    ordering_fields = ["created_at"]

    @extend_schema(
        request=RunRequestSerializer,
        responses={
            202: OpenApiResponse(
                ScoringRunSerializer, description="Queued, or the run already queued or running."
            ),
            400: OpenApiResponse(description="Invalid as-of date."),
            403: OpenApiResponse(description="Reps cannot start runs."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Start a whole-population run (or get the one in flight: only one runs at a time)."""
        body = RunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run, _created = services.run_request(by=request.user, as_of=body.validated_data.get("as_of"))
        run.refresh_from_db()  # eager mode may have finished it already
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None, responses={202: ScoringRunSerializer, 400: OpenApiResponse(description="Not failed.")}
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed run again."""
        run = services.run_retry(run=self.get_object())
        run.refresh_from_db()
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["scoring"])
class ScoringModelView(APIView):
    """The active scoring model. Saving (PUT/PATCH, any subset of settings) creates a new version."""

    permission_classes = [permissions.IsAuthenticated, CanTuneScoring]

    @extend_schema(responses=ScoringModelSerializer)
    def get(self, request):
        return Response(ScoringModelSerializer(services.scoring_model_active()).data)

    @extend_schema(request=ScoringSettingsSerializer, responses={200: ScoringModelSerializer})
    def put(self, request):
        body = ScoringSettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        model = services.scoring_model_save(by=request.user, **body.validated_data)
        return Response(ScoringModelSerializer(model).data)

    @extend_schema(request=ScoringSettingsSerializer, responses={200: ScoringModelSerializer})
    def patch(self, request):
        return self.put(request)


@extend_schema(tags=["scoring"])
class ScoringPreviewView(APIView):
    """How many customers would change tier with these settings; nothing is saved."""

    permission_classes = [permissions.IsAuthenticated, CanTuneScoring]

    @extend_schema(request=ScoringSettingsSerializer, responses={200: PreviewSerializer})
    def post(self, request):
        body = ScoringSettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        settings = {k: v for k, v in body.validated_data.items() if k != "note"}
        return Response(PreviewSerializer(services.run_preview(settings=settings)).data)


@extend_schema(tags=["scoring"])
class ScoringSummaryView(APIView):
    """Tier and ABC counts with revenue shares, key accounts and concentration, over the
    customers the caller may see."""

    @extend_schema(responses=SummarySerializer)
    def get(self, request):
        return Response(SummarySerializer(selectors.scoring_summary(user=request.user)).data)


@extend_schema(tags=["scoring"])
class ScoreHistoryView(generics.GenericAPIView):
    """A customer's score, fit score, rank, tier and ABC class in every run, newest first (404 if
    not visible)."""

    serializer_class = ScoreHistorySerializer
    pagination_class = None
    queryset = Customer.objects.none()  # for the schema's path parameter; rows come from visible_to

    @extend_schema(responses=ScoreHistorySerializer(many=True))
    def get(self, request, pk: int):
        customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
        history = selectors.customer_score_history(customer=customer)
        return Response(ScoreHistorySerializer(history, many=True).data)


# The aggregates served by DashboardView; coverage and aging have routes and schemas of their own.
GENERIC_DASHBOARDS = [name for name in dashboard.NAMES if name not in ("coverage", "aging")]


@extend_schema(tags=["dashboard"])
class DashboardView(APIView):
    """One manager-dashboard aggregate over the customers the caller may see (a manager's
    numbers cover only their teams): pyramid, pareto, matrix, movements, concentration, churn,
    funnel, activity or trend. `?download=csv` returns the chart's table as CSV."""

    @extend_schema(
        parameters=[
            OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=GENERIC_DASHBOARDS),
            DashboardFilterSerializer,
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="`rows` (the chart's table) plus what the chart needs."
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="`?download=csv`: the table."),
            400: OpenApiResponse(description="Invalid filter values."),
        },
    )
    def get(self, request, name: str):
        if name not in GENERIC_DASHBOARDS:
            raise NotFound()
        params = DashboardFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        download = values.pop("download", None)
        data = dashboard.dashboard(name=name, user=request.user, filters=dashboard.DashboardFilters(**values))
        if download == "csv":
            return table_csv(f"kam-{name}.csv", data["rows"])
        return Response(data)


class _TypedPanelView(APIView):
    """A dashboard panel with a serializer of its own: `panel(customers, filters)` over the
    customers the caller may see, its first rows here and every one in `?download=csv`."""

    panel: Callable[..., dict]
    serializer_class: type
    csv_name: str

    def get(self, request):
        params = DashboardFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        download = values.pop("download", None)
        filters = dashboard.DashboardFilters(**values)
        customers = dashboard.dashboard_customers(user=request.user, filters=filters)
        panel = self.panel
        if download == "csv":
            return table_csv(self.csv_name, panel(customers, filters, everything=True)["rows"])
        return Response(self.serializer_class(panel(customers, filters)).data)


def _panel_schema(serializer, csv_description: str):
    return extend_schema(
        parameters=[DashboardFilterSerializer],
        responses={
            (200, "application/json"): serializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=csv_description),
            400: OpenApiResponse(description="Invalid filter values."),
        },
    )


@extend_schema(tags=["dashboard"])
@extend_schema_view(get=_panel_schema(CoveragePanelSerializer, "`?download=csv`: every overdue account."))
class DashboardCoverageView(_TypedPanelView):
    """Coverage of the service levels per tier, today, over the customers the caller may see
    (a rep: their own; a manager: their teams'): compliance (the share of customers not
    overdue) per tier and per rep, least compliant rep first, and the overdue accounts, most
    overdue first: the first 100 here, every one in `?download=csv`."""

    panel = staticmethod(dashboard.coverage)
    serializer_class = CoveragePanelSerializer
    csv_name = "kam-coverage.csv"


@extend_schema(tags=["dashboard"])
@extend_schema_view(
    get=_panel_schema(AgingPanelSerializer, "`?download=csv`: every customer with money open.")
)
class DashboardAgingView(_TypedPanelView):
    """Open receivables (回款) today by aging bucket (not yet due, 1–30, 31–60, 61–90, over 90
    days past due) over the customers the caller may see (a rep: their own; a manager: their
    teams'): the total, per team, per rep and per customer, most overdue first; `credit_risk`
    marks money open more than 30 days past due. The first 20 customers here, every one in
    `?download=csv`."""

    panel = staticmethod(dashboard.aging)
    serializer_class = AgingPanelSerializer
    csv_name = "kam-aging.csv"
