"""API key authentication: `Authorization: Bearer <key>` to a client app, remembered per process."""

import hashlib
import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from rest_framework import authentication, exceptions

from payments_service.clock import now
from payments_service.logs import log_context_bind

from .models import ApiKey, ClientApp

KEY_PREFIX = "psk_"

# key hash -> (checked until, on time.monotonic; the app; the key's expiry). Per process: a hit
# skips the lookup query, which costs more CPU than anything else on a read. Misses are never
# kept, so unknown keys cannot grow it; the size cap bounds many live keys.
_checked: dict[str, tuple[float, ClientApp, datetime | None]] = {}
_CHECKED_MAX = 10_000
_monotonic = time.monotonic  # tests move it


def key_hash(key: str) -> str:
    """What is stored of a key (`ApiKey.key_hash`)."""
    return hashlib.sha256(key.encode()).hexdigest()


def client_app_for_key(key: str) -> ClientApp | None:
    """The active app owning a live key: one query, or none when this process checked the key
    less than API_KEY_CACHE_SECONDS ago."""
    if not key.startswith(KEY_PREFIX):
        return None
    digest = key_hash(key)
    checked = _checked.get(digest)
    if checked is None or checked[0] <= _monotonic():
        api_key = (
            ApiKey.objects.select_related("client_app")
            .filter(key_hash=digest, revoked_at__isnull=True, client_app__is_active=True)
            .first()
        )
        if api_key is None:
            _checked.pop(digest, None)
            return None
        ttl = settings.API_KEY_CACHE_SECONDS
        checked = (_monotonic() + ttl, api_key.client_app, api_key.expires_at)
        if ttl > 0:
            if len(_checked) >= _CHECKED_MAX:
                _checked.clear()
            _checked[digest] = checked
    _, app, expires_at = checked
    if expires_at and expires_at <= now():
        return None
    return app


def forget_checked_keys() -> None:
    """This process checks every key again (after a change to keys or apps). Again once the
    change commits: a request in between may have cached what was there before."""
    _checked.clear()
    transaction.on_commit(_checked.clear)


class ClientAppAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`; `request.user` becomes the ClientApp."""

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if not header:
            return None
        if scheme.lower() != "bearer" or not key.strip():
            raise exceptions.AuthenticationFailed("Use Authorization: Bearer <API key>.")
        app = client_app_for_key(key.strip())
        if app is None:
            raise exceptions.AuthenticationFailed("The API key is invalid or revoked.")
        log_context_bind(client_app=app.name)
        return app, None

    def authenticate_header(self, request):
        return 'Bearer realm="payments"'


class IsClientApp:
    """Permission: the request was authenticated as a client app."""

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, ClientApp):
            raise exceptions.NotAuthenticated("Send Authorization: Bearer <API key>.")
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return True
