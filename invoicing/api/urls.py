from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("tax-codes", views.TaxCodeViewSet, basename="tax-code")
router.register("tax-profiles", views.TaxProfileViewSet, basename="tax-profile")

urlpatterns = [
    path("invoices/requests/", views.InvoiceRequestCreateView.as_view(),
         name="invoice-request-create"),
    path("invoices/requests/<int:pk>/", views.InvoiceRequestDetailView.as_view(),
         name="invoice-request-detail"),
    path("invoices/requests/<int:pk>/submit/", views.InvoiceRequestSubmitView.as_view(),
         name="invoice-request-submit"),
    path("invoices/", views.InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/red/", views.InvoiceRedView.as_view(), name="invoice-red"),
    *router.urls,
]
