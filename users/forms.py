"""Choosing a user in a page's form: shown by the name people know them by."""

from django import forms

from .models import User


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name
