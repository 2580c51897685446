"""No server-side request forgery: with production's settings an endpoint on loopback, a
private network, link-local (cloud metadata) or other non-public address is refused, at
registration and at delivery, as is plain http; the address checked is the one connected to;
redirects are not followed and only a few KiB of an answer are read. HTTPS is tested against a
local TLS receiver whose certificate comes from a test CA (trustme)."""

import socket
import ssl

import pytest
import trustme

from notifications import delivery_http
from notifications.delivery_http import UrlRefused, address_refused, url_check
from notifications.services import EndpointInvalid, webhook_endpoint_create

from .receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    """The delivery settings production runs with (ENVIRONMENT=production)."""
    settings.NOTIFY_HTTPS_ONLY = True
    settings.NOTIFY_ALLOW_PRIVATE_URLS = False
    return settings


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.5/hooks",
        "https://[::1]/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/hooks",  # IPv4 inside IPv6
        "https://[::ffff:169.254.169.254]/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://192.168.1.20:8443/",
        "https://172.16.0.1/",
        "https://100.64.0.1/",  # shared address space (carrier NAT)
        "https://localhost/hooks",  # a name resolving to loopback
    ],
)
def test_production_refuses_non_public_addresses_at_registration(client_app, production, url):
    with pytest.raises(EndpointInvalid) as refused:
        webhook_endpoint_create(client_app=client_app, url=url)
    assert refused.value.field == "url"


def test_production_refuses_them_over_the_api_as_a_400_naming_url(api, production):
    for url in (
        "https://127.0.0.1/",
        "https://10.0.0.5/",
        "https://[::1]/",
        "https://169.254.169.254/",
    ):
        response = api.post("/webhook-endpoints", {"url": url}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert list(response.json()["errors"]) == ["url"]


def test_production_refuses_plain_http(production):
    with pytest.raises(UrlRefused, match="https://"):
        url_check("http://93.184.215.14/hooks")


def test_a_name_that_does_not_resolve_is_refused_at_registration(client_app):
    with pytest.raises(EndpointInvalid) as refused:
        webhook_endpoint_create(client_app=client_app, url="https://nowhere.invalid/hooks")
    assert "does not resolve" in refused.value.message


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address):
    assert address_refused(address) is None


def test_a_name_resolving_to_a_private_address_at_delivery_is_not_called(production, monkeypatch):
    """Registered while it pointed somewhere public; it points inside now (DNS rebinding)."""
    calls = []

    def resolves_inside(host, port, *args, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolves_inside)
    answer = delivery_http.post("https://hooks.example.com/x", body=b"{}", headers={})
    assert answer.status_code is None and "10.0.0.5 is a private address" in answer.error
    assert calls == ["hooks.example.com"]


def test_it_connects_to_the_address_it_checked_naming_the_host_only_in_host(monkeypatch):
    receiver = Receiver()
    try:
        looked_up = []
        real = socket.getaddrinfo

        def resolve_once(host, port, *args, **kwargs):
            looked_up.append(host)
            return real("127.0.0.1", port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", resolve_once)
        url = f"http://hooks.example.com:{receiver.port}/in?x=1"
        answer = delivery_http.post(url, body=b"{}", headers={"webhook-id": "evt_1"})
        assert answer.status_code == 200
        # the name is resolved once, by the check; urllib3 is given the address it checked
        assert looked_up == ["hooks.example.com", "127.0.0.1"]
        (request,) = receiver.received()
        assert request.headers["Host"] == f"hooks.example.com:{receiver.port}"
        assert request.path == "/in?x=1"
    finally:
        receiver.close()


def test_a_redirect_is_not_followed_and_is_no_success():
    receiver, target = Receiver(), Receiver()
    try:
        receiver.status, receiver.redirect_to = 307, target.url()
        answer = delivery_http.post(receiver.url(), body=b"{}", headers={})
        assert answer.status_code == 307 and not answer.delivered
        assert target.received() == []
    finally:
        receiver.close()
        target.close()


def test_only_the_first_kib_of_a_large_answer_is_kept():
    receiver = Receiver()
    try:
        receiver.answer_body = b"x" * 5_000_000
        answer = delivery_http.post(receiver.url(), body=b"{}", headers={})
        assert answer.delivered and answer.excerpt == "x" * 1024
    finally:
        receiver.close()


def test_an_ipv6_receiver_is_reached():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        receiver = Receiver(host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert delivery_http.post(receiver.url(), body=b"{}", headers={}).delivered
    finally:
        receiver.close()


@pytest.fixture(scope="module")
def test_ca():
    return trustme.CA()


def tls_receiver(ca) -> Receiver:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.example.com").configure_cert(context)
    return Receiver(tls=context)


def test_https_is_delivered_to_a_certificate_the_ca_vouches_for(
    settings, test_ca, tmp_path, monkeypatch
):
    bundle = tmp_path / "ca.pem"
    test_ca.cert_pem.write_to_path(str(bundle))
    settings.NOTIFY_CA_BUNDLE = str(bundle)
    settings.NOTIFY_HTTPS_ONLY = True
    receiver = tls_receiver(test_ca)
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, port, *a, **k: real("127.0.0.1", port, *a, **k)
    )
    try:
        url = receiver.url(name="hooks.example.com")
        answer = delivery_http.post(url, body=b'{"a":1}', headers={"webhook-id": "evt_1"})
        assert answer.status_code == 200, answer.error
        (request,) = receiver.received()
        assert request.body == b'{"a":1}' and request.headers["Host"].startswith("hooks.")

        # the same receiver under another name: its certificate does not match
        other = delivery_http.post(receiver.url(name="other.example.com"), body=b"{}", headers={})
        assert other.status_code is None and "doesn't match" in other.error
        # and without the test CA, nobody vouches for it
        settings.NOTIFY_CA_BUNDLE = ""
        untrusted = delivery_http.post(url, body=b"{}", headers={})
        assert untrusted.status_code is None and "certificate verify failed" in untrusted.error
        assert len(receiver.received()) == 1
    finally:
        receiver.close()
