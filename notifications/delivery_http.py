"""The one way the service POSTs to a client app's endpoint, guarded against server-side
request forgery: an endpoint URL is someone else's input, and the worker sits inside our
network, beside the database and the cloud's metadata service.

`url_check` refuses what production must never reach: a scheme other than https (production),
and any address that is not a public unicast one (loopback, private, link-local such as
169.254.169.254, multicast, unspecified, reserved, shared, IPv4 hidden in IPv6), unless
NOTIFY_ALLOW_PRIVATE_URLS. `post` checks again at every delivery (a name may resolve elsewhere
now) and connects to exactly the address it checked, naming the host only for TLS and the
Host header, so a second DNS answer cannot slip in between (DNS rebinding). It follows no
redirect, retries nothing itself and reads at most a few KiB of the answer.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings

MAX_URL_LENGTH = 2048
READ_AT_MOST = 4096  # bytes of an answer read; a receiver's body means little to us
EXCERPT_CHARS = 1024  # what an attempt keeps of it

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlRefused(Exception):
    """An endpoint URL the service will not call; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (a name, or an address without brackets)
    port: int
    path: str  # path and query
    address: str  # the checked address to connect to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def address_refused(address: str) -> str | None:
    """Why this address may not be called (None: it is a public unicast address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried in IPv6 reaches that IPv4 address.
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return address_refused(str(inner))
    for what in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{what}"):
            return f"{ip} is a {what.replace('_', '-')} address"
    if not ip.is_global:  # shared (100.64/10), documentation, benchmarking, …
        return f"{ip} is not a public address"
    return None


def url_check(url: str, *, resolve: bool = True) -> Target:
    """The target of an endpoint URL, or UrlRefused saying why not."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"At most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"Not a URL: {exc}.") from exc
    allowed = ("https",) if settings.NOTIFY_HTTPS_ONLY else ("https", "http")
    if parts.scheme not in allowed:
        raise UrlRefused(f"The URL must start with {' or '.join(f'{s}://' for s in allowed)}.")
    if not parts.hostname:
        raise UrlRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("No credentials in the URL: verify the signature instead.")
    if parts.fragment:
        raise UrlRefused("No #fragment: it is never sent.")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not resolve:
        return Target(parts.scheme, host, port, path, address="")
    return Target(parts.scheme, host, port, path, address=_resolve(host, port))


def _resolve(host: str, port: int) -> str:
    """The address to connect to; every address the name has must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"{host} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UrlRefused(f"{host} does not resolve.")
    if not settings.NOTIFY_ALLOW_PRIVATE_URLS:
        for address in addresses:
            why = address_refused(address)
            if why:
                raise UrlRefused(f"{host} is refused: {why}.")
    return addresses[0]


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POSTs `body` to `url` once: the answer's status, latency and first KiB, or the error."""
    started = time.monotonic()

    def answer(status=None, excerpt="", error="") -> Answer:
        latency = int((time.monotonic() - started) * 1000)
        return Answer(status, latency, excerpt, error[:300])

    try:
        target = url_check(url)
    except UrlRefused as exc:
        return answer(error=f"refused: {exc}")
    timeout = urllib3.Timeout(total=settings.NOTIFY_TIMEOUT)
    options = {"timeout": timeout, "retries": False, "maxsize": 1}
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.NOTIFY_CA_BUNDLE or certifi.where(),
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, **options)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = response.read(READ_AT_MOST, decode_content=False)
        except urllib3.exceptions.HTTPError:  # the answer's status is what counts
            excerpt = b""
        response.close()
        text = excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS]
        return answer(response.status, text)
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        return answer(error=f"{type(reason).__name__}: {reason}")
    finally:
        pool.close()
