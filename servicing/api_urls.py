"""Service levels' REST routes, mounted under /api/v1/ by kam/urls.py."""

from rest_framework import routers

from . import api

router = routers.SimpleRouter()
router.register("service-policies", api.ServicePolicyViewSet, basename="service-policy")

urlpatterns = router.urls
