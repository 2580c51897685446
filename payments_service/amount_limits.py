"""Amounts per currency in minor units, written `INR:1000000,USD:100000`: the refund approval
threshold (`REFUND_APPROVAL_THRESHOLD`, and a client app's own)."""


def parse_amount_limits(text: str) -> dict[str, int]:
    """{"INR": 1000000, "USD": 100000} from `INR:1000000,USD:100000`; empty text: {} (off).
    A currency left out has no limit. ValueError names the part that is wrong."""
    limits: dict[str, int] = {}
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        currency, colon, amount = (s.strip() for s in part.partition(":"))
        currency = currency.upper()
        if not colon or len(currency) != 3 or not currency.isalpha() or not amount.isdigit():
            raise ValueError(f"{part!r} is not CURRENCY:AMOUNT in minor units (INR:1000000)")
        if currency in limits:
            raise ValueError(f"{currency} is given twice")
        limits[currency] = int(amount)
    return limits
