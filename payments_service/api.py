"""Base classes for client-facing API views."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from .client_apps import ClientAppAuthentication, IsClientApp
from .ratelimit import ClientAppRateLimit


class ClientAppApi(APIView):
    """An endpoint for client apps: Bearer API key, rate limited per app."""

    authentication_classes = [ClientAppAuthentication]
    permission_classes = [IsClientApp]
    throttle_classes = [ClientAppRateLimit]

    def paginated(self, queryset, serializer_class) -> Response:
        """One page of `queryset`, in the list shape every endpoint shares (list views set
        `pagination_class = Pagination`, which their schema reads too)."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


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
                "count": {"type": "integer"},
                "next": link,
                "previous": link,
                "results": schema,
            },
        }
