"""Razorpay's error body, raised as an exception from anywhere and rendered in one place."""

# Where a validation error happened; other errors say "NA" in source/step/reason.
VALIDATION = {
    "source": "business",
    "step": "payment_initiation",
    "reason": "input_validation_failed",
}


class ApiError(Exception):
    """An error answered as `{"error": {...}}` with Razorpay's fields."""

    def __init__(
        self,
        description,
        *,
        status=400,
        code="BAD_REQUEST_ERROR",
        field=None,
        source="NA",
        step="NA",
        reason="NA",
        metadata=None,
    ):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.field = field
        self.source = source
        self.step = step
        self.reason = reason
        self.metadata = metadata or {}

    def body(self):
        error = {
            "code": self.code,
            "description": self.description,
            "source": self.source,
            "step": self.step,
            "reason": self.reason,
            "metadata": self.metadata,
        }
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


def invalid(field, description):
    """A field validation error (400, with `field`)."""
    return ApiError(description, field=field, **VALIDATION)


def not_found():
    return ApiError("The id provided does not exist")


def unknown_route():
    # Razorpay answers unknown paths and methods with 400, not 404.
    return ApiError("The requested URL was not found on the server.")
