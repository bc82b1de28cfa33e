"""The service policies over REST: `GET /api/v1/service-policies/` (every tier) and, by tier,
`GET`/`PUT`/`PATCH /api/v1/service-policies/<tier>/`. Everyone signed in reads them; managers
and admins change them (others: 403). Writes are `servicing.services` calls."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets

from accounts.models import Tier

from . import coverage, services
from .models import ServicePolicy
from .serializers import ServicePolicySerializer


class ReadOrEditPolicies(permissions.BasePermission):
    message = "Only managers and admins can change service policies."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or services.can_edit_service_policies(request.user)


TIER_PARAMETER = OpenApiParameter("tier", str, OpenApiParameter.PATH, enum=Tier.values)


@extend_schema(tags=["service levels"])
@extend_schema_view(
    retrieve=extend_schema(parameters=[TIER_PARAMETER]),
    update=extend_schema(parameters=[TIER_PARAMETER]),
    partial_update=extend_schema(parameters=[TIER_PARAMETER]),
)
class ServicePolicyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """The service level of each tier (区别对待): how often an account is to be visited in
    person (`visit_days`), met at the executive level (`executive_days`) and reviewed
    (`review_days`); null: not required. Strictest tier first."""

    serializer_class = ServicePolicySerializer
    permission_classes = [permissions.IsAuthenticated, ReadOrEditPolicies]
    queryset = ServicePolicy.objects.none()  # rows come from coverage.service_policies()
    lookup_field = "tier"  # any value reaches the view: signed out is a 401, an unknown tier a 404
    filter_backends = []

    def list(self, request, *args, **kwargs):
        policies = coverage.service_policies()
        page = self.paginate_queryset(policies)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self) -> ServicePolicy:
        tier = self.kwargs["tier"]
        if tier not in Tier.values:
            raise Http404
        policy = next(policy for policy in coverage.service_policies() if policy.tier == tier)
        self.check_object_permissions(self.request, policy)
        return policy

    def perform_update(self, serializer):
        policy = serializer.instance
        values = {
            name: serializer.validated_data.get(name, getattr(policy, name))
            for name in services.POLICY_FIELDS
        }
        serializer.instance = services.service_policy_update(tier=policy.tier, by=self.request.user, **values)
