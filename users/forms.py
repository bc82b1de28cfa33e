"""Choosing a user in a page's form (shown by the name people know them by), and a new API key."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from web.forms import PageFormMixin

from .models import ApiKeyScope, User


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class ApiKeyForm(PageFormMixin, forms.Form):
    """A new key for oneself: a name, a scope and, if it should expire, its last valid day."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the key is for, e.g. the integration: “ERP 用友”."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=ApiKeyScope.choices,
        initial=ApiKeyScope.READ,
        widget=forms.RadioSelect(attrs={"class": "chips"}),
        help_text=_("A read-only key is refused on every change (403)."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The last day the key works; leave empty for a key that does not expire."),
    )

    def clean_valid_until(self):
        valid_until = self.cleaned_data["valid_until"]
        if valid_until is not None and valid_until < timezone.localdate():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return valid_until

    def expires_at(self) -> datetime | None:
        """The end of the last valid day, in KAM's time zone."""
        valid_until = self.cleaned_data["valid_until"]
        if valid_until is None:
            return None
        return datetime.combine(
            valid_until + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
        )
