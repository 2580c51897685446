"""The list shape every API endpoint shares (the client apps' base view is `clients.api`)."""

from rest_framework.pagination import PageNumberPagination


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
