"""Currencies taken here, with the smallest amount Razorpay accepts for each (minor units).

INR's minimum is documented; the others follow Razorpay's published list of minimums.
Validating here first turns what would be a gateway rejection into a clear field error.
"""

from decimal import Decimal

MINIMUM_AMOUNT = {"INR": 100, "USD": 50, "EUR": 50, "GBP": 30, "SGD": 50, "AED": 200}

# Every currency above has two decimals (ISO 4217 exponent 2): an amount of 149900 is 1,499.00.
# A currency with another exponent would need its own entry here and in `money`.
EXPONENT = 2
# How staff and customers read each code; one without a symbol of its own is shown by its code.
_SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£", "SGD": "S$", "AED": "AED "}


def money(amount: int, currency: str) -> str:
    """`₹1,499.00` from 149900 paise: minor units shown in currency units, exactly (no float),
    with thousands separators. The one money display of the admin, its confirmation pages,
    the dashboard, the demo shop and the commands; CSV exports keep minor units."""
    units = Decimal(amount).scaleb(-EXPONENT)
    return f"{_SYMBOLS.get(currency, currency + ' ')}{units:,.{EXPONENT}f}"


def to_minor_units(text: str) -> int:
    """`1,499.50` → 149950; refuses more decimals than the currency has rather than rounding
    money, and anything not positive."""
    minor = Decimal(text.strip().replace(",", "")).scaleb(EXPONENT)
    if minor != minor.to_integral_value() or minor <= 0:
        raise ValueError(f"a positive amount with at most {EXPONENT} decimals")
    return int(minor)


def major_units(amount: int) -> str:
    """`1499.00` from 149900: what an admin form's amount field starts with."""
    return f"{Decimal(amount).scaleb(-EXPONENT):.{EXPONENT}f}"
