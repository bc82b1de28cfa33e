"""The account reviews' REST routes, mounted under /api/v1/ by kam/urls.py."""

from rest_framework import routers

from . import review_api

router = routers.SimpleRouter()
router.register("reviews", review_api.AccountReviewViewSet, basename="review")
router.register("review-actions", review_api.ReviewActionViewSet, basename="review-action")

urlpatterns = router.urls
