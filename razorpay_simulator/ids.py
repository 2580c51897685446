"""Razorpay-style ids: `<prefix>_` + 10 base62 chars of time + 4 random base62 chars."""

import re
import secrets
import string
import threading
import time

from .errors import ApiError

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_EPOCH_2014_NS = 1_388_534_400 * 10**9
_ID_BODY = re.compile(r"^[0-9A-Za-z]{14}$")


def _base62(number, width):
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(reversed(chars))


class _IdClock:
    """Nanoseconds since 2014, strictly increasing, so ids sort by creation and never collide."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last = 0

    def tick(self):
        with self._lock:
            self._last = max(time.time_ns() - _EPOCH_2014_NS, self._last + 1)
            return self._last


_clock = _IdClock()


def new_id(prefix):
    random_tail = "".join(secrets.choice(BASE62) for _ in range(4))
    return f"{prefix}_{_base62(_clock.tick(), 10)}{random_tail}"


def check_id(value, prefix):
    """Reject ids that cannot be ours before looking them up, as Razorpay does."""
    head, _, body = value.partition("_")
    if head != prefix or not _ID_BODY.match(body):
        raise ApiError(f"{value} is not a valid id")
    return value
