"""Orders, payments, refunds, disputes and documents in memory: their rules, state machines
and webhook events.

Everything runs under `Store.lock`. Entities are kept exactly as the API shows them and leave
the store only as deep copies, so every response and webhook payload is a snapshot.

With a state file, every change is written to it (a new file renamed over the old one) before
the request that made it is answered, so a killed simulator loses nothing it acknowledged and
starts again where it was; refunds still pending then settle after the refund delay. Webhook
deliveries, received requests and faults are not kept.
"""

import copy
import json
import mimetypes
import os
import threading
import time

from . import validation as v
from .errors import ApiError, invalid, not_found
from .ids import check_id, new_id

ORDER_FIELDS = (
    "amount",
    "currency",
    "receipt",
    "notes",
    "partial_payment",
    "first_payment_min_amount",
    "payment_capture",
    "payment",
)
REFUND_FIELDS = ("amount", "speed", "notes", "receipt")
ID_PREFIXES = {
    "order": "order",
    "payment": "pay",
    "refund": "rfnd",
    "dispute": "disp",
    "document": "doc",
}
PAGING = ("from", "to", "count", "skip", "expand[]")
# A payment that reached one of these was authorized at some point.
AUTHORIZED_ONCE = ("authorized", "captured", "refunded")
NO_ERROR = dict.fromkeys(
    ("error_code", "error_description", "error_source", "error_step", "error_reason")
)
# A dispute's evidence: these hold lists of document ids; `others` holds [{type, document_ids}].
EVIDENCE_DOCUMENTS = (
    "shipping_proof",
    "billing_proof",
    "cancellation_proof",
    "customer_communication",
    "proof_of_service",
    "explanation_letter",
    "refund_confirmation",
    "access_activity_log",
    "refund_cancellation_policy",
    "term_and_conditions",
)
CONTEST_FIELDS = ("amount", "summary", "action", "others", *EVIDENCE_DOCUMENTS)
DISPUTE_PHASES = ("fraud", "retrieval", "chargeback", "pre_arbitration", "arbitration")
DISPUTE_FINAL = ("won", "lost", "closed")
# What /_sim/disputes/{id}/resolve may make of a dispute, and the status each leaves it in
# (Razorpay asking for more evidence reopens it: the merchant may contest again).
DISPUTE_OUTCOMES = {"won": "won", "lost": "lost", "closed": "closed", "action_required": "open"}
DEFAULT_RESPOND_WITHIN = 7 * 24 * 3600  # seconds from opening, when respond_by is not given
SUMMARY_MAX_LENGTH = 1000
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = ("image/jpeg", "image/png", "application/pdf")


def _evidence_documents(evidence):
    """Every document id the evidence names."""
    ids = [i for name in EVIDENCE_DOCUMENTS for i in evidence.get(name) or []]
    return ids + [i for other in evidence.get("others") or [] for i in other["document_ids"]]


def _now():
    return int(time.time())


def fee_and_tax(amount):
    """Razorpay's fee includes GST: 2% of the amount plus 18% on that (₹10.00 -> fee 24, tax 4)."""
    base = (amount * 2 + 50) // 100
    tax = (base * 18 + 50) // 100
    return base + tax, tax


def _query_int(query, name, default, minimum, maximum=None):
    if name not in query:
        return default
    value = v.integer(query[name][-1], name)
    if value < minimum:
        raise invalid(name, f"The {name} must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise invalid(name, f"The {name} may not be greater than {maximum}.")
    return value


def _page(entities, query):
    """A collection, newest first (ids sort by creation time), with from/to/count/skip applied."""
    start = _query_int(query, "from", 0, 0)
    end = _query_int(query, "to", None, 0)
    count = _query_int(query, "count", 10, 1, 100)
    skip = _query_int(query, "skip", 0, 0)
    chosen = [
        e for e in entities if e["created_at"] >= start and (end is None or e["created_at"] <= end)
    ]
    chosen.sort(key=lambda e: e["id"], reverse=True)
    items = copy.deepcopy(chosen[skip : skip + count])
    return {"entity": "collection", "count": len(items), "items": items}


def _capture_automatically(body):
    """The order's capture setting; it only picks the default choice on the checkout page."""
    setting = body.get("payment")
    if setting is None:
        return v.boolean(body.get("payment_capture", True), "payment_capture")
    if not isinstance(setting, dict):
        raise invalid("payment", "The payment must be an object.")
    v.reject_unknown(setting, ("capture", "capture_options"))
    capture = v.choice(setting.get("capture"), "capture", ("automatic", "manual"))
    options = setting.get("capture_options", {})
    if not isinstance(options, dict):
        raise invalid("capture_options", "The capture options must be an object.")
    v.reject_unknown(options, ("automatic_expiry_period", "manual_expiry_period", "refund_speed"))
    if capture == "automatic":
        period = v.required(options, "automatic_expiry_period")
        if v.integer(period, "automatic_expiry_period") < 12:
            raise invalid(
                "automatic_expiry_period", "The automatic expiry period must be at least 12."
            )
    manual_period = options.get("manual_expiry_period", 0)
    if v.integer(manual_period, "manual_expiry_period") > 7200:
        raise invalid(
            "manual_expiry_period", "The manual expiry period may not be greater than 7200."
        )
    if "refund_speed" in options:
        v.choice(options["refund_speed"], "refund_speed", ("normal", "optimum"))
    return capture == "automatic"


STATE_FORMAT = 1  # the state file's "format"; a file of another format is refused


class Store:
    def __init__(self, config, webhooks, state_file=None):
        self.lock = threading.Lock()
        self._config = config
        self._webhooks = webhooks
        self._timers = {}  # refund id -> its pending settlement
        self._state_file = state_file
        self._clear()
        if state_file is not None and os.path.exists(state_file):
            self._load()

    def _clear(self):
        self._entities = {kind: {} for kind in ID_PREFIXES}
        self._auto_capture = {}  # order id -> default choice of the checkout page
        self._order_payments = {}  # order id -> payment ids
        self._payment_refunds = {}  # payment id -> refund ids
        self._idempotency = {}  # X-Refund-Idempotency key -> (request fingerprint, refund id)

    def reset(self):
        with self.lock:
            self.close()
            self._clear()
            self._save()

    def close(self):
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # The state file

    def _save(self):
        """Writes the whole state (called with the lock held, after each change)."""
        if self._state_file is None:
            return
        state = {
            "format": STATE_FORMAT,
            "entities": self._entities,
            "auto_capture": self._auto_capture,
            "order_payments": self._order_payments,
            "payment_refunds": self._payment_refunds,
            "idempotency": self._idempotency,
        }
        partial = f"{self._state_file}.{os.getpid()}.tmp"
        with open(partial, "w", encoding="utf-8") as file:
            json.dump(state, file, separators=(",", ":"))
        os.replace(partial, self._state_file)  # atomic: a kill leaves the old or the new file

    def _load(self):
        try:
            with open(self._state_file, encoding="utf-8") as file:
                state = json.load(file)
        except ValueError as error:
            raise ValueError(f"state file {self._state_file} is not valid JSON: {error}") from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError(
                f"state file {self._state_file} is not a format {STATE_FORMAT} simulator state"
            )
        self._entities = {kind: state["entities"].get(kind, {}) for kind in ID_PREFIXES}
        self._auto_capture = state["auto_capture"]
        self._order_payments = state["order_payments"]
        self._payment_refunds = state["payment_refunds"]
        self._idempotency = {key: tuple(seen) for key, seen in state["idempotency"].items()}
        for refund in self._entities["refund"].values():
            if refund["status"] == "pending":
                self._schedule_settlement(refund["id"])

    # Reads

    def fetch(self, kind, entity_id, query):
        v.reject_unknown(query, ("expand[]",))
        with self.lock:
            return self._expanded(kind, self._find(kind, entity_id), query)

    def list(self, kind, query):
        v.reject_unknown(query, PAGING)
        with self.lock:
            return _page(self._entities[kind].values(), query)

    def list_orders(self, query):
        v.reject_unknown(query, (*PAGING, "receipt", "authorized"))
        receipt = query["receipt"][-1] if "receipt" in query else None
        authorized = None
        if "authorized" in query:
            authorized = v.boolean(query["authorized"][-1], "authorized")
        with self.lock:
            orders = [
                order
                for order in self._entities["order"].values()
                if (receipt is None or order["receipt"] == receipt)
                and (authorized is None or self._was_authorized(order["id"]) == authorized)
            ]
            page = _page(orders, query)
            page["items"] = [self._expanded("order", order, query) for order in page["items"]]
            return page

    def list_order_payments(self, order_id, query):
        v.reject_unknown(query, PAGING)
        with self.lock:
            self._find("order", order_id)
            return _page(self._payments_of(order_id), query)

    def list_payment_refunds(self, payment_id, query):
        v.reject_unknown(query, PAGING)
        with self.lock:
            self._find("payment", payment_id)
            return _page(self._refunds_of(payment_id), query)

    def fetch_payment_refund(self, payment_id, refund_id):
        with self.lock:
            self._find("payment", payment_id)
            refund = self._find("refund", refund_id)
            if refund["payment_id"] != payment_id:
                raise not_found()
            return copy.deepcopy(refund)

    def checkout_view(self, order_id):
        """The order and whether the checkout page should preselect 'captured'."""
        with self.lock:
            order = self._find("order", order_id)
            return copy.deepcopy(order), self._auto_capture[order_id]

    # Orders

    def create_order(self, body):
        v.reject_unknown(body, ORDER_FIELDS)
        currency = v.currency(body)
        amount = v.order_amount(body, currency)
        partial = v.boolean(body.get("partial_payment", False), "partial_payment")
        if "first_payment_min_amount" in body:
            if not partial:
                raise invalid(
                    "first_payment_min_amount",
                    "first_payment_min_amount is only allowed with partial_payment",
                )
            v.integer(body["first_payment_min_amount"], "first_payment_min_amount")
        order = {
            "id": new_id("order"),
            "entity": "order",
            "amount": amount,
            "amount_paid": 0,
            "amount_due": amount,
            "currency": currency,
            "receipt": v.receipt(body.get("receipt")),
            "offer_id": None,
            "status": "created",
            "attempts": 0,
            "notes": v.notes(body.get("notes")),
            "created_at": _now(),
        }
        auto_capture = _capture_automatically(body)
        with self.lock:
            self._entities["order"][order["id"]] = order
            self._auto_capture[order["id"]] = auto_capture
            self._order_payments[order["id"]] = []
            self._save()
            return copy.deepcopy(order)

    def edit_notes(self, kind, entity_id, body):
        v.reject_unknown(body, ("notes",))
        notes = v.notes(v.required(body, "notes"))
        with self.lock:
            entity = self._find(kind, entity_id)
            entity["notes"] = notes
            self._save()
            return copy.deepcopy(entity)

    # Payments

    def pay(self, order_id, attempt):
        """A customer's payment attempt on the order, ending as the attempt's outcome says."""
        with self.lock:
            order = self._find("order", order_id)
            self._ensure_payable(order)
            payment = {
                "id": new_id("pay"),
                "entity": "payment",
                "amount": order["amount_due"],
                "currency": order["currency"],
                "status": "created",
                "order_id": order_id,
                "invoice_id": None,
                "international": False,
                "method": attempt.method,
                "amount_refunded": 0,
                "refund_status": None,
                "captured": False,
                "description": None,
                "card_id": None,
                "bank": None,
                "wallet": None,
                "vpa": None,
                "email": attempt.email,
                "contact": attempt.contact,
                "customer_id": None,
                "token_id": None,
                "notes": [],
                "fee": None,
                "tax": None,
                **NO_ERROR,
                "acquirer_data": {},
                "created_at": _now(),
                **attempt.method_fields,
            }
            self._entities["payment"][payment["id"]] = payment
            self._order_payments[order_id].append(payment["id"])
            self._payment_refunds[payment["id"]] = []
            order["attempts"] += 1
            if order["status"] == "created":
                order["status"] = "attempted"
            events = []
            if attempt.error:
                payment.update(status="failed", **attempt.error)
                events.append(self._event("payment.failed", payment=payment))
            else:
                self._authorize(payment, events)
                if attempt.outcome == "captured":
                    self._capture(payment, order, events)
            self._save()
            self._webhooks.emit(events)
            return copy.deepcopy(payment)

    def capture(self, payment_id, body):
        v.reject_unknown(body, ("amount", "currency"))
        amount = v.integer(v.required(body, "amount"), "amount")
        with self.lock:
            payment = self._find("payment", payment_id)
            if payment["captured"]:
                raise ApiError("This payment has already been captured")
            if payment["status"] != "authorized":
                raise ApiError(
                    "Only payments which have been authorized and not yet captured can be captured"
                )
            if amount != payment["amount"]:
                raise invalid("amount", "Capture amount must be equal to the amount authorized")
            if body.get("currency", payment["currency"]) != payment["currency"]:
                raise invalid(
                    "currency", "Capture request currency must be same as payment currency"
                )
            events = []
            self._capture(payment, self._entities["order"][payment["order_id"]], events)
            self._save()
            self._webhooks.emit(events)
            return copy.deepcopy(payment)

    def authorize_late(self, payment_id, capture):
        """Late authorisation: the bank confirms a payment that had been reported failed."""
        with self.lock:
            payment = self._find("payment", payment_id)
            if payment["status"] != "failed":
                raise ApiError("Only failed payments can be authorized late")
            order = self._entities["order"][payment["order_id"]]
            self._ensure_payable(order)
            payment.update(NO_ERROR)
            events = []
            self._authorize(payment, events)
            if capture:
                self._capture(payment, order, events)
            self._save()
            self._webhooks.emit(events)
            return copy.deepcopy(payment)

    # Refunds

    def create_refund(self, payment_id, body, idempotency_key=None):
        if idempotency_key is not None:
            v.idempotency_key(idempotency_key)
        v.reject_unknown(body, REFUND_FIELDS)
        speed = v.choice(body.get("speed", "normal"), "speed", ("normal", "optimum"))
        notes = v.notes(body.get("notes"))
        receipt = v.receipt(body.get("receipt"))
        amount = body.get("amount")
        if amount is not None:
            amount = v.integer(amount, "amount")
        fingerprint = json.dumps([payment_id, body], sort_keys=True)
        with self.lock:
            if idempotency_key in self._idempotency:
                seen, refund_id = self._idempotency[idempotency_key]
                if seen != fingerprint:
                    raise ApiError(
                        "Different request with the same idempotency key has already been "
                        "processed.",
                        status=409,
                    )
                return copy.deepcopy(self._entities["refund"][refund_id])
            payment = self._find("payment", payment_id)
            refund = self._new_refund(payment, amount, speed, notes, receipt)
            if idempotency_key is not None:
                self._idempotency[idempotency_key] = (fingerprint, refund["id"])
            self._save()
            return copy.deepcopy(refund)

    def fail_refund(self, refund_id):
        with self.lock:
            refund = self._find("refund", refund_id)
            if refund["status"] != "pending":
                raise ApiError(f"Only pending refunds can fail; this one is {refund['status']}.")
            self._settle(refund, "failed")
            return copy.deepcopy(refund)

    def _new_refund(self, payment, amount, speed, notes, receipt):
        if payment["status"] == "refunded":
            raise ApiError("The payment has been fully refunded already")
        if payment["status"] != "captured":
            raise ApiError("The payment status should be captured for action to be taken")
        unrefunded = payment["amount"] - payment["amount_refunded"]
        amount = unrefunded if amount is None else amount
        if amount > payment["amount"]:
            raise invalid("amount", "The refund amount provided is greater than amount captured")
        if amount > unrefunded:
            raise invalid(
                "amount", "The refund amount provided is greater than the unrefunded amount"
            )
        minimum = 100 if speed == "normal" else 1  # instant refunds may be below ₹1
        if amount < minimum:
            raise invalid(
                "amount", f"The amount must be at least {v.money(payment['currency'], minimum)}"
            )
        refund = {
            "id": new_id("rfnd"),
            "entity": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_id": payment["id"],
            "notes": notes,
            "receipt": receipt,
            "acquirer_data": {"arn": None},
            "created_at": _now(),
            "batch_id": None,
            "status": "pending",
            "speed_processed": "instant" if speed == "optimum" else "normal",
            "speed_requested": speed,
        }
        self._entities["refund"][refund["id"]] = refund
        self._payment_refunds[payment["id"]].append(refund["id"])
        self._add_refunded(payment, amount)
        self._webhooks.emit([self._event("refund.created", refund=refund, payment=payment)])
        self._schedule_settlement(refund["id"])
        return refund

    def _schedule_settlement(self, refund_id):
        timer = threading.Timer(self._config.refund_delay, self._settle_when_due, (refund_id,))
        timer.daemon = True
        self._timers[refund_id] = timer
        timer.start()

    def _settle_when_due(self, refund_id):
        with self.lock:
            refund = self._entities["refund"].get(refund_id)
            if refund is not None and refund["status"] == "pending":
                self._settle(refund, self._config.faults.refund_outcome)

    def _settle(self, refund, outcome):
        timer = self._timers.pop(refund["id"], None)
        if timer is not None:
            timer.cancel()
        payment = self._entities["payment"][refund["payment_id"]]
        refund["status"] = outcome
        if outcome == "failed":
            self._add_refunded(payment, -refund["amount"])  # a failed refund frees its amount
        self._save()
        self._webhooks.emit([self._event(f"refund.{outcome}", refund=refund, payment=payment)])

    # Disputes (chargebacks) and the documents that answer them

    def open_dispute(self, payment_id, body):
        """The customer's bank disputes a captured payment (`payment.dispute.created`)."""
        v.reject_unknown(body, ("amount", "reason_code", "phase", "respond_by"))
        phase = v.choice(body.get("phase", "chargeback"), "phase", DISPUTE_PHASES)
        reason_code = body.get("reason_code", "chargeback")
        if not isinstance(reason_code, str) or not reason_code.strip():
            raise invalid("reason_code", "The reason code must be a string.")
        created_at = _now()
        respond_by = v.integer(
            body.get("respond_by", created_at + DEFAULT_RESPOND_WITHIN), "respond_by"
        )
        with self.lock:
            payment = self._find("payment", payment_id)
            if not payment["captured"]:
                raise ApiError("Only captured payments can be disputed")
            amount = v.integer(body.get("amount", payment["amount"]), "amount")
            if not 0 < amount <= payment["amount"]:
                raise invalid(
                    "amount", "The dispute amount must be at least 1 and at most the payment's."
                )
            dispute = {
                "id": new_id("disp"),
                "entity": "dispute",
                "payment_id": payment["id"],
                "amount": amount,
                "currency": payment["currency"],
                "amount_deducted": 0,
                "gateway_dispute_id": new_id("gwd").partition("_")[2],
                "reason_code": reason_code,
                "respond_by": respond_by,
                "status": "open",
                "phase": phase,
                "comments": None,
                "created_at": created_at,
                "evidence": {
                    "amount": amount,
                    "summary": None,
                    **dict.fromkeys(EVIDENCE_DOCUMENTS),
                    "others": None,
                    "submitted_at": None,
                },
            }
            self._entities["dispute"][dispute["id"]] = dispute
            self._save()
            self._emit_dispute("payment.dispute.created", dispute)
            return copy.deepcopy(dispute)

    def resolve_dispute(self, dispute_id, body):
        """Razorpay's (or the bank's) decision: won, lost, closed, or more evidence needed."""
        v.reject_unknown(body, ("outcome",))
        outcome = v.choice(v.required(body, "outcome"), "outcome", tuple(DISPUTE_OUTCOMES))
        with self.lock:
            dispute = self._find("dispute", dispute_id)
            if dispute["status"] in DISPUTE_FINAL:
                raise ApiError(f"The dispute is already {dispute['status']}.")
            dispute["status"] = DISPUTE_OUTCOMES[outcome]
            if outcome == "lost":
                dispute["amount_deducted"] = dispute["amount"]
            self._save()
            self._emit_dispute(f"payment.dispute.{outcome}", dispute)
            return copy.deepcopy(dispute)

    def accept_dispute(self, dispute_id, body):
        """The merchant concedes: the dispute is lost and its whole amount deducted."""
        v.reject_unknown(body, ())
        with self.lock:
            dispute = self._find("dispute", dispute_id)
            self._ensure_respondable(dispute)
            dispute.update(status="lost", amount_deducted=dispute["amount"])
            self._save()
            self._emit_dispute("payment.dispute.lost", dispute)
            return copy.deepcopy(dispute)

    def contest_dispute(self, dispute_id, body):
        """Evidence for the dispute: `draft` keeps it open, `submit` (at least one document)
        sends it for review (`payment.dispute.under_review`). Fields given replace the draft's."""
        v.reject_unknown(body, CONTEST_FIELDS)
        action = v.choice(body.get("action", "draft"), "action", ("draft", "submit"))
        with self.lock:
            dispute = self._find("dispute", dispute_id)
            self._ensure_respondable(dispute)
            evidence = copy.deepcopy(dispute["evidence"])
            if "amount" in body:
                amount = v.integer(body["amount"], "amount")
                if not 0 < amount <= dispute["amount"]:
                    raise invalid(
                        "amount", "The amount may not be greater than the disputed amount."
                    )
                evidence["amount"] = amount
            if "summary" in body:
                summary = body["summary"]
                if summary is not None and not isinstance(summary, str):
                    raise invalid("summary", "The summary must be a string.")
                if summary is not None and len(summary) > SUMMARY_MAX_LENGTH:
                    raise invalid(
                        "summary",
                        f"The summary may not be greater than {SUMMARY_MAX_LENGTH} characters.",
                    )
                evidence["summary"] = summary
            for name in EVIDENCE_DOCUMENTS:
                if name in body:
                    evidence[name] = self._document_ids(body[name], name)
            if "others" in body:
                evidence["others"] = self._other_documents(body["others"])
            if action == "submit":
                if not _evidence_documents(evidence):
                    raise invalid("action", "At least one document is required to submit.")
                evidence["submitted_at"] = _now()
                dispute["status"] = "under_review"
            dispute["evidence"] = evidence
            self._save()
            if action == "submit":
                self._emit_dispute("payment.dispute.under_review", dispute)
            return copy.deepcopy(dispute)

    def create_document(self, fields, files):
        """`POST /v1/documents` (multipart): a file kept by its metadata, for evidence."""
        v.reject_unknown(fields, ("purpose",))
        purpose = v.choice(v.required(fields, "purpose"), "purpose", ("dispute_evidence",))
        extra = [name for name in files if name != "file"]
        if extra:
            v.reject_unknown(dict.fromkeys(extra), ())
        filename, content_type, content = files.get("file") or ("", None, b"")
        if not content:
            raise invalid("file", "The file field is required.")
        content_type = content_type or mimetypes.guess_type(filename)[0]
        if content_type not in DOCUMENT_TYPES:
            raise invalid("file", "The file must be a file of type: jpg, jpeg, png, pdf.")
        if len(content) > DOCUMENT_MAX_BYTES:
            raise invalid("file", "The file may not be greater than 10 MB.")
        document = {
            "id": new_id("doc"),
            "entity": "document",
            "purpose": purpose,
            "name": filename,
            "mime_type": content_type,
            "size": len(content),
            "created_at": _now(),
        }
        with self.lock:
            self._entities["document"][document["id"]] = document
            self._save()
            return copy.deepcopy(document)

    def _ensure_respondable(self, dispute):
        if dispute["status"] != "open":
            raise ApiError(
                f"The dispute is {dispute['status']}: only an open dispute can be accepted or "
                "contested."
            )
        if _now() >= dispute["respond_by"]:
            raise ApiError("The dispute can no longer be accepted or contested: respond_by passed.")

    def _document_ids(self, value, name):
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise invalid(name, f"The {name.replace('_', ' ')} must be a list of document ids.")
        for document_id in value:
            if document_id not in self._entities["document"]:
                check_id(document_id, "doc")
                raise invalid(name, f"The document {document_id} does not exist.")
        return list(value)

    def _other_documents(self, value):
        if value is None:
            return None
        if not isinstance(value, list):
            raise invalid("others", "The others must be a list of {type, document_ids}.")
        others = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise invalid("others", "Each of the others needs a type and document_ids.")
            v.reject_unknown(item, ("type", "document_ids"))
            ids = self._document_ids(v.required(item, "document_ids"), "others")
            others.append({"type": item["type"], "document_ids": ids})
        return others

    def _emit_dispute(self, name, dispute):
        payment = self._entities["payment"][dispute["payment_id"]]
        self._webhooks.emit([self._event(name, payment=payment, dispute=dispute)])

    # Helpers (called with the lock held)

    def _find(self, kind, entity_id):
        check_id(entity_id, ID_PREFIXES[kind])
        entity = self._entities[kind].get(entity_id)
        if entity is None:
            raise not_found()
        return entity

    def _payments_of(self, order_id):
        return [self._entities["payment"][pid] for pid in self._order_payments[order_id]]

    def _refunds_of(self, payment_id):
        return [self._entities["refund"][rid] for rid in self._payment_refunds[payment_id]]

    def _was_authorized(self, order_id):
        return any(p["status"] in AUTHORIZED_ONCE for p in self._payments_of(order_id))

    def _expanded(self, kind, entity, query):
        """A copy of the entity with `expand[]=payments` (orders) or `refunds` (payments)."""
        entity = copy.deepcopy(entity)
        expand = query.get("expand[]", [])
        if kind == "order" and "payments" in expand:
            entity["payments"] = _page(self._payments_of(entity["id"]), {"count": ["100"]})
        if kind == "payment" and "refunds" in expand:
            entity["refunds"] = _page(self._refunds_of(entity["id"]), {"count": ["100"]})
        return entity

    def _ensure_payable(self, order):
        blocked = order["status"] == "paid" or any(
            p["status"] == "authorized" for p in self._payments_of(order["id"])
        )
        if blocked:
            raise ApiError(
                "Payment already done for this order.",
                source="business",
                step="payment_initiation",
                reason="order_already_paid",
                metadata={"order_id": order["id"]},
            )

    def _authorize(self, payment, events):
        payment["status"] = "authorized"
        events.append(self._event("payment.authorized", payment=payment))

    def _capture(self, payment, order, events):
        payment["fee"], payment["tax"] = fee_and_tax(payment["amount"])
        payment.update(status="captured", captured=True)
        order["amount_paid"] += payment["amount"]
        order["amount_due"] = order["amount"] - order["amount_paid"]
        order["status"] = "paid"
        events.append(self._event("payment.captured", payment=payment))
        events.append(self._event("order.paid", payment=payment, order=order))

    def _add_refunded(self, payment, amount):
        refunded = payment["amount_refunded"] + amount
        full = refunded == payment["amount"]
        payment["amount_refunded"] = refunded
        payment["refund_status"] = "full" if full else "partial" if refunded else None
        payment["status"] = "refunded" if full else "captured"

    def _event(self, name, **entities):
        """(name, snapshots) for the webhook envelope; payments gain their webhook-only fields."""
        snapshots = copy.deepcopy(entities)
        if "payment" in snapshots:
            # No currency conversion here: base_amount (the INR value) equals amount.
            snapshots["payment"].update(
                base_amount=snapshots["payment"]["amount"], amount_transferred=0
            )
        return name, snapshots
