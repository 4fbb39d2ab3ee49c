from django.urls import path

from .api import views

urlpatterns = [
    path("subscriptions/", views.SubscriptionListView.as_view(), name="subscription-list"),
    path("subscriptions/<int:pk>/", views.SubscriptionDetailView.as_view(),
         name="subscription-detail"),
    path("subscriptions/<int:pk>/deliveries/", views.SubscriptionDeliveriesView.as_view(),
         name="subscription-deliveries"),
    path("subscriptions/<int:pk>/replay/", views.SubscriptionReplayView.as_view(),
         name="subscription-replay"),
    path("deliveries/<uuid:pk>/", views.DeliveryDetailView.as_view(), name="delivery-detail"),
    path("deliveries/<uuid:pk>/retry/", views.DeliveryRetryView.as_view(), name="delivery-retry"),
]
