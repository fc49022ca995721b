"""Data stage, JSON text: parsed exactly (numbers as Decimal), refusing a key given twice in one object.

Python's ``json`` keeps the last of two equal keys without a word, so ``{"cost": 10, "cost": 90000}``
would be funded at 90000 while a reviewer reading the file sees 10. Data sources that read JSON
(the built-in one, the xAPI plugin) parse with :func:`loads`, which refuses it with the place of
the object. The fast parser runs first; only a file that has a duplicate is parsed again, with the
pure-Python scanner, to find where.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from budgetpolicy.policy.limits import MAX_DEPTH, first_too_deep

__all__ = ["DuplicateKey", "JsonInputError", "TooDeep", "loads"]


class JsonInputError(ValueError):
    """JSON the sources refuse although it parses: its message, line and column, and a hint."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.line, self.column, self.hint = line, column, hint


class DuplicateKey(JsonInputError):
    """A key given twice in one JSON object: the key, and the line and column where the object opens."""

    def __init__(self, key: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(f"key '{key}' is given twice in one object", line, column,
                         f"keep one '{key}' (a JSON reader would silently take the last)")
        self.key = key


class TooDeep(JsonInputError):
    """Arrays or objects nested past what the parser can recurse into."""


# The pure-Python scanner and its object parser: public in the json package, not in its type stubs.
_JSON_OBJECT: Any = getattr(json.decoder, "JSONObject")
_PY_SCANNER: Any = getattr(json.scanner, "py_make_scanner")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def loads(text: str) -> Any:
    """``json.loads`` with Decimal numbers (NaN/Infinity too, so a later check names the field);
    raises ``json.JSONDecodeError`` for malformed text, :class:`DuplicateKey` and :class:`TooDeep` (located)."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=Decimal, object_pairs_hook=_unique)
    except DuplicateKey as exc:
        raise _located(text, exc.key) from None
    except RecursionError:
        line, column = first_too_deep(text) or (None, None)
        raise TooDeep(f"arrays or objects nested more than {MAX_DEPTH} levels deep", line, column,
                      hint="a record nests a few levels at most; flatten it") from None


def _located(text: str, key: str) -> DuplicateKey:
    found: list[int] = []

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Callable[..., Any], hook: Any,
                     pairs_hook: Any, memo: Any = None) -> tuple[Any, int]:
        pairs, end = _JSON_OBJECT(s_and_end, strict, scan_once, hook, list, memo)
        if not found and len({k for k, _ in pairs}) < len(pairs):
            found.append(s_and_end[1] - 1)  # the position of the object's "{"
        return dict(pairs), end

    decoder: Any = json.JSONDecoder(parse_float=Decimal, parse_constant=Decimal)
    decoder.parse_object = parse_object
    decoder.scan_once = _PY_SCANNER(decoder)  # the C scanner never calls parse_object
    decoder.decode(text)
    if not found:  # pragma: no cover - the fast parse found one
        return DuplicateKey(key)
    at = found[0]
    line = text.count("\n", 0, at) + 1
    return DuplicateKey(key, line, at - (text.rfind("\n", 0, at) + 1) + 1)
