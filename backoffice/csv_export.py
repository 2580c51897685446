"""CSV export of an admin list as it is filtered on screen."""

import csv

from django.contrib import admin
from django.http import StreamingHttpResponse

from payments_service.admin import admin_page

# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection"):
# `=HYPERLINK(...)` in a client app's refund reason would run on finance's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """`value` as a spreadsheet takes it literally: text that would start a formula gets a
    leading `'`. Only text: numbers stay numbers (amounts are never negative)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


class CsvExportMixin:
    """Adds `export.csv` to a ModelAdmin (a link on the list, and the "Export selected as
    CSV" action): the change list's current filters and search, as CSV. `csv_columns` are
    field names or (header, field lookup) pairs; amounts stay in minor units, exact, under a
    header that says so."""

    csv_columns: list[str | tuple[str, str]]
    change_list_template = "backoffice/change_list.html"

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_export"
        export = admin_page(self, "export.csv", self.export_csv_view, name)
        return [export, *super().get_urls()]

    @admin.action(description="Export selected as CSV")
    def export_csv(self, request, queryset):
        return self.csv_response(queryset)

    def export_csv_view(self, request):
        return self.csv_response(self.get_changelist_instance(request).get_queryset(request))

    def csv_response(self, queryset) -> StreamingHttpResponse:
        """Streams the rows, so a large export costs no memory."""
        writer = csv.writer(_Echo())
        columns = [(c, c) if isinstance(c, str) else c for c in self.csv_columns]
        headers, lookups = zip(*columns, strict=True)
        rows = queryset.order_by("-created_at").values_list(*lookups).iterator()
        lines = (writer.writerow([csv_cell(value) for value in row]) for row in rows)
        response = StreamingHttpResponse(
            (line for part in ([writer.writerow(headers)], lines) for line in part),
            content_type="text/csv",
        )
        filename = f"{self.model._meta.verbose_name_plural.replace(' ', '-')}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
