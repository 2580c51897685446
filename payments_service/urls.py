from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from notifications import urls as notifications_urls
from payments import urls as payments_urls
from refunds import urls as refunds_urls
from webhooks import urls as webhooks_urls

from . import health, home, metrics

admin.site.site_header = "Payments back office"
admin.site.site_title = "Payments back office"

# Django tries the patterns in order, and each include() is a level whose every miss raises
# Resolver404: the API's patterns come first and are spliced in, since nearly every request is
# an API call. Each app keeps its own order (/payments/initiate before a payment id), and no
# pattern of one part matches another's paths, so the order changes no answer (test_urls.py).
urlpatterns = [
    *payments_urls.urlpatterns,
    *refunds_urls.urlpatterns,
    *webhooks_urls.urlpatterns,
    *notifications_urls.urlpatterns,
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
]

handler400 = "payments_service.error_views.bad_request"
handler403 = "payments_service.error_views.permission_denied"
handler404 = "payments_service.error_views.not_found"
handler500 = "payments_service.error_views.server_error"
