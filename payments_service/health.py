"""Liveness and readiness probes for the load balancer and the orchestrator."""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .problems import problem_response

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """The process is up and serving; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Ready when the database and the cache both answer; 503 names the part that does not."""
    checks = {"database": _check(_ping_database), "cache": _check(_ping_cache)}
    if all(result == "ok" for result in checks.values()):
        return JsonResponse({"status": "ready", "checks": checks})
    failing = ", ".join(name for name, result in checks.items() if result != "ok")
    return problem_response(
        request,
        503,
        "not_ready",
        title="Not ready",
        detail=f"Unavailable: {failing}.",
        checks=checks,
        retry_after=5,
    )


def _check(ping) -> str:
    try:
        ping()
    except Exception as exc:  # any failure means "not ready"; the reason goes to the log
        logger.warning("readiness check %s failed: %s", ping.__name__, exc)
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _ping_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _ping_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)
