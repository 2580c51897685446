"""Plain request/response values and a regex router, independent of http.server."""

import dataclasses
import email.parser
import email.policy
import json
import re
from urllib.parse import parse_qs

from .errors import ApiError, unknown_route


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict  # name -> list of values, as parse_qs gives them
    headers: object  # email.message.Message: case-insensitive .get()
    body: bytes

    def json(self):
        """The body as a JSON object ({} when empty)."""
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise ApiError("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise ApiError("The request body must be a JSON object.")
        return data

    def form(self):
        """A form-encoded body as {name: last value}."""
        fields = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}

    def multipart(self):
        """A multipart/form-data body as ({field: value}, {field: (filename, type, bytes)});
        a file part without a Content-Type has type None."""
        content_type = self.headers.get("Content-Type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise ApiError("The request body must be multipart/form-data.")
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        fields, files = {}, {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name is None:
                continue
            content = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is None:
                fields[name] = content.decode("utf-8", "replace")
            else:
                files[name] = (filename, part["Content-Type"] and part.get_content_type(), content)
        return fields, files

    def param(self, name):
        values = self.query.get(name)
        return values[-1] if values else None


@dataclasses.dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"


def json_response(data, status=200):
    return Response(status, json.dumps(data, separators=(",", ":")).encode())


def html_response(text, status=200):
    return Response(status, text.encode(), "text/html; charset=utf-8")


def error_response(error):
    return json_response(error.body(), error.status)


class Router:
    """(method, path regex, handler) routes. A handler gets (simulator, request, *path groups)
    and returns a Response, or data to answer as JSON with status 200."""

    def __init__(self, routes):
        # A trailing slash is tolerated, as Razorpay does.
        self._routes = [(m, re.compile(f"^{pattern}/?$"), h) for m, pattern, h in routes]

    def match(self, method, path):
        for route_method, pattern, handler in self._routes:
            found = pattern.match(path)
            if found and route_method == method:
                return handler, found.groups()
        raise unknown_route()
