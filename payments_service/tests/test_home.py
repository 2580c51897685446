"""`/` is a page for people; the API's own 404s stay problem details."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_root_is_a_page_linking_the_docs_the_admin_and_health():
    response = Client().get("/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    for link in ('href="/api/docs/"', 'href="/admin/"', 'href="/healthz"', 'href="/demo/shop"'):
        assert link in response.text


def test_production_does_not_link_the_demo_shop(settings):
    settings.IS_PRODUCTION = True

    assert 'href="/demo/shop"' not in Client().get("/").text


def test_an_unknown_path_is_still_a_problem_details_404():
    response = Client().get("/nope")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
