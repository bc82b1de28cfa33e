"""Re-grading a customer whose status changes (prospect ↔ customer), whatever the door.

A prospect's grade follows its best open opportunity (`services.prospect_grades_refresh`); a
customer has none. `Customer.save()` sets what needs no opportunity (none for a customer, D for
a new prospect), and the bulk writes get the same from `Customer.clean()`. What needs the
opportunities, a customer turned back into a prospect, is done here: the form, the API, the
admin and any other save of a customer's status go through `Customer.save()`, so a receiver is
the one place every one of them passes. (Opportunity writes re-grade in the services.)
"""

from accounts.models import Customer

from .services import prospect_grade_refresh

UNKNOWN = object()


def status_before_save(sender, instance: Customer, raw: bool = False, **kwargs) -> None:
    """Remember the status as loaded: by post_save the audit trail has already made the new
    values the baseline. Unknown (a row never read, or audit suppressed): re-grade anyway."""
    if not raw and not instance._state.adding:
        instance._status_before_save = instance.value_as_loaded("status", UNKNOWN)


def regrade_on_status_change(
    sender, instance: Customer, created: bool, update_fields=None, raw: bool = False, **kwargs
) -> None:
    before = instance.__dict__.pop("_status_before_save", UNKNOWN)
    if raw or created or (update_fields is not None and "status" not in update_fields):
        return
    if before != instance.status:
        prospect_grade_refresh(customer=instance)
