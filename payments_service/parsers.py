"""The JSON parser of every endpoint: DRF's, refusing what would otherwise fail far from it.

Checked here, before a view (and the idempotency fingerprint) sees the body: nesting deeper
than any body of this API has (the decoder's own limit is Python's recursion limit, reached
as a RecursionError), and lone surrogates (`"\\ud800"`): valid JSON escapes but not Unicode,
so no database and no UTF-8 encoder takes them.
"""

import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

# Bodies here are an object of scalars and one flat object (metadata, notes): 3 levels.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")
INVALID_UNICODE = "Not valid Unicode (a lone surrogate such as \\ud800); send UTF-8 text."
INVALID_KEY = "A key is not valid Unicode (a lone surrogate such as \\ud800); send UTF-8 text."


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        errors = json_errors(data)
        if errors:
            raise ValidationError(errors)
        return data


def json_errors(data) -> dict[str, list[str]]:
    """`{"field.sub": [message]}` for each string (or key) that is not valid Unicode; raises
    ParseError past MAX_DEPTH. Iterative: a deep body must not exhaust the stack here either."""
    errors: dict[str, list[str]] = {}
    pending = [(data, "", 1)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        if isinstance(value, str):
            if _SURROGATE.search(value):
                errors[path or "nonField"] = [INVALID_UNICODE]
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):  # named by where it is: the key itself is not text
                    errors[path or "nonField"] = [INVALID_KEY]
                else:
                    pending.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            pending.extend(
                (item, f"{path}.{index}" if path else str(index), depth + 1)
                for index, item in enumerate(value)
            )
    return errors
