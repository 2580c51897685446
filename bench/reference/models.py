"""A payment-like row and an idempotency-like row, shaped (columns, indexes, constraints) like
the service's `Payment` and `IdempotencyKey`, for the framework + database ceiling."""

from django.db import models


class RefPayment(models.Model):
    id = models.CharField(primary_key=True, max_length=32)
    app = models.CharField(max_length=64)
    external_ref = models.CharField(max_length=64)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, default="created")
    amount_refunded = models.PositiveBigIntegerField(default=0)
    email = models.EmailField(blank=True)
    contact = models.CharField(max_length=20, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    razorpay_order_id = models.CharField(max_length=40, unique=True, null=True, blank=True)
    razorpay_payment_id = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "external_ref"], name="ref_one_per_external_ref")
        ]
        indexes = [models.Index(fields=["app", "-created_at"])]

    def __str__(self) -> str:
        return self.id


class RefIdempotencyKey(models.Model):
    app = models.CharField(max_length=64)
    operation = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=16, default="completed")
    locked_until = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "operation", "key"], name="ref_key_once")
        ]

    def __str__(self) -> str:
        return self.key
