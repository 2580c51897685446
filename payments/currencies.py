"""Currencies Razorpay accepts for orders here, with the smallest amount it takes (minor units)."""

MINIMUM_AMOUNT = {
    "INR": 100,
    "USD": 100,
    "EUR": 100,
    "GBP": 100,
    "SGD": 100,
    "AED": 100,
    "AUD": 100,
    "CAD": 100,
}
