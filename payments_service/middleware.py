"""Cross-cutting HTTP pieces: request ids and log context, one log line and metrics per
request, probes, the body size limit, problem details everywhere."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.urls import Resolver404, resolve

from .logs import log_context_end, log_context_start
from .metrics import HTTP_REQUESTS
from .problems import PROBLEM_CONTENT_TYPE, problem_from_exception, problem_response
from .ratelimit import client_ip

logger = logging.getLogger(__name__)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestIdMiddleware:
    """Takes a well-formed `X-Request-ID` from the caller or makes one; echoes it back. Every
    log line written while the request runs carries it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Request-ID", "")
        request.request_id = sent if _VALID_REQUEST_ID.match(sent) else uuid.uuid4().hex
        token = log_context_start(request_id=request.request_id)
        try:
            response = self.get_response(request)
        finally:
            log_context_end(token)
        response["X-Request-ID"] = request.request_id
        return response


class RequestTelemetryMiddleware:
    """One log line and one latency sample per request, labelled with the URL route (e.g.
    `payments/<str:payment_id>`), never the raw path, so the metric's series stay few."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = _route(request)
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).observe(elapsed)
        logger.info(
            "%s %s %s",
            method,
            route,
            response.status_code,
            extra={
                "http_method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
                "remote_addr": client_ip(request),
            },
        )
        return response


def _route(request) -> str:
    match = request.resolver_match
    if match is None:  # answered before URL resolution (413, a probe) or not found
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "unmatched"
    return match.route


class ProbeMiddleware:
    """Answers /healthz, /readyz and /metrics before the Host check (CommonMiddleware): the
    orchestrator's probes and Prometheus reach each instance by its own address, which
    ALLOWED_HOSTS rightly refuses. Sessions, CSRF and authentication are not used by them."""

    PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in self.PATHS:
            return self.get_response(request)
        request.resolver_match = match = resolve(request.path_info)
        return match.func(request, *match.args, **match.kwargs)


class ProblemDetailsMiddleware:
    """Turns every error Django itself answers (404, 405, 500, a debug page…) into a problem.

    DRF views already answer problems; this catches the rest, whatever DEBUG is. The admin keeps
    its own HTML pages for 4xx, which staff read in a browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type") == PROBLEM_CONTENT_TYPE:
            return response
        if response.status_code < 500 and request.path.startswith("/admin/"):
            return response
        return problem_response(request, response.status_code)

    def process_exception(self, request, exception):
        # Known failures outside DRF views (e.g. the database down in a plain view) get their
        # proper status; anything else is a bug: Django logs it and answers 500, made a problem
        # above with no traceback.
        return problem_from_exception(request, exception)


class BodySizeLimitMiddleware:
    """Refuses an oversized body from its Content-Length, before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return problem_response(request, 400, detail="Content-Length is not a number.")
        if int(length) > settings.MAX_REQUEST_BODY_BYTES:
            return problem_response(
                request,
                413,
                detail=f"The body exceeds {settings.MAX_REQUEST_BODY_BYTES} bytes.",
            )
        return self.get_response(request)
