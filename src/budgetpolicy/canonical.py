"""Canonical JSON: one byte-exact text for a value, so hashes and outputs are deterministic.

Decimals become strings (exact, never floats), dates ISO 8601, attrs objects
and mappings sorted dicts, tuples lists. Used for input hashes, policy
content hashes, ledger records and ``--format json`` output.

The text is defined as ``json.dumps(to_jsonable(value), sort_keys=True,
separators=(",", ":"), ensure_ascii=False)``; orjson writes those same bytes
about six times faster (the ledger's hot path), and whatever orjson cannot
represent goes through the json module, so the bytes never depend on which
encoder ran (tests/test_ledger_speed.py compares the two).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import orjson


def decimal_text(value: Decimal) -> str:
    """A Decimal's canonical text: positional (``2E+3`` -> ``"2000"``) unless the exponent is extreme."""
    return format(value, "f") if value == value.to_integral_value() or abs(value.adjusted()) < 20 \
        else str(value)


# Exact types returned as they are (also audit.entry.plain's), and each attrs class's eq fields
# (None for any other type seen), so that a large output does not ask attrs about every object's class again.
JSON_LEAVES = frozenset({str, int, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...] | None] = {}


def to_jsonable(value: Any) -> Any:
    """Convert model values to plain JSON types, losslessly (Decimal -> str)."""
    kind = type(value)
    if kind in JSON_LEAVES:  # the common cases first, by exact type; children's leaves inline
        return value
    if kind is Decimal:
        return decimal_text(value)
    if kind is list or kind is tuple:
        return [v if type(v) in JSON_LEAVES else to_jsonable(v) for v in value]
    if kind is dict:
        return {str(k): v if type(v) in JSON_LEAVES else to_jsonable(v) for k, v in value.items()}
    try:
        names = _FIELDS[kind]
    except KeyError:
        names = _FIELDS[kind] = tuple(f.name for f in attrs.fields(kind) if f.eq) if attrs.has(kind) else None
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical values; use Decimal")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_bytes(data: Any, *, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON of plain JSON data (what :func:`to_jsonable` returns), byte for byte
    ``json.dumps(data, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False).encode()``.

    orjson writes it; what orjson refuses (ints beyond 64 bits, non-str keys, nesting deeper
    than 254 levels, lone surrogates) is written by the json module instead, which raises
    UnicodeEncodeError for lone surrogates just as encoding its text would. Floats are the
    caller's to keep out: the two encoders format them differently (to_jsonable refuses them).
    """
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except orjson.JSONEncodeError:
        return _json_text(data, sort_keys).encode("utf-8")


def _json_text(data: Any, sort_keys: bool) -> str:
    return json.dumps(data, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)


def _sorted_text(data: Any, indent: bool) -> str:
    """Plain JSON data as text with sorted keys, compact or indented by 2, written by orjson; what
    orjson refuses (see :func:`json_bytes`) by the json module, which keeps a lone surrogate in the text."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
                            ).decode("utf-8")
    except orjson.JSONEncodeError:
        if indent:
            return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)
        return _json_text(data, True)


def canonical_json(value: Any) -> str:
    return _sorted_text(to_jsonable(value), indent=False)


def sha256_hex(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` (or of the text itself when given a str)."""
    data = value.encode("utf-8") if isinstance(value, str) else json_bytes(to_jsonable(value), sort_keys=True)
    return hashlib.sha256(data).hexdigest()


def pretty_json(value: Any) -> str:
    """Stable, human-readable JSON for output files (sorted keys, 2-space indent, final newline):
    ``json.dumps(to_jsonable(value), sort_keys=True, indent=2, ensure_ascii=False) + "\\n"``.

    orjson writes the same text (the json module indents in pure Python: most of the time of a
    large ``evaluate --format json``); what orjson refuses goes through the json module, as in
    :func:`json_bytes`.
    """
    return _sorted_text(to_jsonable(value), indent=True) + "\n"
