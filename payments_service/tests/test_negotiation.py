"""Content negotiation: the common Accept headers answer JSON at once, the rest as DRF says."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "accept", [None, "", "*/*", "application/json", "text/html;q=0.5, application/json"]
)
def test_json_is_answered_to_any_accept_that_takes_it(api, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = api.get("/payments", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"] == []


def test_a_type_the_service_cannot_answer_is_406(api):
    response = api.get("/payments", HTTP_ACCEPT="text/csv")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/problem+json"


def test_a_format_the_service_does_not_have_is_not_found(api):
    response = api.get("/payments?format=xml")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
