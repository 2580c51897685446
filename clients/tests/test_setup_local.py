"""`manage.py setup_local`, as `make run` calls it: the demo app, its return URL, a working key."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from clients.auth import forget_checked_keys
from clients.models import ClientApp

pytestmark = pytest.mark.django_db


def setup_local(*args) -> str:
    out = io.StringIO()
    call_command("setup_local", *args, stdout=out)
    forget_checked_keys()
    return re.search(r"API key (psk_\S+)", out.getvalue())[1]


def test_sets_the_demo_apps_return_url_and_prints_a_working_key(client):
    key = setup_local("--return-url", "http://127.0.0.1:8123/demo/shop")

    assert ClientApp.objects.get(name="demo").return_url == "http://127.0.0.1:8123/demo/shop"
    response = client.get("/payments", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


def test_without_the_option_the_return_url_is_left_alone():
    setup_local("--return-url", "http://127.0.0.1:8123/demo/shop")
    setup_local()

    assert ClientApp.objects.get(name="demo").return_url == "http://127.0.0.1:8123/demo/shop"


def test_a_bad_return_url_is_refused_before_anything_changes():
    with pytest.raises(CommandError, match="--return-url"):
        setup_local("--return-url", "not a url")

    assert not ClientApp.objects.filter(name="demo").exists()
