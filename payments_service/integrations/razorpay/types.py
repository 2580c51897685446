"""What the gateway answers, as plain values the rest of the service can trust."""

from dataclasses import dataclass, field


def _notes(raw) -> dict[str, str]:
    # Razorpay serialises empty notes as [] and non-empty ones as {}.
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _entity(data: dict) -> dict:
    """What every money entity (order, payment, refund, dispute) has, read the same way."""
    return {
        "id": data["id"],
        "amount": int(data["amount"]),
        "currency": data["currency"],
        "status": data["status"],
        "created_at": int(data.get("created_at") or 0),
    }


@dataclass(frozen=True)
class GatewayOrder:
    id: str
    amount: int
    currency: str
    status: str
    receipt: str | None
    amount_paid: int
    attempts: int
    created_at: int
    notes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict) -> "GatewayOrder":
        return cls(
            **_entity(data),
            receipt=data.get("receipt"),
            amount_paid=int(data.get("amount_paid") or 0),
            attempts=int(data.get("attempts") or 0),
            notes=_notes(data.get("notes")),
        )


@dataclass(frozen=True)
class GatewayPayment:
    id: str
    order_id: str | None
    amount: int
    currency: str
    status: str
    method: str | None
    captured: bool
    amount_refunded: int
    email: str | None
    contact: str | None
    error_code: str | None
    error_description: str | None
    error_source: str | None
    error_step: str | None
    error_reason: str | None
    created_at: int

    @classmethod
    def from_api(cls, data: dict) -> "GatewayPayment":
        return cls(
            **_entity(data),
            order_id=data.get("order_id"),
            method=data.get("method"),
            captured=bool(data.get("captured")),
            amount_refunded=int(data.get("amount_refunded") or 0),
            email=data.get("email"),
            contact=data.get("contact"),
            # Some payloads carry "" rather than null for absent errors.
            error_code=data.get("error_code") or None,
            error_description=data.get("error_description") or None,
            error_source=data.get("error_source") or None,
            error_step=data.get("error_step") or None,
            error_reason=data.get("error_reason") or None,
        )


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str
    speed_requested: str | None
    speed_processed: str | None
    created_at: int
    notes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict) -> "GatewayRefund":
        return cls(
            **_entity(data),
            payment_id=data["payment_id"],
            speed_requested=data.get("speed_requested"),
            speed_processed=data.get("speed_processed"),
            notes=_notes(data.get("notes")),
        )


@dataclass(frozen=True)
class GatewayDispute:
    """A chargeback (or retrieval, fraud, arbitration...) raised on a payment by the bank."""

    id: str
    payment_id: str
    amount: int
    currency: str
    amount_deducted: int
    reason_code: str
    phase: str
    status: str
    respond_by: int  # unix seconds: the deadline to accept or contest
    created_at: int
    evidence_summary: str | None = None
    evidence_amount: int | None = None
    evidence_submitted_at: int | None = None  # unix seconds, once a contest was submitted
    evidence_documents: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, data: dict) -> "GatewayDispute":
        evidence = data.get("evidence") or {}
        if not isinstance(evidence, dict):
            raise TypeError("evidence is not an object")
        # Each kind of proof (shipping_proof, billing_proof…) is a list of document ids;
        # `others` is a list of {type, document_ids}. Kinds Razorpay adds are read the same way.
        documents = [
            document
            for proofs in evidence.values()
            if isinstance(proofs, list)
            for proof in proofs
            for document in (proof["document_ids"] if isinstance(proof, dict) else [proof])
        ]
        submitted = evidence.get("submitted_at")
        return cls(
            **_entity(data),
            payment_id=data["payment_id"],
            amount_deducted=int(data.get("amount_deducted") or 0),
            reason_code=str(data.get("reason_code") or ""),
            phase=str(data.get("phase") or ""),
            respond_by=int(data.get("respond_by") or 0),
            evidence_summary=evidence.get("summary"),
            evidence_amount=None if evidence.get("amount") is None else int(evidence["amount"]),
            evidence_submitted_at=None if submitted is None else int(submitted),
            evidence_documents=tuple(str(i) for i in documents),
        )


@dataclass(frozen=True)
class Document:
    """A file uploaded to Razorpay (the Documents API), named by id in a dispute's evidence."""

    id: str
    purpose: str
    name: str
    mime_type: str
    size: int

    @classmethod
    def from_api(cls, data: dict) -> "Document":
        return cls(
            id=data["id"],
            purpose=str(data.get("purpose") or ""),
            name=str(data.get("name") or ""),
            mime_type=str(data.get("mime_type") or ""),
            size=int(data.get("size") or 0),
        )
