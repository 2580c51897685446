"""`/`: a page for the people who open the service in a browser. The API's own answers,
404s included, stay problem details."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    return render(
        request,
        "payments_service/home.html",
        {"environment": settings.ENVIRONMENT, "demo_shop": not settings.IS_PRODUCTION},
    )
