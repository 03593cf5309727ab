"""The API's request parsers (DEFAULT_PARSER_CLASSES), apart from config.api: DRF reads this
setting while config.api's own imports (REST framework's views) are still loading."""

from __future__ import annotations

import gc
import io
import re
from itertools import accumulate
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Far deeper than any body the API takes (a few levels), and far below the depth at which
# Python's recursion limit turns parsing or validating a body into a 500.
MAX_JSON_DEPTH = 32
_TOO_DEEP = f"JSON parse error - the body is nested more than {MAX_JSON_DEPTH} levels deep."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing (400) a body nested deeper than MAX_JSON_DEPTH.

    The standard library's decoder recurses once per level and gives up at the recursion
    limit (`"[" * 2000` raised RecursionError: a 500); a body it accepts has its brackets
    counted once outside its strings. Both steps take time linear in the body."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = stream.read()
        # Decoding allocates containers only, never a cycle, yet each batch of allocations
        # sets off the cyclic collector over every object alive, more of them each time: a
        # 2.5 MB nested body took 0.9-1.2 s, 0.22 s with the collector paused. (Another thread
        # may resume it early; that costs only the speed-up.)
        collecting = gc.isenabled()
        gc.disable()
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_TOO_DEEP) from exc
        finally:
            if collecting:
                gc.enable()
        if _depth(body) > MAX_JSON_DEPTH:
            raise ParseError(_TOO_DEEP)
        return data


# A JSON string. Applied to valid JSON only, where each match runs to the quote that really
# ends it, so the scan is linear. UTF-8 never puts a quote or a backslash byte inside a
# multi-byte character.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _depth(body: bytes) -> int:
    """How deep valid JSON `body` nests: the running count of its brackets outside strings."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: most bodies stop here
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
