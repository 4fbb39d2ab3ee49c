from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("warehouses", views.WarehouseViewSet, basename="warehouse")

urlpatterns = [
    path("stock/", views.StockListView.as_view(), name="stock-list"),
    path("stock/sync/", views.StockSyncView.as_view(), name="stock-sync"),
    path("reviews/<uuid:oid>/approve/", views.ReviewApproveView.as_view(), name="review-approve"),
    path("reviews/<uuid:oid>/reject/", views.ReviewRejectView.as_view(), name="review-reject"),
    *router.urls,
]
