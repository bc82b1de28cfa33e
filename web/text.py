"""Control characters in text: refused on the way in, removed on the way out.

A C0 or C1 control character (a vertical tab, a NUL, U+0085…) in a customer's name is never
what a person meant; it comes from a bad paste or a crafted request, and it breaks what reads the
text later (openpyxl refuses to write it into an .xlsx). Every text field refuses them with a
field message — multi-line text (a `TextField`) still takes tab and line breaks — on every write
path: forms and the admin (model validation), the API (`ApiModelSerializer`) and the import and
services (`full_clean`). Exports strip whatever an older row still holds (`without_control`).
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same, less tab, line feed and carriage return.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

MESSAGE = _("Remove the control character (U+%(code)04X) from this text.")
MESSAGE_MULTILINE = _("Remove the control character (U+%(code)04X); only tabs and line breaks are allowed.")


def first_control(value: str, *, multiline: bool = False) -> str | None:
    match = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    return match.group() if match else None


def without_control(value: str) -> str:
    """For output: control characters other than tab and line breaks dropped."""
    return _CONTROL_MULTILINE.sub("", value)


class NoControlCharacters:
    """A validator: single-line text refuses every control character, multi-line text all but
    tab and line breaks."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        if not isinstance(value, str):
            return
        char = first_control(value, multiline=self.multiline)
        if char is not None:
            raise ValidationError(
                MESSAGE_MULTILINE if self.multiline else MESSAGE,
                code="control_character",
                params={"code": ord(char)},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, NoControlCharacters) and other.multiline == self.multiline


def text_validator_for(model_field: models.Field) -> NoControlCharacters | None:
    """The validator a model's text field gets, or None for fields that are not text."""
    if isinstance(model_field, models.TextField):
        return NoControlCharacters(multiline=True)
    if isinstance(model_field, models.CharField):
        return NoControlCharacters()
    return None


class CleanText:
    """Model mixin: model validation (`full_clean`, model forms, the admin) refuses control
    characters in every text field, without a validator written into each field's migration.

    A model may also name `FIELD_NORMALISERS` ({field: function}): each turns the field's value
    into its stored form or raises a ValidationError, run as a field validator would be (after
    the field's own checks, skipped when a form leaves the field out).
    """

    FIELD_NORMALISERS: dict = {}

    def clean_fields(self, exclude=None):
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            validator = text_validator_for(field)
            if validator is None or (exclude and field.name in exclude) or field.name in errors:
                continue
            try:
                validator(getattr(self, field.attname))
            except ValidationError as error:
                errors[field.name] = error.error_list
        for name, normalise in self.FIELD_NORMALISERS.items():
            if name in errors or (exclude and name in exclude):
                continue
            try:
                setattr(self, name, normalise(getattr(self, name)))
            except ValidationError as error:
                errors[name] = error.error_list
        if errors:
            raise ValidationError(errors)
