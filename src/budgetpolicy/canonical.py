"""Canonical JSON: one byte-exact text for a value, so hashes and outputs are deterministic.

Decimals become strings (exact, never floats), dates ISO 8601, attrs objects
and mappings sorted dicts, tuples lists. Used for input hashes, policy
content hashes, ledger records and ``--format json`` output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs


def to_jsonable(value: Any) -> Any:
    """Convert model values to plain JSON types, losslessly (Decimal -> str)."""
    kind = type(value)
    if kind is str or value is None or kind is bool or kind is int:  # the common leaves, checked cheaply
        return value
    if isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f") if value == value.to_integral_value() or abs(value.adjusted()) < 20 \
            else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if attrs.has(type(value)):
        return {f.name: to_jsonable(getattr(value, f.name))
                for f in attrs.fields(type(value)) if f.eq}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical values; use Decimal")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def canonical_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` (or of the text itself when given a str)."""
    data = value if isinstance(value, str) else canonical_json(value)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def pretty_json(value: Any) -> str:
    """Stable, human-readable JSON for output files (sorted keys, 2-space indent, final newline)."""
    return json.dumps(to_jsonable(value), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
