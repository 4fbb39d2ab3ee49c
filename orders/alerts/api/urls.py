from django.urls import path

from . import views

urlpatterns = [
    path("alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("orders/<uuid:oid>/fulfillment-options/", views.FulfillmentOptionsView.as_view(),
         name="order-fulfillment-options"),
    path("orders/<uuid:oid>/fulfillment-options/choose/", views.FulfillmentChooseView.as_view(),
         name="order-fulfillment-choose"),
]
