"""Pages of the rep's daily work: customers, contacts, visits. (My day is kam.views.my_day.)"""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/new/", views.customer_create, name="customer-create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("customers/<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact-edit"),
    path("customers/<int:pk>/visits/new/", views.visit_log, name="visit-log"),
    path("visits/new/", views.visit_pick_customer, name="visit-pick-customer"),
    path("visits/<int:pk>/follow-up-done/", views.follow_up_done, name="follow-up-done"),
    path("visits/<int:pk>/use-as-site/", views.visit_use_as_site, name="visit-use-as-site"),
]
