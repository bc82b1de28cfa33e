from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin

from .models import Role, Team, User


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
