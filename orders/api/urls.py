from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("shops", views.ShopViewSet, basename="shop")
router.register("skus", views.SkuViewSet, basename="sku")
router.register("customers", views.CustomerViewSet, basename="customer")

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/lookup/", views.OrderLookupView.as_view(), name="order-lookup"),
    path("orders/ingest/", views.OrderIngestView.as_view(), name="order-ingest"),
    path("orders/<uuid:oid>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<uuid:oid>/events/", views.OrderEventsView.as_view(), name="order-events"),
    path(
        "orders/<uuid:oid>/transitions/<str:name>/",
        views.OrderTransitionView.as_view(),
        name="order-transition",
    ),
    *router.urls,
]
