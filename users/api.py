"""API for logging in, the signed-in user, the sales teams and API keys."""

from axes.handlers.proxy import AxesProxyHandler
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from web.auth import lockout_response
from web.throttling import AnonRateThrottle

from . import (
    openapi,  # noqa: F401  (registers the API key scheme in the schema)
    services,
)
from .models import ApiKey, ApiKeyScope, Team
from .serializers import (
    ApiKeyCreatedSerializer,
    ApiKeySerializer,
    MeSerializer,
    TeamSerializer,
    TokenSerializer,
)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token.

    Failures count towards the same lockout as the login page (django-axes: 5 failures per
    username+IP lock the pair for 15 minutes), answered with 429 and Retry-After.
    """

    # The login itself: a stale token still sent by a client must not turn it into a 401.
    authentication_classes = ()
    # The API's parsers (web.parsers), not the plain ones ObtainAuthToken names.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    # ObtainAuthToken turns throttling off; the anonymous per-IP limit applies here too, on
    # top of axes' per-username lockout (which a spray over many usernames would not trip).
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Missing fields or a wrong username/password."),
            429: OpenApiResponse(description="Too many failed attempts; see Retry-After."),
        },
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            # Axes marks the request when this failure locked the pair out, or when it already
            # was; DRF's Request hides that mark from AxesMiddleware, so answer here.
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request._request)
            raise
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        # A successful login clears the failures counted so far, as the login page's does
        # (axes does that on Django's user_logged_in, which a token login does not send).
        AxesProxyHandler.user_logged_in(sender=type(self), request=request, user=user)
        return Response({"token": token.key})


class MeView(generics.RetrieveAPIView):
    """The user the request is authenticated as, with role and teams."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


@extend_schema(tags=["teams"])
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Sales teams with their members and managers (names are not secret inside the company)."""

    serializer_class = TeamSerializer
    queryset = Team.objects.prefetch_related("members", "managers").order_by("name")
    ordering_fields = ["name"]


@extend_schema(tags=["api keys"])
class ApiKeyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """API keys for integrations (`Authorization: Api-Key <key>`). Admins list every key and
    create keys for anyone active; everyone else lists and creates only their own (a key acts as
    its user, under that user's visibility). The full key is in the creation's answer only.
    Keys are not changed or deleted: revoke one (`POST …/revoke/`), from the next request on.

    A request authenticated by an API key may read here but not create or revoke keys, so a
    leaked key cannot make itself a successor that outlives its revocation."""

    serializer_class = ApiKeySerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a user
            return ApiKey.objects.none()
        return ApiKey.objects.visible_to(self.request.user).select_related("user", "created_by")

    def check_permissions(self, request):
        super().check_permissions(request)
        if isinstance(request.auth, ApiKey) and request.method not in ("GET", "HEAD", "OPTIONS"):
            self.permission_denied(
                request, message=_("API keys cannot be created or revoked with an API key.")
            )

    @extend_schema(
        responses={201: ApiKeyCreatedSerializer},
        summary="Create a key; the answer holds the full key, shown this once",
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        api_key, key = services.api_key_create(
            user=data.get("user", request.user),
            name=data["name"],
            scope=data.get("scope", ApiKeyScope.READ),
            expires_at=data.get("expires_at"),
            by=request.user,
        )
        api_key.key = key
        return Response(ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ApiKeySerializer}, summary="Revoke a key")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None, format=None):
        """Revoke the key from the next request on; revoking a revoked key changes nothing."""
        api_key = services.api_key_revoke(api_key=self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=api_key.pk)).data)
