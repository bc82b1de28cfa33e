"""What the forms of every page share."""

from django.core.exceptions import ValidationError


class PageFormMixin:
    """What the pages' forms share: labels above their inputs (no colon), and a service's
    ValidationError shown under the field it names when the form has that field."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)
