from django.urls import path

from . import views

urlpatterns = [
    path(
        "channels/<str:platform>/<str:shop_code>/orders/",
        views.NativeDocumentView.as_view(),
        name="channel-native-document",
    ),
    path(
        "channels/<str:platform>/<str:shop_code>/orders/batch/",
        views.NativeDocumentBatchView.as_view(),
        name="channel-native-document-batch",
    ),
    path(
        "channels/messages/<int:message_id>/",
        views.InboundMessageStatusView.as_view(),
        name="channel-message-status",
    ),
]
