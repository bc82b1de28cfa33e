"""The API key scheme in the OpenAPI schema (/api/docs' "Authorize" button), registered when
users.api is imported (the URLconf does), so drf-spectacular knows it before it documents a view."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .authentication import KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "users.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f"An API key, sent as `Authorization: {KEYWORD} kam_…` (`Bearer kam_…` works too). "
                "Create one on your API keys page (`/account/api-keys/`); a read-only key gets 403 "
                "on writes. Keys in the URL are refused."
            ),
        }
