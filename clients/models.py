"""The client apps that call the API, their keys, and their idempotency keys.

Moved from `payments_service`: they keep its tables (`db_table`), so deployments migrate in
place."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from payments_service.amount_limits import parse_amount_limits
from payments_service.ids import new_id


def _app_id() -> str:
    return new_id("app")


def validate_return_url(value: str) -> None:
    """An absolute URL without a fragment (the query is appended); https in production, where
    the customer's browser must not be sent back to the shop in clear text."""
    schemes = ["https"] if settings.IS_PRODUCTION else ["http", "https"]
    URLValidator(schemes=schemes, message=f"Enter an absolute {' or '.join(schemes)} URL.")(value)
    if urlsplit(value).fragment:
        raise ValidationError("The return URL may not have a #fragment.")


def validate_amount_limits(value: str) -> None:
    try:
        parse_amount_limits(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class ClientApp(models.Model):
    """An application allowed to take payments; its `name` is the seed's `sourceApp`."""

    id = models.CharField(primary_key=True, max_length=32, default=_app_id, editable=False)
    name = models.SlugField(max_length=64, unique=True, help_text="The sourceApp it sends.")
    is_active = models.BooleanField(default=True)
    return_url = models.CharField(
        max_length=500,
        blank=True,
        default="",
        validators=[validate_return_url],
        help_text="Where Checkout's form post to /payments/confirm sends the customer's browser "
        "back (303, with ?payment=<id>&status=<outcome>). Empty: confirm answers JSON.",
    )
    refund_approval_threshold = models.CharField(
        max_length=200,
        validators=[validate_amount_limits],
        blank=True,
        default="",
        help_text="Four-eyes refunds for this app's API: a refund above this, per currency in "
        "minor units (INR:1000000,USD:100000), waits for a finance user's approval. Empty: off.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_service_clientapp"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def refund_approval_limits(self) -> dict[str, int]:
        """The app's threshold per currency ({}: its API refunds need no approval)."""
        return parse_amount_limits(self.refund_approval_threshold)


class ApiKey(models.Model):
    """A client app's key, stored as a SHA-256 hash: keys carry 256 random bits, so a slow
    password hash would add nothing but latency to every request. Shown once, at creation."""

    client_app = models.ForeignKey(ClientApp, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to tell it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the key is rotated: it works until then."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments_service_apikey"
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.client_app})"


class IdempotencyKey(models.Model):
    """One (client app, operation, key): claimed while its request runs, then holding the
    answer to replay. The unique constraint is what makes a key work once across processes."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "in progress"
        COMPLETED = "completed", "completed"

    client_app = models.ForeignKey(ClientApp, on_delete=models.CASCADE)
    operation = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the canonical body.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    # A request that crashed mid-way leaves its claim; it lapses at this time.
    locked_until = models.DateTimeField()
    # The id of the request's first durable write (a refund), recorded in that write's own
    # transaction: a takeover after a crash resumes it, never starts it again.
    resource_id = models.CharField(max_length=32, blank=True, default="")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "payments_service_idempotencykey"
        constraints = [
            models.UniqueConstraint(
                fields=["client_app", "operation", "key"], name="idempotency_key_once_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"
