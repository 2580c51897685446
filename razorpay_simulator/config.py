"""Runtime settings (/_sim/config) and fault knobs (/_sim/faults)."""

import dataclasses
import random

from . import validation as v


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_url(value):
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _is_str_list(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_NON_NEGATIVE_INT = ("a non-negative integer", lambda x: _is_int(x) and x >= 0)
_NON_NEGATIVE_NUMBER = ("a non-negative number", lambda x: _is_number(x) and x >= 0)
_RATE = ("a number from 0 to 1", lambda x: _is_number(x) and 0 <= x <= 1)

FAULT_CHECKS = {
    "latency_ms": _NON_NEGATIVE_INT,
    "error_rate": _RATE,
    "error_status": ("an HTTP status from 400 to 599", lambda x: _is_int(x) and 400 <= x <= 599),
    "error_body": ('"json" or "html"', lambda x: x in ("json", "html")),
    "timeout_rate": _RATE,
    "hang_seconds": _NON_NEGATIVE_NUMBER,
    "paths": ("a list of path prefixes", _is_str_list),
    "methods": ("a list of HTTP methods", _is_str_list),
    "webhook_duplicates": _NON_NEGATIVE_INT,
    "webhook_reorder": ("true or false", lambda x: isinstance(x, bool)),
    "webhook_delay_ms": _NON_NEGATIVE_INT,
    "webhook_drop_rate": _RATE,
    "refund_outcome": ('"processed" or "failed"', lambda x: x in ("processed", "failed")),
    "seed": ("an integer", _is_int),
}

CONFIG_CHECKS = {
    "webhook_url": ("null or an http(s) URL", lambda x: x is None or _is_url(x)),
    "webhook_secret": ("null or a string", lambda x: x is None or isinstance(x, str)),
    "refund_delay": _NON_NEGATIVE_NUMBER,
    "webhook_max_attempts": ("a positive integer", lambda x: _is_int(x) and x >= 1),
    "webhook_backoff": _NON_NEGATIVE_NUMBER,
}


@dataclasses.dataclass(frozen=True)
class Faults:
    """One fault configuration; POST /_sim/faults replaces it whole, `{}` means no faults."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 502
    error_body: str = "json"
    timeout_rate: float = 0.0
    hang_seconds: float = 30.0
    paths: tuple = ()
    methods: tuple = ()
    webhook_duplicates: int = 0
    webhook_reorder: bool = False
    webhook_delay_ms: int = 0
    webhook_drop_rate: float = 0.0
    refund_outcome: str = "processed"
    seed: int = 0
    # Seeded from `seed` so a test sees the same sequence of random decisions on every run.
    rng: random.Random = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "rng", random.Random(self.seed))  # noqa: S311 - not for secrets

    @classmethod
    def parse(cls, body):
        fields = dict(v.checked(body, FAULT_CHECKS))
        if "paths" in fields:
            fields["paths"] = tuple(fields["paths"])
        if "methods" in fields:
            fields["methods"] = tuple(method.upper() for method in fields["methods"])
        return cls(**fields)

    def applies(self, method, path):
        """Whether the API faults cover this request (`paths`/`methods` narrow them)."""
        return (not self.paths or path.startswith(self.paths)) and (
            not self.methods or method in self.methods
        )

    def roll(self, rate):
        return rate > 0 and self.rng.random() < rate

    def public(self):
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        shown["paths"], shown["methods"] = list(self.paths), list(self.methods)
        return shown


@dataclasses.dataclass
class Config:
    """What the simulator was started with; /_sim/config may change all but the API keys."""

    key_id: str
    key_secret: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    refund_delay: float = 0.5
    webhook_max_attempts: int = 8
    webhook_backoff: float = 0.2
    faults: Faults = dataclasses.field(default_factory=Faults)

    def update(self, body):
        # Everything is validated before anything changes, so a bad body changes nothing.
        for name, value in v.checked(body, CONFIG_CHECKS).items():
            setattr(self, name, value)

    def public(self):
        """The settings without secret values."""
        return {
            "key_id": self.key_id,
            "webhook_url": self.webhook_url,
            "webhook_secret_set": self.webhook_secret is not None,
            "refund_delay": self.refund_delay,
            "webhook_max_attempts": self.webhook_max_attempts,
            "webhook_backoff": self.webhook_backoff,
        }
