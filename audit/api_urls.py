"""The audit trail's REST route, mounted under /api/v1/ by kam/urls.py."""

from rest_framework import routers

from . import api

router = routers.SimpleRouter()
router.register("audit", api.AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
