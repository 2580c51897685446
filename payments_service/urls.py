from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import health, home, metrics

admin.site.site_header = "Payments back office"
admin.site.site_title = "Payments back office"

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    path("", include("payments.urls")),
    path("", include("refunds.urls")),
    path("", include("webhooks.urls")),
    path("", include("notifications.urls")),
]

handler400 = "payments_service.error_views.bad_request"
handler403 = "payments_service.error_views.permission_denied"
handler404 = "payments_service.error_views.not_found"
handler500 = "payments_service.error_views.server_error"
