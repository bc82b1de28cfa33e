"""The forms of the payment-collection pages: a payment plan with its installments, a payment.

They validate input; `receivables.services` writes (and checks what needs the database: the
sum of the installments against the contract, money already applied, who may write).
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from users.models import User
from web.forms import PageFormMixin

from .models import Installment, Payment, PaymentPlan
from .services import MAX_INSTALLMENTS

CENT = Decimal("0.01")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _amount_input() -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"})


class PaymentPlanForm(PageFormMixin, forms.ModelForm):
    class Meta:
        model = PaymentPlan
        fields = ["contract_number", "contract_amount", "signed_on", "notes"]
        widgets = {
            "contract_amount": _amount_input(),
            "signed_on": _date_input(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract_amount"].widget.attrs["data-contract-amount"] = ""
        if locked:  # money is applied: the amount stays as it is
            self.fields["contract_amount"].disabled = True

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name not in self._locked()}

    def _locked(self) -> set[str]:
        return {name for name, field in self.fields.items() if field.disabled}


class InstallmentForm(PageFormMixin, forms.Form):
    due_on = forms.DateField(
        label=capfirst(Installment._meta.get_field("due_on").verbose_name), widget=_date_input()
    )
    amount = forms.DecimalField(
        label=capfirst(Installment._meta.get_field("amount").verbose_name),
        max_digits=14,
        decimal_places=2,
        min_value=CENT,
        widget=forms.NumberInput(
            attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal", "data-installment-amount": ""}
        ),
    )


class InstallmentFormSet(forms.BaseFormSet):
    """The schedule's rows; a row is dropped by ticking "delete" or by leaving a new row empty."""

    def schedule(self) -> list[tuple[date, Decimal]]:
        return [
            (form.cleaned_data["due_on"], form.cleaned_data["amount"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


InstallmentRows = forms.formset_factory(
    InstallmentForm,
    formset=InstallmentFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_INSTALLMENTS,
    validate_max=True,
)


def payment_customer_choices(*, user: User, customer: Customer | None = None):
    """The customers a payment may be entered for: those `user` may see that have a payment
    plan, and the one the page was opened for (one query when the select is drawn)."""
    visible = Customer.objects.visible_to(user)
    with_plan = Exists(PaymentPlan.objects.filter(customer=OuterRef("pk")))
    wanted = Q(with_plan)
    if customer is not None:
        wanted |= Q(pk=customer.pk)
    return visible.filter(wanted).only("pk", "name", "name_pinyin").order_by("name_pinyin", "pk")


class PaymentForm(PageFormMixin, forms.ModelForm):
    """A payment entered by hand. A new one needs a reference no payment has (the page
    suggests one); a payment's reference never changes afterwards."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))

    class Meta:
        model = Payment
        fields = ["customer", "received_on", "amount", "reference", "notes"]
        widgets = {"received_on": _date_input(), "amount": _amount_input()}

    def __init__(self, *args, user: User, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.customer if self.instance.pk else customer
        self.fields["customer"].queryset = payment_customer_choices(user=user, customer=current)
        self.fields["amount"].min_value = CENT
        self.fields["amount"].widget.attrs["min"] = "0.01"
        if self.instance.pk:
            self.fields["reference"].disabled = True

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        if not self.instance.pk and Payment.objects.filter(reference=reference).exists():
            raise forms.ValidationError(_("A payment with this reference already exists."))
        return reference

    def validate_unique(self):
        """The reference's uniqueness is `clean_reference`'s (with a clearer message)."""

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("customer", "received_on", "amount", "notes")}


def suggested_reference(today: date) -> str:
    """MANUAL-20260115-3: the next free number of the day's hand-entered payments."""
    prefix = f"MANUAL-{today:%Y%m%d}-"
    taken = set(Payment.objects.filter(reference__startswith=prefix).values_list("reference", flat=True))
    number = len(taken) + 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"
