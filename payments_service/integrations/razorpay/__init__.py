"""The gateway adapter: the only package that imports the razorpay SDK."""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed

from ..errors import GatewayError, GatewayRejected, GatewayTimeout, GatewayUnavailable
from .gateway import RazorpayGateway
from .types import Document, GatewayDispute, GatewayOrder, GatewayPayment, GatewayRefund

__all__ = [
    "Document",
    "GatewayDispute",
    "GatewayError",
    "GatewayOrder",
    "GatewayPayment",
    "GatewayRefund",
    "GatewayRejected",
    "GatewayTimeout",
    "GatewayUnavailable",
    "RazorpayGateway",
    "get_gateway",
]


@cache
def get_gateway() -> RazorpayGateway:
    """The process-wide gateway, built once from settings (its connection pool is shared)."""
    return RazorpayGateway(
        key_id=settings.RAZORPAY_KEY_ID,
        key_secret=settings.RAZORPAY_KEY_SECRET,
        base_url=settings.RAZORPAY_API_BASE_URL,
        webhook_secrets=[
            settings.RAZORPAY_WEBHOOK_SECRET,
            settings.RAZORPAY_WEBHOOK_SECRET_PREVIOUS,
        ],
        connect_timeout=settings.RAZORPAY_CONNECT_TIMEOUT,
        read_timeout=settings.RAZORPAY_READ_TIMEOUT,
        retries=settings.RAZORPAY_RETRIES,
        pool_size=settings.RAZORPAY_HTTP_POOL_SIZE,
    )


def _rebuild_on_settings_change(*, setting: str, **kwargs) -> None:
    if setting.startswith("RAZORPAY_"):
        get_gateway.cache_clear()


setting_changed.connect(_rebuild_on_settings_change)
