"""Input checks shared by the endpoints, answering with Razorpay's messages."""

import re

from .errors import ApiError, invalid

# Supported currencies -> minimum order amount in subunits. All are two-decimal currencies;
# INR's minimum is documented, the others follow Razorpay's published list of minimums.
CURRENCY_MINIMUMS = {"INR": 100, "USD": 50, "EUR": 50, "GBP": 30, "SGD": 50, "AED": 200}
MAX_AMOUNT = 50_000_000  # a test account's default per-transaction limit, ₹5,00,000
NOTES_MAX_KEYS = 15
NOTES_MAX_LENGTH = 256
RECEIPT_MAX_LENGTH = 40
_INTEGER = re.compile(r"^-?[0-9]+$")
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{10,}$")


def money(currency, subunits):
    whole, cents = divmod(subunits, 100)
    return f"{currency} {whole}.{cents:02d}"


def reject_unknown(data, allowed):
    extra = [name for name in data if name not in allowed]
    if extra:
        raise invalid(extra[0], f"{', '.join(extra)} is/are not required and should not be sent")


def required(data, name):
    if data.get(name) is None:
        raise invalid(name, f"The {name.replace('_', ' ')} field is required.")
    return data[name]


def integer(value, name):
    """An int, or a string of digits (the SDK's own docs send amounts as strings)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    raise invalid(name, f"The {name} must be an integer.")


def boolean(value, name):
    """true/false, 1/0 or their string forms (the legacy `payment_capture` flag is sent as 0/1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if isinstance(value, str) and value in ("0", "1", "true", "false"):
        return value in ("1", "true")
    raise invalid(name, f"The {name.replace('_', ' ')} field must be true or false.")


def choice(value, name, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise invalid(name, f"The selected {name.replace('_', ' ')} is invalid.")
    return value


def currency(data):
    value = required(data, "currency")
    if not isinstance(value, str) or value not in CURRENCY_MINIMUMS:
        raise invalid("currency", "Currency is not supported")
    return value


def order_amount(data, currency_code):
    value = integer(required(data, "amount"), "amount")
    minimum = CURRENCY_MINIMUMS[currency_code]
    if value < minimum:
        raise invalid("amount", f"The amount must be at least {money(currency_code, minimum)}")
    if value > MAX_AMOUNT:
        raise invalid("amount", "Amount exceeds maximum amount allowed.")
    return value


def receipt(value):
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid("receipt", "The receipt must be a string.")
    if len(value) > RECEIPT_MAX_LENGTH:
        raise invalid(
            "receipt", f"The receipt may not be greater than {RECEIPT_MAX_LENGTH} characters."
        )
    return value


def notes(value):
    """Validated notes as an entity shows them: a dict, or `[]` when empty (as Razorpay does)."""
    if value is None or value == []:
        return []
    if not isinstance(value, dict):
        raise invalid("notes", "Notes should be provided as a dictionary")
    if len(value) > NOTES_MAX_KEYS:
        raise invalid(
            "notes", f"Number of fields in notes should be less than or equal to {NOTES_MAX_KEYS}"
        )
    for key, item in value.items():
        if isinstance(item, (list, dict)):
            raise invalid("notes", "Notes values themselves should not be an array")
        if len(key) > NOTES_MAX_LENGTH or len(str(item)) > NOTES_MAX_LENGTH:
            raise invalid(
                "notes",
                f"Notes keys and values should be less than or equal to {NOTES_MAX_LENGTH} "
                "characters",
            )
    return dict(value) or []


def idempotency_key(value):
    if not _IDEMPOTENCY_KEY.match(value):
        raise ApiError(
            "The X-Refund-Idempotency header must be at least 10 characters of letters, "
            "digits, '_' or '-'."
        )
    return value


def checked(data, checks):
    """Validate a control-API body against {name: (expected, predicate)}; returns it unchanged."""
    reject_unknown(data, checks)
    for name, value in data.items():
        expected, predicate = checks[name]
        if not predicate(value):
            raise invalid(name, f"{name} must be {expected}")
    return data
