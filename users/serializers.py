from django.utils import timezone
from rest_framework import serializers

from web.serializers import ApiModelSerializer

from .models import ApiKey, ApiKeyStatus, Team, User


class TeamSerializer(serializers.ModelSerializer):
    members = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")
    managers = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")

    class Meta:
        model = Team
        fields = ["id", "name", "members", "managers"]


class MeSerializer(serializers.ModelSerializer):
    # The user's email is optional: "" is documented as such, not as an invalid address.
    email = serializers.EmailField(read_only=True, allow_blank=True)
    teams = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    managed_teams = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    display_name = serializers.CharField(read_only=True, help_text="The name KAM shows for the user.")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "display_name",
            "email",
            "role",
            "teams",
            "managed_teams",
        ]
        read_only_fields = fields


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class ApiKeySerializer(ApiModelSerializer):
    """A key as lists show it: never its secret, which KAM does not keep."""

    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text="Whom the key acts as; you, when left out. Admins may name anyone active.",
    )
    user_name = serializers.CharField(source="user.display_name", read_only=True)
    created_by_name = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "user",
            "user_name",
            "name",
            "prefix",
            "scope",
            "status",
            "expires_at",
            "last_used_at",
            "created_at",
            "created_by",
            "created_by_name",
            "revoked_at",
        ]
        read_only_fields = ["prefix", "last_used_at", "created_at", "created_by", "revoked_at"]

    def get_created_by_name(self, api_key: ApiKey) -> str | None:
        return api_key.created_by.display_name if api_key.created_by else None

    def get_status(self, api_key: ApiKey) -> ApiKeyStatus:
        return api_key.status_at(timezone.now())


class ApiKeyCreatedSerializer(ApiKeySerializer):
    """The new key, with the full key in `key`: shown this once, never again."""

    key = serializers.CharField(
        read_only=True,
        help_text="The full key, `kam_<prefix>_<secret>`: store it now, it is not shown again.",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
