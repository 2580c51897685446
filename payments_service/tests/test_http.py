import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:problem:{code}"
    assert body["title"] and body["detail"]
    assert body["requestId"] == response["X-Request-ID"]
    return body


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_path_is_a_problem_404_whatever_debug_is(client, settings, debug):
    settings.DEBUG = debug
    assert_problem(client.get("/no/such/page"), 404, "not_found")


def test_wrong_method_is_a_problem_405(client):
    assert_problem(client.post("/healthz"), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/payments/pmt_x/refunds", "/webhook-endpoints"])
def test_a_path_of_a_view_per_method_refuses_another_method_naming_the_allowed(api, path):
    body = assert_problem(api.put(path, {}, format="json"), 405, "method_not_allowed")
    assert body["detail"] == 'Method "PUT" not allowed.'
    assert set(api.delete(path)["Allow"].split(", ")) == {"GET", "POST", "OPTIONS"}


def test_each_method_of_a_shared_path_reaches_its_own_view(api):
    # A HEAD is the list's GET; OPTIONS is answered, not refused.
    assert_problem(api.get("/payments/pmt_x/refunds"), 404, "payment_not_found")
    assert api.head("/payments/pmt_x/refunds").status_code == 404
    assert api.options("/payments/pmt_x/refunds").status_code == 200
    created = api.post("/webhook-endpoints", {"url": "ftp://x"}, format="json")
    assert_problem(created, 400, "validation_error")


def test_body_over_the_limit_is_refused_413_before_parsing(client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = client.post(
        "/test/echo", data="{" + '"a":"' + "x" * 200 + '"}', content_type="application/json"
    )
    body = assert_problem(response, 413, "payload_too_large")
    assert "100 bytes" in body["detail"]


@pytest.mark.urls("payments_service.tests.urls")
def test_non_json_body_is_a_problem_415(client):
    response = client.post("/test/echo", data="a=1", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.urls("payments_service.tests.urls")
def test_malformed_json_is_a_problem_400(client):
    response = client.post("/test/echo", data="{not json", content_type="application/json")
    assert_problem(response, 400, "malformed_json")


@pytest.mark.urls("payments_service.tests.urls")
def test_json_body_within_the_limit_is_accepted(client):
    response = client.post("/test/echo", data={"a": 1}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"received": {"a": 1}}


@pytest.mark.urls("payments_service.tests.urls")
@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_a_problem_500_without_traceback(settings, debug):
    settings.DEBUG = debug
    response = Client(raise_request_exception=False).get("/test/broken")
    body = assert_problem(response, 500, "internal_error")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert set(body) == {"type", "title", "status", "detail", "code", "requestId"}


def test_request_id_from_the_caller_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "req-abc.123"})
    assert response["X-Request-ID"] == "req-abc.123"


def test_malformed_request_id_is_replaced_by_a_new_one(client):
    response = client.get("/nope", headers={"X-Request-ID": "bad id with spaces\n"})
    generated = response["X-Request-ID"]
    assert len(generated) == 32 and generated.isalnum()
    assert response.json()["requestId"] == generated


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}


def test_security_headers_are_set(client):
    response = client.get("/healthz")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_cors_allows_only_listed_origins(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example"]
    allowed = client.options(
        "/healthz",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "idempotency-key" in allowed["Access-Control-Allow-Headers"]
    denied = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in denied


def test_admin_login_page_and_its_css_are_served(client):
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert b"/static/admin/css/base.css" in page.content
    css = client.get("/static/admin/css/base.css")
    assert css.status_code == 200
    assert b"body" in b"".join(css.streaming_content)
