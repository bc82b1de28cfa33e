"""What counts as a name a person gives something: a customer, a contact, a deal, a plan, a team.

A name needs at least one letter (any script: 华, a, é, あ), Chinese character or digit, by
Unicode category (L* or N*). "🎉🎉", "——" or "？？？" name nothing a colleague could find or
read out, and are refused with a field message by the models' `clean()` (forms, the admin,
services' `full_clean()`, hence the API and the import).
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MESSAGE = _(
    "Enter at least one letter, Chinese character or digit; emoji or punctuation alone is not a name."
)
CODE = "name_without_letters"


def has_name_character(value: str) -> bool:
    return any(unicodedata.category(char)[0] in "LN" for char in value or "")


def check_names(**fields: str) -> None:
    """Raise a field-keyed ValidationError for every non-empty value that has no letter or digit
    (an empty one is the field's own `blank` rule's business)."""
    errors = {
        name: [ValidationError(MESSAGE, code=CODE)]
        for name, value in fields.items()
        if value and value.strip() and not has_name_character(value)
    }
    if errors:
        raise ValidationError(errors)
