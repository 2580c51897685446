"""What every API endpoint shares: the list shape, content negotiation and one path served by
a view per action (the client apps' base view is `clients.api`)."""

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination

from .problems import problem_response

# The Accept headers nearly every client sends, which choose the (one) JSON renderer as DRF would.
_PLAIN_ACCEPTS = frozenset({"", "*/*", "application/json"})


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's, with the common answer known in advance: parsing the Accept header and matching
    it cost a twentieth of a request's CPU. Anything else (`?format=`, a list of types, a type
    the service cannot answer: 406) goes through DRF's own rules."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "")
        plain = not format_suffix and self.settings.URL_FORMAT_OVERRIDE not in request.GET
        if plain and len(renderers) == 1 and accept in _PLAIN_ACCEPTS:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class Pagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}` everywhere."""

    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 100

    def get_paginated_response_schema(self, schema):
        # OpenAPI 3.1 (SPECTACULAR_SETTINGS): null is a type; DRF's own schema says `nullable`.
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                # Examples here let drf-spectacular wrap an operation's example in a page.
                "count": {"type": "integer", "example": 1},
                "next": {**link, "example": None},
                "previous": {**link, "example": None},
                "results": schema,
            },
        }


def by_method(**views):
    """One path whose methods are separate views (`get=ListApi.as_view(), post=CreateApi…`):
    each view does one action, as everywhere else, where the contract puts two on one path.
    Another method is a 405 problem that names the allowed ones. The schema generator
    (`payments_service.openapi`) documents each view as its own operation."""
    methods = {method.upper(): view for method, view in views.items()}
    allowed = ", ".join([*methods, "OPTIONS"])

    def view(request, *args, **kwargs):
        # HEAD is a GET without the body; OPTIONS (and CORS preflights the middleware does not
        # answer) go to the first view, which describes the path as DRF does.
        handler = methods.get("GET" if request.method == "HEAD" else request.method)
        if handler is None and request.method == "OPTIONS":
            handler = next(iter(methods.values()))
        if handler is None:
            response = problem_response(
                request, 405, detail=f'Method "{request.method}" not allowed.'
            )
            response["Allow"] = allowed
            return response
        return handler(request, *args, **kwargs)

    view.views = methods
    view.csrf_exempt = True  # as each DRF view is: they authenticate with an app key, not a cookie
    return view
