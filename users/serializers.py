from rest_framework import serializers

from .models import Team, User


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
