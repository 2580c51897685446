"""`make run`'s stand-in for a client app's webhook receiver (never in production): the demo
app's endpoint points here, so a payment made through the simulator's checkout page shows a
delivered event in the back office. It logs what arrived and answers 204; it checks nothing."""

import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def dev_webhook_receiver(request):
    logger.info(
        "dev receiver got %s (%d bytes)", request.headers.get("webhook-id"), len(request.body)
    )
    return HttpResponse(status=204)
