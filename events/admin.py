"""Admin pages of webhook subscriptions and their delivery log (with replay)."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Delivery, DeliveryAttempt, WebhookFormat, WebhookSubscription
from .types import EventType


class WebhookSubscriptionForm(forms.ModelForm):
    target_url = forms.URLField(
        label=_("target URL"), max_length=500, assume_scheme="https", help_text=_("http or https.")
    )
    event_types = forms.MultipleChoiceField(
        label=_("event types"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    bot_secret = forms.CharField(
        label=_("bot signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "DingTalk and Feishu bots only: the signing secret the bot's settings show. Leave empty "
            "to keep the current one. A JSON subscription's secret is generated and shown once."
        ),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "target_url", "format", "event_types", "is_active"]

    def clean(self):
        data = super().clean()
        fmt = data.get("format") or getattr(self.instance, "format", WebhookFormat.JSON)
        if data.get("bot_secret") and fmt not in (WebhookFormat.DINGTALK, WebhookFormat.FEISHU):
            self.add_error("bot_secret", gettext("Only the DingTalk and Feishu bots take a secret."))
        return data


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "response_code", "duration_ms", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "target_url", "format", "is_active", "consecutive_failures", "delivery_log")
    list_filter = ("format", "is_active")
    search_fields = ("name", "target_url")
    readonly_fields = ("consecutive_failures", "disabled_reason", "created_by", "created_at", "delivery_log")

    def get_fields(self, request, obj=None):
        fields = ["name", "target_url", "format", "event_types", "bot_secret", "is_active"]
        if obj is not None:
            fields += ["consecutive_failures", "disabled_reason", "created_by", "created_at", "delivery_log"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "format") if obj is not None else self.readonly_fields

    @admin.display(description=_("delivery log"))
    def delivery_log(self, obj: WebhookSubscription) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:events_delivery_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("Deliveries"))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in ("name", "target_url", "event_types", "is_active")}
            if data.get("bot_secret"):
                changes["secret"] = data["bot_secret"]
            services.subscription_update(subscription=obj, by=request.user, **changes)
            return
        created = services.subscription_create(
            name=data["name"],
            target_url=data["target_url"],
            event_types=data["event_types"],
            format=data["format"],
            secret=data.get("bot_secret", ""),
            is_active=data["is_active"],
            by=request.user,
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        if created.format == WebhookFormat.JSON:
            messages.warning(
                request,
                gettext("The signing secret of “%(name)s”, shown this once — store it now: %(secret)s")
                % {"name": created.name, "secret": created.secret},
            )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "subscription", "event_type", "status", "attempts", "last_response_code")
    list_filter = ("status", "subscription")
    list_select_related = ("subscription", "event")
    fields = (
        "subscription",
        "event",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "last_response_code",
        "last_duration_ms",
        "last_error",
        "created_at",
    )
    readonly_fields = fields
    inlines = [DeliveryAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("event type"))
    def event_type(self, obj: Delivery) -> str:
        return obj.event.get_type_display()

    @admin.action(description=_("Replay the selected deliveries"), permissions=["view"])
    def replay(self, request, queryset):
        count = 0
        for delivery in queryset:
            services.delivery_replay(delivery=delivery, by=request.user)
            count += 1
        self.message_user(request, gettext("%(count)d deliveries queued again.") % {"count": count})
