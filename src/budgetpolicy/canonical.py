"""Canonical JSON, the one JSON path: output files, hashes and the ledger all go through here.

One converter, :func:`to_jsonable`, turns model values into plain JSON data:
Decimals become strings (exact, never floats), dates and times ISO 8601,
attrs objects and mappings dicts, tuples lists, sets sorted lists; floats are
refused. A field marked ``model.ADDED_LATER`` is left out while it is empty or
None, so values hashed and recorded before the field existed keep their hash. The encodings of that data all sort keys and never ASCII-escape:

* :func:`canonical_bytes` (compact, UTF-8): what is hashed (:func:`sha256_hex`,
  input and policy content hashes) and stored as a ledger payload;
  :func:`canonical_json` is the same text as a str;
* :func:`pretty_json` (indented by 2, final newline): ``--format json`` output;
* :func:`display_json` (one line, json's ``", "`` and ``": "`` separators): a
  value inside a message or a table cell.

Each is defined as ``json.dumps(to_jsonable(value), sort_keys=True,
ensure_ascii=False, ...)`` with its separators or indent. orjson writes the
canonical and pretty forms byte for byte the same, about six times faster (the
ledger's and ``evaluate --format json``'s hot path); whatever orjson refuses
(ints beyond 64 bits, nesting deeper than 254 levels, lone surrogates) goes
through the json module, so the bytes never depend on which encoder ran
(tests/test_ledger_speed.py and tests/test_canonical_output.py compare them).

:func:`json_string` quotes one string the same way, for JSON written around a
fixed shape (the ledger's record header and JSONL lines).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import orjson

_COMPACT = orjson.OPT_SORT_KEYS
_INDENTED = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2

# The C string quoter behind json.dumps(ensure_ascii=False), without an encoder's set-up per call.
json_string = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def decimal_text(value: Decimal) -> str:
    """A Decimal's canonical text: positional (``2E+3`` -> ``"2000"``) unless the exponent is extreme."""
    text = str(value)
    # No exponent in str(): already positional, the text format(value, "f") gives, at a quarter of the cost.
    # ("e" too: a context with capitals=0 writes exponents in lower case.)
    if "E" not in text and "e" not in text and value.is_finite():
        return text
    return format(value, "f") if value == value.to_integral_value() or abs(value.adjusted()) < 20 \
        else text


# Exact types returned as they are, and each attrs class's converter (None for any other type seen),
# so that a large output does not ask attrs about every object's class again.
_LEAVES = frozenset({str, int, bool, type(None)})
_CONVERTERS: dict[type, Callable[[Any, bool], dict[str, Any]] | None] = {}
_MAPPINGS: set[type] = set()  # the Mapping classes seen that are neither dicts nor attrs classes


def normal_text(value: Decimal) -> str:
    """A Decimal as output JSON writes it: the same number without trailing zeros (``55.800`` -> ``"55.8"``,
    ``78750.00`` -> ``"78750"``), positional like :func:`decimal_text`. Never used for hashes or the ledger."""
    return decimal_text(value.normalize()) if value.is_finite() else decimal_text(value)


def to_jsonable(value: Any, normal: bool = False) -> Any:
    """Convert model values to plain JSON data, losslessly (Decimal -> str); floats raise TypeError.

    The common cases come first, by exact type, and leaves and Decimals are kept inline rather
    than recursed into: this runs over every decision of an output and every recorded decision.
    ``normal`` writes Decimals by :func:`normal_text` (output files), else by :func:`decimal_text`.
    """
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is Decimal:
        return normal_text(value) if normal else decimal_text(value)
    text = normal_text if normal else decimal_text
    if kind is list or kind is tuple:
        return [v if type(v) in _LEAVES else text(v) if type(v) is Decimal else to_jsonable(v, normal)
                for v in value]
    if kind is dict:
        return {str(k): v if type(v) in _LEAVES else text(v) if type(v) is Decimal else to_jsonable(v, normal)
                for k, v in value.items()}
    try:
        convert = _CONVERTERS[kind]
    except KeyError:
        convert = _CONVERTERS[kind] = _converter(kind)
    if convert is not None:
        return convert(value, normal)
    if kind in _MAPPINGS:  # a Mapping that is not a dict (model.FrozenMap): inline, as a dict is
        return {str(k): v if type(v) in _LEAVES else text(v) if type(v) is Decimal else to_jsonable(v, normal)
                for k, v in value.items()}
    return _other_jsonable(value, normal)


def _converter(kind: type) -> Callable[[Any, bool], dict[str, Any]] | None:
    """For an attrs class, a function giving the dict of an instance's eq fields, each converted by
    :func:`to_jsonable` (leaves and Decimals inline), less the fields added later (``model.ADDED_LATER``)
    while empty or None. It is generated once per class, as attrs generates ``__init__`` and ``__eq__``:
    a loop over the field names costs twice as much, and every decision's fields go through here."""
    if not attrs.has(kind):
        if issubclass(kind, Mapping) and not issubclass(kind, (str, int, Decimal)):
            _MAPPINGS.add(kind)
        return None
    fields = [f.name for f in attrs.fields(kind) if f.eq]
    later = tuple(f.name for f in attrs.fields(kind) if f.eq and f.metadata.get("omit_when_empty"))
    lines = ["def convert(value, normal):", "    text = _normal_text if normal else _decimal_text"]
    lines += [f"    v{i} = value.{name}" for i, name in enumerate(fields)]
    items = ", ".join(f"{name!r}: v{i} if _type(v{i}) in _LEAVES else text(v{i}) if _type(v{i}) is _Decimal "
                      f"else _to_jsonable(v{i}, normal)" for i, name in enumerate(fields))
    lines.append(f"    out = {{{items}}}")
    for name in later:
        lines.append(f"    if out[{name!r}] is None or out[{name!r}] == {{}} or out[{name!r}] == []:")
        lines.append(f"        del out[{name!r}]")
    lines.append("    return out")
    scope: dict[str, Any] = {"_LEAVES": _LEAVES, "_Decimal": Decimal, "_type": type, "_to_jsonable": to_jsonable,
                             "_decimal_text": decimal_text, "_normal_text": normal_text}
    exec(compile("\n".join(lines), f"<canonical converter for {kind.__qualname__}>", "exec"), scope)
    convert: Callable[[Any, bool], dict[str, Any]] = scope["convert"]
    return convert


def _other_jsonable(value: Any, normal: bool) -> Any:
    """Subclasses of the JSON types (enums, str-derived literals) become the base type, so every
    encoder writes them alike; then Decimal subclasses, dates, other mappings and sequences."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):  # str.__str__, not str(): a (str, Enum) member's str() is "Cls.NAME"
        return str.__str__(value)
    if isinstance(value, Decimal):
        return normal_text(value) if normal else decimal_text(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):  # TOML has times of day too
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, normal) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, normal) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v, normal) for v in value), key=canonical_json)
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical values; use Decimal")
    raise TypeError(f"cannot serialise {type(value).__name__}")


# A run of 19 digits may be an integer past orjson's 64 bits (which it reads as a float): such a text goes
# to json. Found by mapping every digit to "0" (bytes.translate) and looking for 19 of them: about 8x
# faster than the regular expression [0-9]{19}, which cost more than orjson's whole parse.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19


def parse_json(text: str) -> Any:
    """``json.loads(text)``, the same values, faster: orjson reads the text unless it holds a run of 19
    digits (orjson reads an integer beyond 64 bits as a float) or orjson refuses it (``NaN``, ``1e400``,
    a lone surrogate, nesting past 1,024), and then the json module reads it and raises as it always did."""
    if _LONG_RUN not in text.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO):
        try:
            return orjson.loads(text)
        except ValueError:  # orjson.JSONDecodeError, or text it cannot encode: the json module decides
            pass
    return json.loads(text)


def _json_module_text(data: Any, indent: bool) -> str:
    """The definition itself, through the json module: for what orjson refuses."""
    if indent:
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _text(data: Any, indent: bool) -> str:
    """Plain JSON data as sorted text, keeping a lone surrogate (writing it out is the caller's error)."""
    try:
        return orjson.dumps(data, option=_INDENTED if indent else _COMPACT).decode("utf-8")
    except orjson.JSONEncodeError:
        return _json_module_text(data, indent)


def canonical_bytes(value: Any) -> bytes:
    """The canonical encoding of ``value``: compact, sorted keys, UTF-8. What hashes and ledger payloads use.

    A lone surrogate has no UTF-8 form: UnicodeEncodeError, as encoding the json module's text would raise.
    """
    data = to_jsonable(value)
    try:
        return orjson.dumps(data, option=_COMPACT)
    except orjson.JSONEncodeError:
        return _json_module_text(data, indent=False).encode("utf-8")


def canonical_json(value: Any) -> str:
    """The canonical encoding as text (:func:`canonical_bytes` decoded; a lone surrogate is kept)."""
    return _text(to_jsonable(value), indent=False)


def sha256_hex(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` (or of the text itself when given a str)."""
    data = value.encode("utf-8") if isinstance(value, str) else canonical_bytes(value)
    return hashlib.sha256(data).hexdigest()


def pretty_json(value: Any, normal: bool = False) -> str:
    """Stable, human-readable JSON for output files: sorted keys, 2-space indent, final newline.

    ``normal``: Decimals without trailing zeros (:func:`normal_text`), as every ``--format json`` writes them.
    """
    return _text(to_jsonable(value, normal), indent=True) + "\n"


def json_line(value: Any, normal: bool = True) -> str:
    """``value`` as one compact JSON line (sorted keys, final newline): a ``--format jsonl`` record."""
    return _text(to_jsonable(value, normal), indent=False) + "\n"


def display_json(value: Any) -> str:
    """``value`` on one line for a message or a table cell: sorted keys, ``", "`` and ``": "`` separators.

    Written by the json module (orjson has no spaced layout); it is never on a hot path.
    """
    return json.dumps(to_jsonable(value), sort_keys=True, ensure_ascii=False)
