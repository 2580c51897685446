"""Currencies taken here, with the smallest amount Razorpay accepts for each (minor units).

INR's minimum is documented; the others follow Razorpay's published list of minimums.
Validating here first turns what would be a gateway rejection into a clear field error.
"""

MINIMUM_AMOUNT = {"INR": 100, "USD": 50, "EUR": 50, "GBP": 30, "SGD": 50, "AED": 200}
