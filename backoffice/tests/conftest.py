import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from backoffice.roles import roles_sync
from payments.models import Payment


def staff_user(username: str, group: str, password: str = "pw") -> User:
    """A staff member in `group`. The groups come from a data migration, which a transactional
    test's flush removes: they are made again here if need be."""
    roles_sync(group_model=Group, permission_model=Permission)
    user = User.objects.create_user(username, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def staff(username: str, group: str) -> Client:
    client = Client()
    client.force_login(staff_user(username, group))
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
