"""The payment's status order is spelled out: declaring the enum in another order changes
nothing (`RANK` decides what "forward" is, for the services, reconciliation and the API)."""

from payments.models import RANK, PaymentStatus


def test_every_status_has_its_rank_in_the_lifecycle_order():
    assert set(RANK) == set(PaymentStatus)
    assert sorted(RANK, key=RANK.__getitem__) == [
        "created",
        "failed",
        "authorized",
        "captured",
        "partially_refunded",
        "refunded",
    ]
