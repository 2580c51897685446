"""The HTTP front (auth, API faults, dispatch) and the Simulator's lifecycle."""

import base64
import hmac
import http.client
import logging
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import api, control
from .config import Config, Faults
from .errors import ApiError
from .ids import new_id
from .routing import Request, Response, error_response, html_response, json_response
from .state import Store
from .webhooks import WebhookDispatcher

log = logging.getLogger("razorpay_simulator")

DEFAULT_KEY_ID = "rzp_test_simulator00000"
DEFAULT_KEY_SECRET = "sim_secret"  # noqa: S105 - a well-known test secret, like Razorpay's test keys

_SERVER_ERROR = "The server encountered an error. The incident has been reported to admins."
_GATEWAY_ERROR = "Payment processing failed due to error at bank or wallet gateway"


class Simulator:
    """A stateful Razorpay API on a local port; `url` is the SDK's `base_url`."""

    def __init__(
        self,
        key_id=DEFAULT_KEY_ID,
        key_secret=DEFAULT_KEY_SECRET,
        webhook_url=None,
        webhook_secret=None,
        refund_delay=0.5,
        host="127.0.0.1",
        port=0,
        *,
        webhook_max_attempts=8,
        webhook_backoff=0.2,
        state_file=None,
    ):
        self.config = Config(key_id, key_secret)
        self.config.update(
            {
                "webhook_url": webhook_url,
                "webhook_secret": webhook_secret,
                "refund_delay": refund_delay,
                "webhook_max_attempts": webhook_max_attempts,
                "webhook_backoff": webhook_backoff,
            }
        )
        self.webhooks = WebhookDispatcher(self.config, new_id("acc"))
        # state_file: orders, payments and refunds survive a restart (None: memory only).
        self.store = Store(self.config, self.webhooks, state_file)
        # The API requests received, as they arrive (before any fault): a test can see that a
        # request reached "Razorpay" before it kills the process that sent it.
        self.received = deque(maxlen=1000)
        self._address = (host, port)
        self._server = None
        self._stopping = threading.Event()
        self.url = None  # "http://host:port" once started: the SDK's base_url (no /v1)

    def start(self):
        self._stopping.clear()
        self._server = _Server(self._address, _Handler)
        self._server.simulator = self
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="razorpay-sim-http",
            daemon=True,
        ).start()
        self.webhooks.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._stopping.set()  # wakes requests sleeping in latency/timeout faults
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        self.webhooks.stop()
        with self.store.lock:
            self.store.close()

    def reset(self):
        """Forget all orders, payments, refunds, deliveries and faults (settings stay)."""
        self.store.reset()
        self.webhooks.reset()
        self.received.clear()
        self.config.faults = Faults()

    def pause(self, seconds):
        self._stopping.wait(seconds)

    def __enter__(self):
        return self if self._server else self.start()

    def __exit__(self, *exc_info):
        self.stop()


class _Server(ThreadingHTTPServer):
    simulator = None  # set by Simulator.start(); the handlers reach the state through it
    daemon_threads = True
    request_queue_size = 128  # the service's load tests open many connections at once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects
    server_version = "RazorpaySimulator/1"
    # Headers and body leave in one buffered write, without Nagle's delay: otherwise each
    # keep-alive response waits ~40 ms for the client's delayed ACK.
    wbufsize = -1
    disable_nagle_algorithm = True

    def do_GET(self):
        started = time.monotonic()
        request = self._read_request()
        response = _respond(self.server.simulator, request)
        # Logged before answering, so the line exists by the time the client sees the answer.
        outcome = "no answer (timeout fault)" if response is None else response.status
        elapsed_ms = (time.monotonic() - started) * 1000
        log.info("%s %s %s %.1fms", request.method, self.path, outcome, elapsed_ms)
        if response is None:  # an injected timeout: the connection just closes
            self.close_connection = True
        else:
            self._send(response)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _read_request(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        return Request(self.command, url.path, query, self.headers, body)

    def _send(self, response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_request(self, code="-", size="-"):
        pass  # do_GET logs each request once, with its duration

    def log_message(self, format, *args):
        log.info(format, *args)


def _respond(sim, request):
    """The response for a request, or None when a timeout fault swallows it."""
    if request.path == "/v1" or request.path.startswith("/v1/"):
        sim.received.append({"method": request.method, "path": request.path})
        faults = sim.config.faults
        if faults.applies(request.method, request.path):
            sim.pause(faults.latency_ms / 1000)
            if faults.roll(faults.timeout_rate):
                sim.pause(faults.hang_seconds)
                return None
            if faults.roll(faults.error_rate):
                return _fault_response(faults.error_status, faults.error_body)
        return _dispatch(api.ROUTER, sim, request, authenticate=True)
    return _dispatch(control.ROUTER, sim, request)


def _dispatch(router, sim, request, authenticate=False):
    try:
        handler, ids = router.match(request.method, request.path)
        if authenticate:
            _authenticate(sim.config, request)
        result = handler(sim, request, *ids)
        return result if isinstance(result, Response) else json_response(result)
    except ApiError as error:
        return error_response(error)
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(ApiError(_SERVER_ERROR, status=500, code="SERVER_ERROR"))


def _authenticate(config, request):
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        key_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except ValueError:  # bad base64 or UTF-8
        key_id = secret = ""
    valid = (
        scheme.lower() == "basic"
        and hmac.compare_digest(key_id.encode(), config.key_id.encode())
        and hmac.compare_digest(secret.encode(), config.key_secret.encode())
    )
    if not valid:
        raise ApiError("Authentication failed", status=401)


def _fault_response(status, body_kind):
    if body_kind == "html":
        # What a load balancer in front of the API answers: not JSON at all.
        title = f"{status} {http.client.responses.get(status, 'Error')}"
        page = f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1>"
        return html_response(page + "</center><hr><center>nginx</center></body></html>", status)
    # Razorpay's codes for the status (contract §2), so the SDK raises the matching error class.
    if status in (502, 504):
        error = ApiError(_GATEWAY_ERROR, status=status, code="GATEWAY_ERROR")
    elif status >= 500:
        error = ApiError(_SERVER_ERROR, status=status, code="SERVER_ERROR")
    elif status == 429:
        error = ApiError("Request failed. Please try after sometime.", status=status)
    else:
        error = ApiError(http.client.responses.get(status, "Bad request"), status=status)
    return error_response(error)
