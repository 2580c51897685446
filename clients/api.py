"""The base class of client-facing API views."""

from rest_framework.response import Response
from rest_framework.views import APIView

from payments_service.ratelimit import ClientAppRateLimit

from .auth import ClientAppAuthentication, IsClientApp


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
