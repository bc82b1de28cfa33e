"""Account-review pages (大客户定期评估), mounted at the root by kam/urls.py."""

from django.urls import path

from . import review_views

app_name = "reviews"

urlpatterns = [
    path("reviews/customers/<int:customer_id>/panel/", review_views.customer_panel, name="customer-panel"),
    path("customers/<int:customer_id>/reviews/new/", review_views.review_create, name="review-create"),
    path("reviews/<int:pk>/", review_views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/edit/", review_views.review_edit, name="review-edit"),
    path("reviews/<int:pk>/delete/", review_views.review_delete, name="review-delete"),
    path("review-actions/<int:pk>/done/", review_views.action_done, name="action-done"),
]
