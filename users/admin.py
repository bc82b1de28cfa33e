from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin

from . import services
from .models import ApiKey, ApiKeyStatus, Role, Team, User


@admin.register(User)
class UserAdmin(AuditHistoryMixin, DjangoUserAdmin):
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "teams")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role"), {"fields": ("role", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "role", "password1", "password2")}),
    )

    @admin.display(description=_("full name"), ordering="last_name")
    def display_name(self, obj: User) -> str:
        return obj.display_name

    def save_model(self, request, obj, form, change):
        # is_staff is not editable here: it follows the role (see the model's constraint).
        obj.is_staff = obj.is_superuser = obj.role == Role.ADMIN
        super().save_model(request, obj, form, change)


@admin.register(Team)
class TeamAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    filter_horizontal = ("members", "managers")


class ApiKeyStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ApiKeyStatus.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        in_force = queryset.filter(revoked_at__isnull=True)
        if self.value() == ApiKeyStatus.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == ApiKeyStatus.EXPIRED:
            return in_force.filter(expires_at__lte=now)
        if self.value() == ApiKeyStatus.ACTIVE:
            return in_force.exclude(expires_at__lte=now)
        return queryset


class ApiKeyAddForm(forms.ModelForm):
    """A new key: for an active user, expiring (if at all) in the future."""

    class Meta:
        model = ApiKey
        fields = ["user", "name", "scope", "expires_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("username")

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return expires_at


@admin.register(ApiKey)
class ApiKeyAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Everyone's keys. Creating one shows the full key once, in a message; a key is revoked
    (the action), not edited into another: only its name, scope and expiry change."""

    list_display = (
        "name",
        "key_prefix",
        "user",
        "scope",
        "status",
        "expires_at",
        "last_used_at",
        "created_at",
    )
    list_filter = (ApiKeyStatusFilter, "scope")
    search_fields = ("name", "prefix", "user__username", "user__last_name", "user__first_name")
    list_select_related = ("user",)
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "scope", "expires_at"]
        return [
            "user",
            "name",
            "key_prefix",
            "scope",
            "expires_at",
            "status",
            "created_at",
            "created_by",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "key_prefix", "status", "created_at", "created_by", "last_used_at", "revoked_at"]

    @admin.display(description=_("key"), ordering="prefix")
    def key_prefix(self, obj: ApiKey) -> str:
        return f"kam_{obj.prefix}_…"

    @admin.display(description=_("status"))
    def status(self, obj: ApiKey) -> str:
        return ApiKeyStatus(obj.status_at(timezone.now())).label

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, key = services.api_key_create(
            user=obj.user, name=obj.name, scope=obj.scope, expires_at=obj.expires_at, by=request.user
        )
        for field in ("id", "prefix", "secret_hash", "created_at", "created_by_id"):
            setattr(obj, field, getattr(api_key, field))
        messages.warning(
            request,
            gettext("The new API key is %(key)s — copy it now: it is not shown again.") % {"key": key},
        )

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key, by=request.user)
            revoked += 1
        self.message_user(request, gettext("API keys revoked: %(count)d.") % {"count": revoked})
