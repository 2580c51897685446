"""Cross-cutting HTTP pieces: request ids, the body size limit, problem details everywhere."""

import contextvars
import logging
import re
import uuid

from django.conf import settings

from .problems import PROBLEM_CONTENT_TYPE, problem_from_exception, problem_response

logger = logging.getLogger(__name__)

_request_id = contextvars.ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class RequestIdMiddleware:
    """Takes a well-formed `X-Request-ID` from the caller or makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Request-ID", "")
        request.request_id = sent if _VALID_REQUEST_ID.match(sent) else uuid.uuid4().hex
        token = _request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


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
