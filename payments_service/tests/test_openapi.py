"""The OpenAPI schema: valid, complete, served with its docs page, and true to real responses."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from rest_framework.test import APIClient

from webhooks.tests.events import event, payment_entity, sign

pytestmark = pytest.mark.django_db
JSON = "application/json"

CLIENT_ENDPOINTS = {
    ("/payments/initiate", "post"),
    ("/payments/confirm", "post"),
    ("/payments", "get"),
    ("/payments/{payment_id}", "get"),
    ("/payments/{payment_id}/refunds", "post"),
    ("/payments/{payment_id}/refunds", "get"),
    ("/refunds/{refund_id}", "get"),
    ("/events", "get"),
    ("/webhook-endpoints", "post"),
    ("/webhook-endpoints", "get"),
    ("/webhook-endpoints/{endpoint_id}", "delete"),
    ("/webhook-endpoints/{endpoint_id}/rotate-secret", "post"),
}


@pytest.fixture(scope="module")
def schema() -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_generation_validates_with_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_docs_page_serves_swagger_ui_from_this_service(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert client.get("/api/schema/")["Content-Type"].startswith("application/vnd.oai.openapi")


def test_every_client_endpoint_is_documented_with_its_auth_headers_and_problems(schema):
    operations = {
        (path, method): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert CLIENT_ENDPOINTS | {("/webhooks/razorpay", "post")} == set(operations)
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "API key (psk_...)",
        "description": "A client app's API key: `Authorization: Bearer <key>`.",
    }
    for key in CLIENT_ENDPOINTS - {("/payments/confirm", "post")}:
        assert operations[key]["security"] == [{"apiKey": []}], key
        assert {"401", "429", "503"} <= set(operations[key]["responses"]), key
    for key, operation in operations.items():
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response["headers"], (key, status)
            if status >= "400":
                assert list(response["content"]) == ["application/problem+json"], (key, status)
    for key in (("/payments/initiate", "post"), ("/payments/{payment_id}/refunds", "post")):
        headers = {p["name"]: p for p in operations[key]["parameters"] if p["in"] == "header"}
        assert headers["Idempotency-Key"]["required"] is True
        assert "Idempotent-Replayed" in operations[key]["responses"]["201"]["headers"]
        assert {"409", "413", "415", "422"} <= set(operations[key]["responses"])
        assert "Retry-After" in operations[key]["responses"]["409"]["headers"]
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code", "requestId"}
    assert "errors" in problem["properties"]


def test_real_responses_conform_to_the_schema(schema, api, initiate, razorpay, settings):
    problem_json = {"application/problem+json": json.loads}
    openapi = OpenAPI.from_dict(schema, config=Config(extra_media_type_deserializers=problem_json))

    def conforms(response, status: int):
        assert response.status_code == status, response.content
        request = response.wsgi_request
        openapi.validate_response(
            MockRequest("http://testserver", request.method, request.path),
            MockResponse(
                response.content,
                response.status_code,
                headers=dict(response.headers),
                content_type=response["Content-Type"],
            ),
        )
        return response.json()

    payment = conforms(initiate(), 201)
    conforms(initiate(), 201)  # replayed
    conforms(initiate(amount=5000), 422)
    conforms(api.post("/payments/initiate", {}, format="json"), 400)
    conforms(initiate(key="key-2", externalRef="other", amount="1000"), 400)
    conforms(APIClient().get("/payments"), 401)

    handler = razorpay.pay(payment["razorpayOrderId"], outcome="captured")
    confirm = APIClient().post
    conforms(confirm("/payments/confirm", {**handler, "razorpay_signature": "0" * 64}, "json"), 400)
    confirmed = conforms(confirm("/payments/confirm", handler, "json"), 200)
    assert confirmed["checkout"] is None

    conforms(api.get(f"/payments/{payment['id']}"), 200)
    conforms(api.get("/payments/pmt_unknown"), 404)
    listed = conforms(api.get("/payments", {"status": "captured", "pageSize": 1}), 200)
    assert listed["count"] == 1
    conforms(api.get("/payments", {"createdAfter": "yesterday"}), 400)
    told = conforms(api.get("/events"), 200)
    assert [e["type"] for e in told["results"]] == ["payment.captured"]
    conforms(api.get("/events", {"after": "evt_x"}), 400)

    refunds = f"/payments/{payment['id']}/refunds"
    refund = conforms(
        api.post(refunds, {"amount": 400}, format="json", headers={"Idempotency-Key": "r1"}), 201
    )
    assert refund["razorpayRefundId"] and refund["processedAt"] is None
    conforms(
        api.post(refunds, {"amount": 999}, format="json", headers={"Idempotency-Key": "r2"}), 409
    )
    conforms(api.get(refunds), 200)
    conforms(api.get(f"/refunds/{refund['id']}"), 200)
    conforms(api.get("/refunds/rfd_unknown"), 404)

    body = json.dumps(
        event(
            "payment.captured",
            payment_entity(
                order_id=payment["razorpayOrderId"], payment_id=handler["razorpay_payment_id"]
            ),
        )
    ).encode()
    webhook = APIClient().post
    headers = {"X-Razorpay-Signature": sign(body), "X-Razorpay-Event-Id": "evt_Schema01"}
    conforms(webhook("/webhooks/razorpay", body, content_type=JSON, headers=headers), 200)
    headers["X-Razorpay-Signature"] = "0" * 64
    conforms(webhook("/webhooks/razorpay", body, content_type=JSON, headers=headers), 400)

    settings.MAX_REQUEST_BODY_BYTES = 10
    conforms(initiate(key="key-3"), 413)
    settings.RATE_LIMIT_CLIENT_APP = "1/m"
    conforms(api.get(f"/payments/{payment['id']}"), 200)
    limited = api.get(f"/payments/{payment['id']}")
    conforms(limited, 429)
    assert int(limited["Retry-After"]) >= 1


def test_webhook_endpoint_responses_conform_to_the_schema(schema, api):
    openapi = OpenAPI.from_dict(
        schema,
        config=Config(extra_media_type_deserializers={"application/problem+json": json.loads}),
    )

    def conforms(response, status: int):
        assert response.status_code == status, response.content
        request = response.wsgi_request
        openapi.validate_response(
            MockRequest("http://testserver", request.method, request.path),
            MockResponse(
                response.content,
                response.status_code,
                headers=dict(response.headers),
                content_type=response.get("Content-Type"),
            ),
        )
        return response.json() if response.content else None

    body = {"url": "http://127.0.0.1:9/hooks", "events": ["payment.captured"]}
    added = conforms(api.post("/webhook-endpoints", body, format="json"), 201)
    conforms(api.post("/webhook-endpoints", {"url": "ftp://x"}, format="json"), 400)
    conforms(api.get("/webhook-endpoints"), 200)
    conforms(api.post(f"/webhook-endpoints/{added['id']}/rotate-secret"), 200)
    conforms(api.post("/webhook-endpoints/we_unknown/rotate-secret"), 404)
    conforms(api.delete(f"/webhook-endpoints/{added['id']}"), 204)


def _examples_of(schema: dict):
    """(where, media schema, example value) of every request and response example."""
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += list(operation["responses"].items())
            for where, body in bodies:
                for media_type, media in body.get("content", {}).items():
                    for name, example in media.get("examples", {}).items():
                        where = f"{method} {path} {where} {media_type} {name}"
                        yield where, media["schema"], example["value"]


def _validator(schema: dict, subschema: dict):
    """An OpenAPI 3.1 validator of `subschema`, its `#/components/...` references resolved in
    the whole schema."""
    from openapi_schema_validator import OAS31Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(
        "urn:schema", Resource.from_contents(schema, default_specification=DRAFT202012)
    )

    def rebased(value):
        if isinstance(value, dict):
            return {k: f"urn:schema{v}" if k == "$ref" else rebased(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rebased(item) for item in value]
        return value

    return OAS31Validator(rebased(subschema), registry=registry)


def test_every_example_validates_against_its_schema(schema):
    examples = list(_examples_of(schema))
    for where, subschema, value in examples:
        errors = [error.message for error in _validator(schema, subschema).iter_errors(value)]
        assert errors == [], where
    assert len(examples) >= 40


def test_a_wrong_example_would_be_caught(schema):
    """The check above can fail: a payment with a string amount does not validate."""
    validator = _validator(schema, {"$ref": "#/components/schemas/PaymentOutput"})
    operation = schema["paths"]["/payments/{payment_id}"]["get"]
    [example] = operation["responses"]["200"]["content"][JSON]["examples"].values()
    payment = dict(example["value"])
    assert validator.is_valid(payment)
    payment["amount"] = "1000"
    assert not validator.is_valid(payment)


def test_every_client_operation_has_examples_and_lists_its_error_codes(schema):
    for path, method in CLIENT_ENDPOINTS:
        operation = schema["paths"][path][method]
        for media in operation.get("requestBody", {}).get("content", {}).values():
            assert media.get("examples"), (path, method, "request")
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                assert media.get("examples"), (path, method, status)
            if status >= "400":
                assert "`code`:" in response["description"], (path, method, status)
    refund = schema["paths"]["/payments/{payment_id}/refunds"]["post"]["responses"]
    assert "`refund_exceeds_refundable`" in refund["409"]["description"]
    assert "`idempotency_key_reused`" in refund["422"]["description"]
    confirm = schema["paths"]["/payments/confirm"]["post"]["responses"]
    assert "`signature_invalid`" in confirm["400"]["description"] and "303" in confirm
