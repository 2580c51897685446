import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from payments.models import Payment


def staff(username: str, group: str | None) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def finance(db) -> Client:
    return staff("fiona", "finance")


@pytest.fixture
def support(db) -> Client:
    return staff("sam", "support")


@pytest.fixture
def paid(initiate, razorpay) -> Payment:
    """A payment the customer paid and the service captured (confirm)."""
    from rest_framework.test import APIClient

    body = initiate().json()
    handler = razorpay.pay(body["razorpayOrderId"], outcome="captured")
    APIClient().post("/payments/confirm", handler, format="json")
    return Payment.objects.get(pk=body["id"])
