"""Test-only routes exercising the error mechanism through a real DRF view."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from payments_service.urls import urlpatterns as service_urlpatterns


class EchoApi(APIView):
    def post(self, request):
        return Response({"received": request.data})


class BrokenApi(APIView):
    def get(self, request):
        raise RuntimeError("secret internals that must not leak")


urlpatterns = [
    path("test/echo", EchoApi.as_view()),
    path("test/broken", BrokenApi.as_view()),
    path("", include(service_urlpatterns)),
]
