"""Pages of the experience method (经历推算法), mounted at the root by kam/urls.py: the industry
fit table, the customer-fit checklist's items, a customer's ticks and the new-market shortlist."""

from django.urls import path

from . import fit_views

app_name = "fit"

urlpatterns = [
    path("customers/shortlist/", fit_views.shortlist, name="shortlist"),
    path("customers/<int:pk>/fit/", fit_views.customer_fit_tick, name="customer-tick"),
    path("industry-fits/", fit_views.industry_list, name="industry-list"),
    path("industry-fits/new/", fit_views.industry_create, name="industry-create"),
    path("industry-fits/<int:pk>/edit/", fit_views.industry_edit, name="industry-edit"),
    path("industry-fits/<int:pk>/delete/", fit_views.industry_delete, name="industry-delete"),
    path("fit-criteria/", fit_views.criterion_list, name="criterion-list"),
    path("fit-criteria/new/", fit_views.criterion_create, name="criterion-create"),
    path("fit-criteria/<int:pk>/edit/", fit_views.criterion_edit, name="criterion-edit"),
    path("fit-criteria/<int:pk>/delete/", fit_views.criterion_delete, name="criterion-delete"),
]
