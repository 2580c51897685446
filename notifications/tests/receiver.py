"""A client app's webhook receiver as a real HTTP(S) server in a thread: it records every
request and answers the status it is told (`status`, or one per request from `script`), after
`delay` seconds; `up = False` closes every connection unanswered, as a receiver that is down."""

import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    def verified(self, secret: str) -> dict:
        """The body, verified as any receiver would: the `standardwebhooks` library."""
        return Webhook(secret).verify(self.body, self.headers)


class _ServerV6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class Receiver:
    def __init__(self, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.requests: list[Received] = []
        self.status = 200
        self.script: list[int] = []
        self.delay = 0.0
        self.up = True
        self.answer_body = b"ok"
        self.redirect_to: str | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                if not receiver.up:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    status = receiver.script.pop(0) if receiver.script else receiver.status
                time.sleep(receiver.delay)
                try:
                    self.send_response(status)
                    if receiver.redirect_to:
                        self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Length", str(len(receiver.answer_body)))
                    self.end_headers()
                    self.wfile.write(receiver.answer_body)
                except OSError:  # the sender gave up waiting (its timeout)
                    self.close_connection = True

            def log_message(self, *args):
                pass

        server_class = _ServerV6 if ":" in host else ThreadingHTTPServer
        self._server = server_class((host, 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.host = host
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, name: str | None = None, path: str = "/hooks") -> str:
        host = name or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{self.scheme}://{host}:{self.port}{path}"

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
