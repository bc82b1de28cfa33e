"""The base viewset of KAM's model endpoints.

Not in web/api.py: DRF imports that module (the pagination class) while `rest_framework.generics`
is still loading, and a viewset needs `generics`.
"""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets


class ModelViewSet(viewsets.ModelViewSet):
    """Filters come from each resource's FilterSet only (no DRF OrderingFilter: a resource that
    sorts has its own `ordering` filter, which refuses unknown values instead of ignoring them)."""

    filter_backends = [DjangoFilterBackend]

    def reload(self, instance):
        """The written row as the list shows it (annotations and prefetches included)."""
        return self.get_queryset().filter(pk=instance.pk).first() or instance
