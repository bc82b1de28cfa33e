"""API for logging in, the signed-in user and the sales teams."""

from axes.handlers.proxy import AxesProxyHandler
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.settings import api_settings

from web.auth import lockout_response
from web.throttling import AnonRateThrottle

from .models import Team
from .serializers import MeSerializer, TeamSerializer, TokenSerializer


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
