"""What Razorpay Checkout does for the customer: test instruments, outcomes, and the HTML pages."""

import dataclasses
import html
import json
import re
import secrets
import string

from . import validation as v
from .errors import invalid
from .ids import new_id
from .webhooks import sign

OUTCOMES = ("captured", "authorized", "failed")
ATTEMPT_FIELDS = ("outcome", "method", "error_reason", "card_number", "vpa", "email", "contact")
DEFAULT_CARD = "4100280000001007"
DEFAULT_EMAIL = "customer@example.com"
DEFAULT_CONTACT = "+919999999999"
# Checkout's `prefill` options, as a shop passes them: ?prefill[email]=...&prefill[name]=...
PREFILL_FIELDS = ("name", "email", "contact")

# Razorpay's documented test cards: number -> (network, international, failure it forces).
TEST_CARDS = {
    "4100280000001007": ("Visa", False, None),
    "5500670000001002": ("MasterCard", False, None),
    "6527658900001005": ("RuPay", False, None),
    "36082800091007": ("Diners Club", False, None),
    "340256000401007": ("American Express", False, None),
    "5555555555554444": ("MasterCard", True, None),
    "5105105105105100": ("MasterCard", True, None),
    "5104060000000008": ("MasterCard", True, None),
    "4012888888881881": ("Visa", True, None),
    "4100280000080001": ("Visa", False, "insufficient_funds"),
    "4100280000070002": ("Visa", False, "payment_cancelled"),
    "4100280000060003": ("Visa", False, "card_declined"),
    "4100280000090000": ("Visa", False, "payment_timed_out"),
    "4100280000010008": ("Visa", False, "card_number_invalid"),
    "4100280000020007": ("Visa", False, "gateway_technical_error"),
    "4100280000000009": ("Visa", False, "authentication_failed"),
}
UPI_SUCCESS, UPI_FAILURE = "success@razorpay", "failure@razorpay"

# error_reason -> (error_code, error_description, error_source, error_step)
FAILURES = {
    "payment_failed": ("BAD_REQUEST_ERROR", "Payment failed", "bank", "payment_authorization"),
    "insufficient_funds": (
        "BAD_REQUEST_ERROR",
        "Your payment could not be completed due to insufficient account balance.",
        "customer",
        "payment_authorization",
    ),
    "payment_cancelled": (
        "BAD_REQUEST_ERROR",
        "Payment processing cancelled by user",
        "customer",
        "payment_authentication",
    ),
    "card_declined": (
        "BAD_REQUEST_ERROR",
        "Your payment has been declined by your bank.",
        "bank",
        "payment_authorization",
    ),
    "payment_timed_out": (
        "BAD_REQUEST_ERROR",
        "Your payment could not be completed on time.",
        "customer",
        "payment_authentication",
    ),
    "card_number_invalid": (
        "BAD_REQUEST_ERROR",
        "Your payment has failed due to an invalid card number.",
        "customer",
        "payment_initiation",
    ),
    "gateway_technical_error": (
        "GATEWAY_ERROR",
        "Payment processing failed due to error at bank or wallet gateway",
        "gateway",
        "payment_authorization",
    ),
    "authentication_failed": (
        "GATEWAY_ERROR",
        "Your payment could not be completed as the bank could not authenticate it.",
        "gateway",
        "payment_authentication",
    ),
}


@dataclasses.dataclass(frozen=True)
class Attempt:
    """A resolved checkout choice: what happens and the payment fields it fills."""

    outcome: str
    method: str
    method_fields: dict
    error: dict | None  # the payment's error_* fields when it fails
    email: str
    contact: str


def _digits(count):
    return "".join(secrets.choice(string.digits) for _ in range(count))


def _card(body):
    number = re.sub(r"[\s-]", "", str(body.get("card_number", DEFAULT_CARD)))
    if number not in TEST_CARDS:
        raise invalid("card_number", "Use one of Razorpay's test cards.")
    network, international, forced = TEST_CARDS[number]
    card_id = new_id("card")
    card = {
        "id": card_id,
        "entity": "card",
        "name": "Test Customer",
        "last4": number[-4:],
        "network": network,
        "type": "credit",
        "issuer": None,
        "international": international,
        "emi": False,
        "sub_type": "consumer",
        "token_iin": None,
    }
    fields = {
        "international": international,
        "card_id": card_id,
        "card": card,
        "acquirer_data": {"auth_code": _digits(6)},
    }
    return fields, forced


def _upi(body):
    vpa = body.get("vpa", UPI_SUCCESS)
    if vpa not in (UPI_SUCCESS, UPI_FAILURE):
        raise invalid("vpa", f"Use {UPI_SUCCESS} or {UPI_FAILURE}.")
    fields = {
        "vpa": vpa,
        "upi": {"payer_account_type": "bank_account", "vpa": vpa, "flow": "collect"},
        "acquirer_data": {"rrn": _digits(12)},
    }
    return fields, "payment_failed" if vpa == UPI_FAILURE else None


# method -> (body -> (the payment's method-specific fields, the failure it forces or None))
_INSTRUMENTS = {
    "card": _card,
    "upi": _upi,
    "netbanking": lambda body: (
        {"bank": "HDFC", "acquirer_data": {"bank_transaction_id": _digits(10)}},
        None,
    ),
    "wallet": lambda body: (
        {"wallet": "freecharge", "acquirer_data": {"transaction_id": None}},
        None,
    ),
}


def resolve_attempt(body):
    """Validate a checkout choice (control API JSON or the HTML form).

    `outcome` decides, except that an error card or failure@razorpay always fails the payment.
    """
    v.reject_unknown(body, ATTEMPT_FIELDS)
    outcome = v.choice(v.required(body, "outcome"), "outcome", OUTCOMES)
    method = v.choice(body.get("method", "card"), "method", tuple(_INSTRUMENTS))
    reason = body.get("error_reason")
    if reason is not None:
        if outcome != "failed":
            raise invalid("error_reason", "error_reason is only allowed with outcome failed")
        v.choice(reason, "error_reason", tuple(FAILURES))
    fields, forced = _INSTRUMENTS[method](body)
    if forced:
        outcome, reason = "failed", forced
    error = None
    if outcome == "failed":
        reason = reason or "payment_failed"
        code, description, source, step = FAILURES[reason]
        error = {
            "error_code": code,
            "error_description": description,
            "error_source": source,
            "error_step": step,
            "error_reason": reason,
        }
    email = body.get("email", DEFAULT_EMAIL)
    return Attempt(outcome, method, fields, error, email, body.get("contact", DEFAULT_CONTACT))


def handler_result(key_secret, payment):
    """What Checkout hands to the merchant: the handler's three fields, or the failure object."""
    if payment["status"] == "failed":
        return {
            "error": {
                "code": payment["error_code"],
                "description": payment["error_description"],
                "source": payment["error_source"],
                "step": payment["error_step"],
                "reason": payment["error_reason"],
                "metadata": {"order_id": payment["order_id"], "payment_id": payment["id"]},
            }
        }
    message = f"{payment['order_id']}|{payment['id']}".encode()
    return {
        "razorpay_payment_id": payment["id"],
        "razorpay_order_id": payment["order_id"],
        "razorpay_signature": sign(key_secret, message),
    }


def callback_fields(result):
    """Form fields POSTed to callback_url; failures use Razorpay's `error[...]` names."""
    if "error" not in result:
        return result
    error = result["error"]
    fields = {f"error[{name}]": value for name, value in error.items() if name != "metadata"}
    fields["error[metadata]"] = json.dumps(error["metadata"])
    return fields


# HTML


def _display_amount(order):
    whole, cents = divmod(order["amount"], 100)
    symbol = "₹" if order["currency"] == "INR" else f"{order['currency']} "
    return f"{symbol}{whole:,}.{cents:02d}"


_STYLE = """
body{font-family:system-ui,sans-serif;background:#f2f4f8;color:#1b2330;margin:0;padding:2rem}
main{max-width:30rem;margin:auto;background:#fff;border-radius:10px;padding:1.5rem 2rem;
box-shadow:0 2px 12px #0002}
header{display:flex;justify-content:space-between;align-items:center;color:#52607a}
.mode{background:#fff3cd;color:#7a5b00;border-radius:4px;padding:.1rem .5rem;font-size:.8rem}
.amount{font-size:2rem;font-weight:600;margin:.8rem 0 .2rem}
.muted{color:#52607a;font-size:.9rem}
fieldset{border:1px solid #d6dbe4;border-radius:6px;margin:1rem 0}
label{display:block;margin:.5rem 0}
input[type=text],select{width:100%;padding:.45rem;border:1px solid #c4cad6;border-radius:5px;
box-sizing:border-box}
button{width:100%;padding:.7rem;border:0;border-radius:6px;background:#2b6de8;color:#fff;
font-size:1rem;cursor:pointer}
.error{background:#fdecea;color:#8a1c12;border-radius:6px;padding:.6rem .8rem}
.ok{background:#e7f6ec;color:#1d6b35;border-radius:6px;padding:.6rem .8rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}
td{border-top:1px solid #e3e7ee;padding:.35rem;word-break:break-all}
code{font-size:.85rem}
.card{white-space:nowrap}
[hidden]{display:none!important}
"""


def _page(title, body):
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        '<body><main><header><strong>Razorpay simulator</strong><span class="mode">Test mode'
        f"</span></header>{body}</main></body></html>"
    )


def message_page(title, message):
    return _page(title, f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>")


def prefill_of(query):
    """The `prefill[name|email|contact]` query parameters given to the checkout page."""
    prefill = {}
    for name in PREFILL_FIELDS:
        values = query.get(f"prefill[{name}]")
        if values and values[-1].strip():
            prefill[name] = values[-1].strip()[:256]
    return prefill


def _grouped(number):
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


# Only the selected method's own field is shown (and sent); without scripts, all are shown.
_METHOD_FIELDS_SCRIPT = """<script>
(function(){var m=document.querySelector('select[name=method]');
function show(){document.querySelectorAll('[data-method]').forEach(function(l){
var on=l.dataset.method===m.value;l.hidden=!on;l.querySelector('input').disabled=!on;});}
m.addEventListener('change',show);show();})();
</script>"""


def checkout_page(order, auto_capture, message=None, prefill=None):
    """The payment form; it POSTs back to its own URL (query string and callback_url included).
    `prefill` (from the query) fills the customer's email and contact and shows their name."""
    e = html.escape
    prefill = prefill or {}
    amount = _display_amount(order)
    head = (
        f'<p class="amount">{e(amount)}</p>'
        f'<p class="muted">Order <code id="order_id">{e(order["id"])}</code>'
        + (f" · receipt {e(order['receipt'])}" if order["receipt"] else "")
        + f" · {e(order['status'])}</p>"
    )
    if order["status"] == "paid":
        return _page("Order paid", head + '<p class="ok">This order has been paid.</p>')
    default = "captured" if auto_capture else "authorized"
    labels = {
        "captured": "Success (captured)",
        "authorized": "Success, authorized only (capture via the API)",
        "failed": "Failure",
    }
    radios = "".join(
        f'<label><input type="radio" name="outcome" value="{o}"'
        f"{' checked' if o == default else ''}> {labels[o]}</label>"
        for o in OUTCOMES
    )
    methods = "".join(f'<option value="{m}">{m}</option>' for m in _INSTRUMENTS)
    cards = "".join(
        f'<tr><td><code class="card">{_grouped(number)}</code></td><td>{network}'
        f"{' (international)' if international else ''}</td><td>{reason or 'as chosen'}</td></tr>"
        for number, (network, international, reason) in TEST_CARDS.items()
    )
    customer = (
        f'<p class="muted">Paying as <strong id="prefill_name">{e(prefill["name"])}</strong></p>'
        if "name" in prefill
        else ""
    )
    email = e(prefill.get("email", DEFAULT_EMAIL))
    contact = e(prefill.get("contact", DEFAULT_CONTACT))
    form = (
        (f'<p class="error">{e(message)}</p>' if message else "")
        + customer
        + f"""
<form method="post">
<fieldset><legend>Outcome</legend>{radios}</fieldset>
<label>Method <select name="method">{methods}</select></label>
<label data-method="card">Card number <input type="text" name="card_number"
 value="{_grouped(DEFAULT_CARD)}" inputmode="numeric" class="card"></label>
<label data-method="upi">UPI id <input type="text" name="vpa" value="{UPI_SUCCESS}"></label>
<label>Email <input type="text" name="email" value="{email}"></label>
<label>Contact <input type="text" name="contact" value="{contact}"></label>
<button type="submit">Pay {e(amount)}</button>
</form>{_METHOD_FIELDS_SCRIPT}
<details><summary class="muted">Test cards</summary><table>{cards}</table>
<p class="muted">UPI: {UPI_SUCCESS} succeeds, {UPI_FAILURE} fails.
An error card fails the payment whatever the outcome says.</p></details>"""
    )
    return _page(f"Pay {amount}", head + form)


def result_page(result, callback_url=None):
    """The outcome; with callback_url it auto-submits its fields there (Checkout's redirect)."""
    e = html.escape
    if "error" in result:
        error = result["error"]
        summary = (
            f'<h1>Payment failed</h1><p class="error">{e(error["description"])}</p>'
            f"<table>{_rows({k: v for k, v in error.items() if k != 'metadata'})}"
            f"{_rows(error['metadata'])}</table>"
        )
        if not callback_url:
            # Without redirect mode Checkout lets the customer retry on the same order.
            summary += '<p><a href="">Try again</a></p>'
    else:
        summary = f"<h1>Payment successful</h1><table>{_rows(result)}</table>"
    if callback_url:
        inputs = "".join(
            f'<input type="hidden" name="{e(name)}" value="{e(str(value))}">'
            for name, value in callback_fields(result).items()
        )
        summary += (
            f'<form id="callback" method="post" action="{e(callback_url)}">{inputs}'
            "<button type=submit>Continue to the merchant</button></form>"
            "<script>document.getElementById('callback').submit()</script>"
        )
    return _page("Payment result", summary)


def _rows(fields):
    e = html.escape
    return "".join(
        f'<tr><td>{e(name)}</td><td><code id="{e(name)}">{e(str(value))}</code></td></tr>'
        for name, value in fields.items()
    )
