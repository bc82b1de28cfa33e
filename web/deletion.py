"""Deleting a row that other rows still protect (`on_delete=PROTECT`) is a user error, not a clash.

Django refuses such a delete with ProtectedError, an IntegrityError, which the API would answer
as 409 "conflicts with a change saved at the same moment". `delete_or_explain` turns it into a
ValidationError that names what still holds on to the row (400 in the API, a message on pages).
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _


def delete_or_explain(instance: models.Model) -> None:
    try:
        with transaction.atomic():
            instance.delete()
    except models.ProtectedError as error:
        holders = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        message = _("%(object)s cannot be deleted while it has %(holders)s.") % {
            "object": capfirst(str(instance._meta.verbose_name)),
            "holders": _(", ").join(holders),
        }
        raise ValidationError({"non_field_errors": [message]}) from error
