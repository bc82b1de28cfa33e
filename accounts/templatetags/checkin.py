"""How a check-in's distance to the customer's site reads on a page: 320 米, 1.2 公里."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def distance(meters: int | None) -> str:
    """Whole metres below a kilometre, then kilometres: one decimal below 100 km, none above."""
    if meters is None:
        return ""
    if meters < 1000:
        return _("%(meters)d m") % {"meters": meters}
    km = meters / 1000
    return _("%(km)s km") % {"km": f"{km:.1f}" if km < 100 else f"{km:,.0f}"}
