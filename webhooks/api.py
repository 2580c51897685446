"""POST /webhooks/razorpay. Razorpay only: signed, never rate limited by the client-app limits,
and outside any request-wide transaction so that failure records survive."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments_service.metrics import WEBHOOK_EVENTS
from payments_service.problems import problem_from_exception

from .errors import WebhookProcessingFailed
from .models import WebhookEvent
from .services import webhook_process, webhook_receive


@csrf_exempt
@require_POST
def razorpay_webhook(request):
    event = webhook_receive(
        body=request.body, headers=request.headers, remote_addr=request.META.get("REMOTE_ADDR", "")
    )
    duplicate = event.status in WebhookEvent.FINAL
    try:
        event = webhook_process(event_pk=event.pk)
    except Exception:  # stored as failed; a 500 makes Razorpay deliver it again
        WEBHOOK_EVENTS.labels(event.event_type, "error").inc()
        return problem_from_exception(
            request, WebhookProcessingFailed(f"Event {event.event_id} will be retried.")
        )
    WEBHOOK_EVENTS.labels(event.event_type, "duplicate" if duplicate else event.status).inc()
    return JsonResponse({"eventId": event.event_id, "status": event.status, "duplicate": duplicate})
