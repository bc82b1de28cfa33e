"""The OpenAPI schema's conventions shared by every endpoint: the error answers.

drf-spectacular documents what a view declares; the errors that DRF and `web.api` give on every
endpoint (a bad body or filter, no token, no permission, an unknown id or page, a write that
lost a race, a body too big, too many requests) are added here, once, so that a client knows
every status it can get, and the API fuzzing (tests/kam/test_schemathesis.py) holds us to it.

Not in kam/api.py: DRF imports that module while `rest_framework.generics` is still loading
(the pagination class), and drf-spectacular's AutoSchema imports `rest_framework.generics`.
"""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import permissions, serializers

BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErrorSerializer(serializers.Serializer):
    """An error that concerns the request as a whole."""

    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """Field → messages (see FieldErrorsExtension)."""


class FieldErrorsExtension(OpenApiSerializerExtension):
    """Field names are the request's own, so the schema is an object of any keys."""

    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "additionalProperties": {},
            "description": 'Field → messages, e.g. `{"name": ["该字段是必填项。"]}`; errors about no '
            'single field under `non_field_errors`; a body that is not valid JSON: `{"detail": "…"}`.',
        }


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            responses = operation["responses"]
            for code, (serializer, description) in self.error_responses(operation).items():
                default = self.json_response(serializer, description)
                if code not in responses:
                    responses[code] = default
                elif "content" not in responses[code]:
                    # A view that only describes when it answers this: the body is still ours.
                    responses[code]["content"] = default["content"]
        return operation

    def error_responses(self, operation: dict) -> dict[str, tuple[type[serializers.Serializer], str]]:
        """The error statuses this operation can answer, unless its view documents them itself."""
        has_body = self.method in BODY_METHODS
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        in_path = any(p["in"] == "path" for p in operation.get("parameters", []))
        paginated = any(p["name"] == "page" for p in query)
        needs_login = any(
            not isinstance(permission, permissions.AllowAny) for permission in self.view.get_permissions()
        )
        writes = has_body or self.method == "DELETE"
        errors = {}
        if writes or query:
            errors["400"] = (FieldErrorsSerializer, "The request is not valid: field → messages.")
        if self.view.get_authenticators():
            errors["401"] = (
                ErrorSerializer,
                "The token or API key is missing, unknown, revoked, expired or for an inactive user, "
                "or credentials were sent in the URL.",
            )
        if needs_login:
            errors["403"] = (ErrorSerializer, "The caller may not do this.")
        if in_path or paginated:
            errors["404"] = (
                ErrorSerializer,
                "No such object among those the caller may see, or no such page.",
            )
        if writes and needs_login:
            errors["409"] = (ErrorSerializer, "A change saved at the same moment conflicts with this one.")
        if has_body:
            errors["413"] = (ErrorSerializer, "The request body is too large.")
            errors["415"] = (ErrorSerializer, "The body is not JSON, a form or multipart.")
        if self.view.get_throttles():
            errors["429"] = (ErrorSerializer, "Too many requests; see Retry-After.")
        return errors

    def json_response(self, serializer: type[serializers.Serializer], description: str) -> dict:
        component = self.resolve_serializer(serializer(), "response")
        return {"content": {"application/json": {"schema": component.ref}}, "description": description}
