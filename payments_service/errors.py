"""The base of every failure a caller can act on, whichever layer raised it."""


class ServiceError(Exception):
    """A failure with a stable `code` (for logs, metrics and scripts) and a `detail` that says
    what happened to a person. Which HTTP answer it becomes is the API layer's business
    (`payments_service.problems`)."""

    code = "error"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail
