from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.views import healthz

api_v1 = [
    path("", include("orders.api.urls")),
    path("", include("warehouses.api.urls")),
    path("", include("invoicing.api.urls")),
    path("", include("channels_adapters.api.urls")),
    path("", include("channels_adapters.subscribers.api_urls")),
    path("", include("orders.alerts.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("hooks/", include("channels_adapters.hook_urls")),
]

if settings.LIUZHUAN_SANDBOX:
    urlpatterns += [
        path("sandbox/tax/", include("invoicing.sandbox_urls")),
        path("sandbox/receivers/", include("channels_adapters.subscribers.sandbox_urls")),
        path("sandbox/", include("channels_adapters.sandbox_urls")),
    ]
