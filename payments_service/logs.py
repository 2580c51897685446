"""Logging: one line per event, JSON in production and plain text for people in development.

Every line carries the request's context (request id, client app, payment id) and is masked
as the last step of formatting, so nothing that reaches the output escapes it: emails and
phone numbers are shortened, and API keys, bearer tokens, signatures and the service's own
secrets are replaced. Extra fields whose name says they hold a secret are replaced whole.
"""

import contextvars
import functools
import json
import logging
import re
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from django.conf import settings
from django.core.signals import setting_changed
from pythonjsonlogger.json import JsonEncoder

from .pii import mask_email, mask_phone

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context", default=None)

REDACTED = "[redacted]"
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# E.164 numbers (what the API accepts and Razorpay sends) and bare Indian mobile numbers. This and
# _HMAC_HEX start with the class of their first character and look behind it only then: the
# regex engine skips to such characters instead of trying a lookbehind at every position (on a
# log line, 9 -> 3 and 6 -> 4 us; test_logging.py pins them to the plainer patterns).
_PHONE = re.compile(r"[+6-9](?<![\w+].)(?:(?<=\+)[1-9]\d{6,14}|(?<=[6-9])\d{9})\b")
_API_KEY = re.compile(r"\bpsk_[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
# Razorpay's checkout and webhook signatures are hex HMAC-SHA256 digests.
_HMAC_HEX = re.compile(r"[0-9a-fA-F](?<=\b.)[0-9a-fA-F]{63}\b")
# A URL-ish run with percent-escapes (a request line's query: `carol%40example.com`).
_PERCENT_ENCODED = re.compile(r"[^\s\"'<>]*%[0-9A-Fa-f]{2}[^\s\"'<>]*")
# Kept as they are when a masked run is escaped again: what a URL shows and the masks use.
_URL_SAFE = "/?&=:;,+*@!$()~[]"
_SECRET_NAME = re.compile(r"(?i)authorization|signature|secret|password|token|cookie|key$")
_SECRET_SETTINGS = (
    "SECRET_KEY",
    "RAZORPAY_KEY_SECRET",
    "RAZORPAY_WEBHOOK_SECRET",
    "RAZORPAY_WEBHOOK_SECRET_PREVIOUS",
    "METRICS_TOKEN",
)
# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}

# No line shows the caller's file, function and line, nor the thread or process: records skip
# looking them up (the logging HOWTO's "Optimization": a stack walk and three lookups a line).
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False


def log_context_start(**fields) -> contextvars.Token:
    """Opens a context (one per request) whose fields every log line in it carries."""
    return _context.set(dict(fields))


def log_context_end(token: contextvars.Token) -> None:
    _context.reset(token)


def log_context_bind(**fields) -> None:
    """Adds fields (client_app, payment_id) to the current request's lines; no-op outside one."""
    context = _context.get()
    if context is not None:
        context.update(fields)


def mask(text: str) -> str:
    # Every line passes here: a pattern runs only when a cheap substring test says it can match.
    if "%" in text:
        text = _PERCENT_ENCODED.sub(_mask_decoded, text)
    return _mask(text)


def _mask_decoded(match: re.Match) -> str:
    """A percent-encoded run, masked as it reads decoded (twice-encoded too); the run as it
    was when there is nothing to mask, escaped again otherwise (so that a decoded newline
    cannot start a forged line)."""
    encoded = match[0]
    decoded = unquote(unquote(encoded))
    masked = _mask(decoded)
    return encoded if masked == decoded else quote(masked, safe=_URL_SAFE)


def _mask(text: str) -> str:
    if "@" in text:
        text = _EMAIL.sub(lambda m: mask_email(m[0]), text)
    text = _PHONE.sub(lambda m: mask_phone(m[0]), text)
    if "psk_" in text:
        text = _API_KEY.sub("psk_" + REDACTED, text)
    lowered = text.lower()
    if "bearer" in lowered or "basic" in lowered:
        text = _BEARER.sub(r"\1 " + REDACTED, text)
    text = _HMAC_HEX.sub(REDACTED, text)
    # gunicorn's master logs before (without) Django: nothing to mask then, and nothing cached.
    for secret in _secrets() if settings.configured else ():
        text = text.replace(secret, REDACTED)
    return text


@functools.cache
def _secrets() -> tuple[str, ...]:
    """The service's secrets, as they are and as they appear inside JSON."""
    values = (str(getattr(settings, name, "") or "") for name in _SECRET_SETTINGS)
    found = [value for value in values if len(value) >= 8]
    return tuple(dict.fromkeys(found + [json.dumps(value)[1:-1] for value in found]))


def _forget_secrets(*, setting: str, **kwargs) -> None:
    if setting in _SECRET_SETTINGS:
        _secrets.cache_clear()


setting_changed.connect(_forget_secrets)


class ContextFilter(logging.Filter):
    """Adds the request's context to the record and blanks extra fields named like secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_context.get() or {}).items():
            setattr(record, name, value)
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        for name in vars(record).keys() - _RECORD_ATTRS:
            if _secret_name(name):
                setattr(record, name, REDACTED)
        return True


@functools.lru_cache(maxsize=1024)
def _secret_name(name: str) -> bool:
    # Extra fields are named in the code: a handful of names, each searched once.
    return _SECRET_NAME.search(name) is not None


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


# python-json-logger's encoder: any other value (a datetime, an enum, bytes…) as it writes it.
_ENCODER = JsonEncoder(ensure_ascii=False)
_NOT_EXTRA = _RECORD_ATTRS | {"asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: level, logger, message, exc_info and stack_info when there are
    any, the extra and context fields, timestamp. The line python-json-logger's formatter wrote
    (test_logging.py compares them), built straight from the record at a third of its cost; a
    dict logged as the message stays a message, as text."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        for name, value in vars(record).items():
            if name not in _NOT_EXTRA and not name.startswith("_"):
                line[name] = value
        line["timestamp"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat()
        return mask(_ENCODER.encode(line))


def formatter_config(log_format: str) -> dict:
    if log_format == "json":
        return {"()": JsonFormatter}
    return {
        "()": PlainFormatter,
        "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
    }


def logging_config(log_format: str, level: str) -> dict:
    """The `LOGGING` dict: everything to standard error, in `log_format` (json or plain)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"default": formatter_config(log_format)},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "default",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        # runserver's request lines: Django gives them a handler of their own, unmasked.
        "loggers": {"django.server": {"handlers": ["stderr"], "level": level, "propagate": False}},
    }


class GunicornAccessFields(logging.Filter):
    """gunicorn hands its access-log atoms to the record as `args`; they become fields."""

    ATOMS = {
        "remote_addr": "h",
        "http_method": "m",
        "path": "U",
        "status": "s",
        "bytes": "B",
        "duration_ms": "M",
        "user_agent": "a",
        "request_id": "{x-request-id}o",
    }

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            for field, atom in self.ATOMS.items():
                setattr(record, field, record.args[atom])  # gunicorn's atoms answer "-" if unknown
            record.status = int(record.status)
        return True


def gunicorn_logging_config(log_format: str, level: str, *, access_log: bool) -> dict:
    """gunicorn's `logconfig_dict`: its error and access logs in the service's format."""
    config = logging_config(log_format, level)
    config["filters"]["access"] = {"()": GunicornAccessFields}
    access_handler = {**config["handlers"]["stderr"], "filters": ["access", "context"]}
    config["handlers"]["access"] = access_handler
    config["loggers"] |= {
        "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
        # With a logging config, gunicorn always writes the access log; the level turns it off.
        "gunicorn.access": {
            "level": "INFO" if access_log else "WARNING",
            "handlers": ["access"],
            "propagate": False,
        },
    }
    return config
