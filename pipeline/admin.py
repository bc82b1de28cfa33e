"""The pipeline in the admin: opportunities with their history, the stage-gate checklist that
admins keep, and the account plans.

Stage changes are the audit trail and stay read-only; an opportunity's stage is moved through
the pages or the API (pipeline.services.opportunity_move), never by editing it here.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin

from .models import (
    AccountPlan,
    GateCheck,
    Opportunity,
    PlanAction,
    PlanObjective,
    StageChange,
    StageGateItem,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    fields = ["at", "from_stage", "to_stage", "by", "days_in_stage", "override_reason", "unmet_items"]
    readonly_fields = fields


class GateCheckInline(ReadOnlyInline):
    model = GateCheck
    fields = ["item", "checked_by", "checked_at"]
    readonly_fields = fields


@admin.register(Opportunity)
class OpportunityAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "customer",
        "stage",
        "probability",
        "expected_amount",
        "expected_close_on",
        "owner",
        "stage_entered_at",
    ]
    list_filter = ["stage", "probability_overridden", "expected_close_on", "owner"]
    search_fields = ["title", "customer__name"]
    autocomplete_fields = ["customer", "owner"]
    list_select_related = ["customer", "owner"]
    date_hierarchy = "expected_close_on"
    readonly_fields = ["stage", "stage_entered_at", "closed_at", "created_at", "updated_at"]
    inlines = [StageChangeInline, GateCheckInline]
    show_facets = admin.ShowFacets.NEVER


@admin.register(StageGateItem)
class StageGateItemAdmin(admin.ModelAdmin):
    """The checklist of each stage's gate: admins reword, reorder, add and retire items."""

    list_display = ["label", "stage", "rule", "position", "is_active"]
    list_display_links = ["label"]
    list_editable = ["position", "is_active"]
    list_filter = ["stage", "is_active", "rule"]
    search_fields = ["label"]
    ordering = ["stage", "position", "id"]


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "opportunity", "from_stage", "to_stage", "by", "days_in_stage", "is_override"]
    list_filter = ["to_stage", "from_stage", "at"]
    search_fields = ["opportunity__title", "opportunity__customer__name", "override_reason"]
    list_select_related = ["opportunity", "by"]
    date_hierarchy = "at"
    show_facets = admin.ShowFacets.NEVER

    @admin.display(boolean=True, description=_("override"))
    def is_override(self, obj: StageChange) -> bool:
        return obj.is_override

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GateCheck)
class GateCheckAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "item", "checked_by", "checked_at"]
    list_filter = ["item__stage", "checked_at"]
    search_fields = ["opportunity__title", "opportunity__customer__name", "item__label"]
    list_select_related = ["opportunity", "item", "checked_by"]
    raw_id_fields = ["opportunity"]
    autocomplete_fields = ["checked_by"]


class PlanObjectiveInline(admin.TabularInline):
    model = PlanObjective
    extra = 0


class PlanActionInline(admin.TabularInline):
    model = PlanAction
    extra = 0
    autocomplete_fields = ["owner"]


@admin.register(AccountPlan)
class AccountPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "period_start", "period_end", "step", "created_by", "updated_at"]
    list_filter = ["step", "period_start"]
    search_fields = ["title", "customer__name"]
    autocomplete_fields = ["customer", "created_by"]
    list_select_related = ["customer", "created_by"]
    date_hierarchy = "period_start"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PlanObjectiveInline, PlanActionInline]


@admin.register(PlanAction)
class PlanActionAdmin(admin.ModelAdmin):
    list_display = ["description", "plan", "owner", "due_on", "status"]
    list_filter = ["status", "due_on"]
    search_fields = ["description", "plan__title", "plan__customer__name"]
    list_select_related = ["plan", "owner"]
    autocomplete_fields = ["plan", "owner"]


@admin.register(PlanObjective)
class PlanObjectiveAdmin(admin.ModelAdmin):
    list_display = ["description", "plan", "target", "actual", "unit"]
    search_fields = ["description", "plan__title", "plan__customer__name"]
    list_select_related = ["plan"]
    autocomplete_fields = ["plan"]
