"""The service's URLs plus the two ceilings: /bench/bare and /bench/reference."""

from django.urls import path

from bench.reference import views
from payments_service.urls import handler400, handler403, handler404, handler500, urlpatterns

urlpatterns = [
    path("bench/bare", views.bare, name="bench-bare"),
    path("bench/reference", views.ReferenceInitiate.as_view(), name="bench-reference"),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
