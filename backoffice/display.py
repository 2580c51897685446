"""How the back office shows money and personal data."""

from decimal import Decimal

from django.utils.html import format_html

# Every currency taken here has two decimals.
_SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£", "SGD": "S$", "AED": "AED "}
_BADGE = {
    "created": "#6c757d",
    "pending": "#6c757d",
    "awaiting_approval": "#b9770e",
    "failed": "#c0392b",
    "authorized": "#d68910",
    "captured": "#1e8449",
    "processed": "#1e8449",
    "partially_refunded": "#2874a6",
    "refunded": "#5b2c6f",
    "ignored": "#7f8c8d",
}


def money(amount: int, currency: str) -> str:
    """`₹1,234.50` from 123450 paise: minor units shown in currency units, exactly."""
    units = Decimal(amount) / 100
    return f"{_SYMBOLS.get(currency, currency + ' ')}{units:,.2f}"


def to_minor_units(text: str) -> int:
    """`12.50` → 1250; refuses more than two decimals rather than rounding money."""
    value = Decimal(text.strip().replace(",", ""))
    minor = value * 100
    if minor != minor.to_integral_value() or minor <= 0:
        raise ValueError("a positive amount with at most two decimals")
    return int(minor)


def badge(status: str):
    colour = _BADGE.get(status, "#34495e")
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;'
        'font-size:11px;white-space:nowrap">{}</span>',
        colour,
        status.replace("_", " "),
    )


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else ("***" if email else "")


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}******{phone[-4:]}" if len(phone) > 7 else ("***" if phone else "")
