"""How a customer's email and phone number are shortened wherever staff see them: log lines
(payments_service.logs masks them inside any text) and the back office's lists."""


def mask_email(email: str) -> str:
    """`c***@example.com`: the first letter and the domain, enough to tell two customers apart."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else ("***" if email else "")


def mask_phone(phone: str) -> str:
    """`*********3210`: the last four digits, the length kept; a short one is hidden whole."""
    return "*" * (len(phone) - 4) + phone[-4:] if len(phone) > 7 else ("***" if phone else "")
