from django.contrib import admin

from audit.admin import AuditHistoryMixin

from .models import AccountTeamMember, CompetitorPresence, Contact, Customer, Transaction, Visit


class AccountTeamInline(admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    autocomplete_fields = ["user"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "buying_role", "influence", "relationship_strength", "attitude"]
    show_change_link = True


class CompetitorInline(admin.TabularInline):
    model = CompetitorPresence
    extra = 0


@admin.register(Customer)
class CustomerAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "industry",
        "region",
        "owner",
        "tier",
        "abc_class",
        "score",
        "sales_12m",
    ]
    list_filter = ["status", "tier", "abc_class", "is_key_account", "source", "industry", "region"]
    search_fields = ["name", "contacts__name"]
    autocomplete_fields = ["owner", "parent", "referred_by"]
    list_select_related = ["owner"]
    readonly_fields = [*Customer.SCORING_FIELDS, "created_at", "updated_at"]
    inlines = [AccountTeamInline, ContactInline, CompetitorInline]
    show_facets = admin.ShowFacets.NEVER  # counting facets over a million rows is too slow


@admin.register(Contact)
class ContactAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "customer",
        "title",
        "buying_role",
        "influence",
        "relationship_strength",
        "attitude",
    ]
    list_filter = ["buying_role", "attitude"]
    search_fields = ["name", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "customer", "by", "follow_up_on", "follow_up_done_at"]
    list_filter = ["kind", "occurred_at"]
    search_fields = ["customer__name", "summary"]
    autocomplete_fields = ["customer", "by", "contacts"]
    list_select_related = ["customer", "by"]
    date_hierarchy = "occurred_at"


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["reference", "occurred_on", "customer", "amount", "margin"]
    list_filter = ["occurred_on"]
    search_fields = ["reference", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]
    date_hierarchy = "occurred_on"


@admin.register(CompetitorPresence)
class CompetitorPresenceAdmin(admin.ModelAdmin):
    list_display = ["competitor", "customer", "share_of_wallet", "updated_at"]
    search_fields = ["competitor", "customer__name"]
    autocomplete_fields = ["customer"]
