"""Schema-driven fuzzing: schemathesis generates valid and invalid requests for every operation
of the service's own OpenAPI schema (/api/schema/) and sends them to a live server, with a real
client app's key and the simulator as Razorpay. Whatever it sends, the service never answers
5xx, every error is a problem-details body, and no response breaks the schema; afterwards the
database keeps its invariants.

Bounded: a few dozen examples per operation and generation mode, no deadline (a gateway call
may be slow on a loaded machine), the whole run in well under three minutes on two cores.

The schema only generates what it describes; a property test below sends, in process, what no
schema describes: any JSON value in any field, deep nesting and any unicode (lone surrogates
included) to every write endpoint.
"""

import hashlib
import json
import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import INITIATE_BODY
from payments.models import Payment
from reliability.clients import PROBLEM_FIELDS
from reliability.invariants import assert_invariants

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_details(ctx, response, case) -> None:
    """Every 4xx and 5xx is an RFC 9457 problem with the members the contract names."""
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type == PROBLEM_CONTENT_TYPE, f"error as {content_type!r}: {response.text[:300]}"
    body = response.json()
    assert isinstance(body, dict) and body.keys() >= PROBLEM_FIELDS, f"not a problem: {body}"
    assert body["status"] == response.status_code, body
    assert body["type"] == f"urn:problem:{body['code']}", body
    assert [body["requestId"]] == response.headers.get("x-request-id"), body
    assert "Traceback" not in response.text


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    missing_required_header,
    ignored_auth,
    problem_details,
]


@pytest.fixture
def known(shop, webhooks_to_live_server) -> dict:
    """Real resources for some generated requests to hit: a captured payment with a refund
    (refund and confirm logic run, not only the 404 of an unknown id)."""
    sim = webhooks_to_live_server
    paid = shop.initiate(key="known", externalRef="known").json()
    handler = sim.pay(paid["razorpayOrderId"], outcome="captured")
    assert shop.confirm(handler).json()["status"] == "captured"
    refund = shop.refund(paid["id"], key="known-refund", amount=100).json()
    return {"payment_id": paid["id"], "refund_id": refund["id"], "handler": handler}


@pytest.fixture
def invariants_after_fuzzing(known):
    """Once every operation has been fuzzed: the database keeps its invariants (reported as
    an error of this test's teardown otherwise)."""
    yield
    assert_invariants(within=30)


@pytest.fixture
def api_schema(live_server, known, invariants_after_fuzzing, settings):
    # Fuzzing is many requests a minute from one app and one address: not what is under test.
    settings.RATE_LIMIT_CLIENT_APP = settings.RATE_LIMIT_CONFIRM_IP = "100000/m"
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json", timeout=30)


schema = schemathesis.pytest.from_fixture("api_schema")


def aim_at_known(case, known: dict) -> None:
    """Points about half of the generated ids at the real resources (chosen from the case's
    own content, so Hypothesis replays a failure exactly)."""
    for name in ("payment_id", "refund_id"):
        value = (case.path_parameters or {}).get(name)
        if value is not None and zlib.crc32(str(value).encode()) % 2:
            case.path_parameters[name] = known[name]
    body = case.body
    chosen = isinstance(body, dict) and zlib.crc32(repr(sorted(body.items(), key=str)).encode()) % 2
    if case.operation.path == "/payments/confirm" and chosen:
        body["razorpay_order_id"] = known["handler"]["razorpay_order_id"]


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI cannot fail on a lucky draw
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
def test_no_request_makes_the_service_answer_5xx_a_non_problem_error_or_off_schema(
    case, client_app, known
):
    aim_at_known(case, known)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {client_app.api_key}"}, checks=CHECKS, timeout=30
    )


def test_a_payments_page_past_the_end_answers_a_status_the_schema_documents(shop):
    schema = shop.request("GET", "/api/schema/", params={"format": "json"}).json()
    documented = set(schema["paths"]["/payments"]["get"]["responses"])
    response = shop.request("GET", "/payments", params={"page": 99})
    assert response.headers["Content-Type"] == "application/problem+json"
    assert str(response.status_code) in documented, (response.status_code, sorted(documented))


# --- Beyond the schema: arbitrary JSON, nesting and unicode to every write endpoint ---------

# Every code point, lone surrogates included (st.text() leaves those out by default).
ANY_TEXT = st.text(st.characters(), max_size=300)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and infinities too: not JSON, which the parser must say
    | ANY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


def bodies(base: dict) -> st.SearchStrategy[str]:
    """Raw bodies: `base` with fields replaced, dropped or added as any JSON value; any JSON
    value instead; or `base` nested in arrays, from a little to far past any limit."""
    fields = [*sorted(base), "metadata", "notes", "reason", "extra"]
    edited = st.builds(
        lambda changes, dropped: {
            **{k: v for k, v in base.items() if k not in dropped},
            **changes,
        },
        st.dictionaries(st.sampled_from(fields), JSON_VALUES, max_size=3),
        st.sets(st.sampled_from(sorted(base)), max_size=2),
    )
    raw = st.one_of(edited, JSON_VALUES).map(json.dumps)
    nested = st.integers(min_value=1, max_value=100_000).map(
        lambda depth: "[" * depth + json.dumps(base) + "]" * depth
    )
    return st.one_of(raw, raw, raw, nested)


@pytest.fixture
def write_endpoints(client_app, webhooks_to_live_server, settings) -> dict:
    """(client, path, base body) of initiate, confirm and refunds create, with a captured
    payment to confirm again and to refund."""
    settings.RATE_LIMIT_CLIENT_APP = settings.RATE_LIMIT_CONFIRM_IP = "100000/m"
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    paid = app.post(
        "/payments/initiate", INITIATE_BODY, format="json", headers={"Idempotency-Key": "base"}
    ).json()
    handler = webhooks_to_live_server.pay(paid["razorpayOrderId"], outcome="captured")
    assert APIClient().post("/payments/confirm", handler, format="json").status_code == 200
    return {
        "initiate": (app, "/payments/initiate", {**INITIATE_BODY, "externalRef": "fuzz"}),
        "confirm": (APIClient(), "/payments/confirm", handler),
        "refund": (app, f"/payments/{paid['id']}/refunds", {"amount": 100, "reason": "fuzz"}),
    }


@pytest.mark.parametrize("endpoint", ["initiate", "confirm", "refund"])
def test_no_json_value_nesting_or_unicode_makes_a_write_endpoint_answer_5xx(
    write_endpoints, endpoint
):
    client, path, base = write_endpoints[endpoint]

    @given(body=bodies(base))
    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    def check(body: str):
        # The same body, the same key: a replay, never a 422 that hides what the body does.
        key = hashlib.sha256(body.encode(errors="surrogatepass")).hexdigest()
        response = client.post(
            path, body, content_type="application/json", headers={"Idempotency-Key": key}
        )  # a bug (500) raises here, with its traceback
        assert response.status_code < 500, (response.status_code, response.content[:500])
        if response.status_code >= 400:
            assert response["Content-Type"] == PROBLEM_CONTENT_TYPE

    check()
    assert Payment.objects.count() <= 2  # the base payment and the one "fuzz" reference
