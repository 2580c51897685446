"""Client apps and their API keys: create, issue, rotate, revoke."""

import secrets
from datetime import timedelta

from django.db import transaction

from payments_service.clock import now

from .auth import KEY_PREFIX, forget_checked_keys, key_hash
from .models import ApiKey, ClientApp


def client_app_create(*, name: str) -> tuple[ClientApp, str]:
    """A new app and its first key; the bare key is returned once and never stored."""
    with transaction.atomic():
        app = ClientApp.objects.create(name=name)
        return app, api_key_issue(client_app=app)


def api_key_issue(*, client_app: ClientApp) -> str:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    ApiKey.objects.create(client_app=client_app, prefix=key[:12], key_hash=key_hash(key))
    return key


def api_key_rotate(*, client_app: ClientApp, grace: timedelta) -> str:
    """A new key; the app's current keys keep working for `grace`, so callers can switch."""
    with transaction.atomic():
        deadline = now() + grace
        live = ApiKey.objects.filter(client_app=client_app, revoked_at__isnull=True)
        live.filter(expires_at__isnull=True).update(expires_at=deadline)
        live.filter(expires_at__gt=deadline).update(expires_at=deadline)
        forget_checked_keys()
        return api_key_issue(client_app=client_app)


def api_key_revoke_all(*, client_app: ClientApp) -> int:
    """Every key of the app stops working: in this process now, in the others within
    API_KEY_CACHE_SECONDS."""
    revoked = ApiKey.objects.filter(client_app=client_app, revoked_at__isnull=True).update(
        revoked_at=now()
    )
    forget_checked_keys()
    return revoked
