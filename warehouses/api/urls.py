from django.urls import path
from rest_framework.routers import SimpleRouter

from . import outbound_views as ob
from . import views

router = SimpleRouter()
router.register("warehouses", views.WarehouseViewSet, basename="warehouse")

urlpatterns = [
    path("stock/", views.StockListView.as_view(), name="stock-list"),
    path("stock/sync/", views.StockSyncView.as_view(), name="stock-sync"),
    path("reviews/<uuid:oid>/approve/", views.ReviewApproveView.as_view(), name="review-approve"),
    path("reviews/<uuid:oid>/reject/", views.ReviewRejectView.as_view(), name="review-reject"),
    path("outbound/batches/", ob.BatchListCreateView.as_view(), name="outbound-batch-list"),
    path("outbound/batches/<int:batch_id>/", ob.BatchDetailView.as_view(),
         name="outbound-batch-detail"),
    path("outbound/batches/<int:batch_id>/execute/", ob.BatchExecuteView.as_view(),
         name="outbound-batch-execute"),
    path("outbound/batches/<int:batch_id>/rollback/", ob.BatchRollbackView.as_view(),
         name="outbound-batch-rollback"),
    path("outbound/batches/<int:batch_id>/handover/", ob.BatchHandoverView.as_view(),
         name="outbound-batch-handover"),
    path("outbound/batches/<int:batch_id>/waves/<int:wave_id>/labels.pdf",
         ob.WaveLabelsView.as_view(), name="outbound-wave-labels"),
    path("outbound/batches/<int:batch_id>/waves/<int:wave_id>/picklist.pdf",
         ob.WavePickListView.as_view(), name="outbound-wave-picklist"),
    *router.urls,
]
