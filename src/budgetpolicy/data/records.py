"""Data stage, record level: one raw record -> typed values, every problem collected.

A raw record is what a data source yields: nested (``{"forecast": {"p": 2}}``,
the JSON/TOML shape) or flat (``{"forecast.p": "2"}``, the CSV/SQL column
shape), with values typed (JSON/TOML) or all text (CSV/SQL). Two steps here,
each collecting every problem instead of stopping at the first, then the
schema step of :mod:`budgetpolicy.data.schema`:

1. :func:`normalise`: fold prefixed columns into maps, drop empty values
   (``None`` means missing), report unknown fields with did-you-mean.
2. :func:`coerce`: text -> Decimal / int / bool / list, exactly (no floats;
   NaN, infinities, thousands separators and absurd magnitudes are refused).

Problems go to a :func:`row_diagnostics` collector, each naming its field.
Codes: BP412 unknown field, BP413 wrong type, BP415 bad date, BP420 bad number.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from budgetpolicy.data.schema import ROW_WORDS
from budgetpolicy.errors import Diagnostics, Location, did_you_mean

# Field name -> how text is read. Order is the canonical record order.
INITIATIVE_FIELDS: dict[str, str] = {
    "id": "text", "title": "text", "kind": "text", "department": "text", "role": "text",
    "cost": "decimal", "currency": "text", "headcount": "int", "priorities": "list",
    "forecast": "map", "probability": "decimal", "horizon": "int", "objectives": "list",
    "delivery": "text", "evaluation_plan": "list", "sponsor": "text", "mentor": "text",
    "pilot": "bool", "ratings": "map", "attributes": "attributes", "start": "text",
    "milestones": "milestones", "rollout_of": "text", "conversion": "conversion",
}
OUTCOME_FIELDS: dict[str, str] = {
    "initiative_id": "text", "period": "text", "kpis": "map", "pre_assessment": "decimal",
    "post_assessment": "decimal", "completion_rate": "decimal", "observation": "decimal",
    "spend_to_date": "decimal", "finished": "bool", "satisfaction": "decimal", "relevance": "decimal",
    "pass_rate": "decimal", "hours": "decimal", "participants": "int", "attribution": "decimal",
    "confidence": "decimal",
}
# Flat column prefixes (CSV/SQL) -> the map field they fill; plural spellings are accepted too.
PREFIXES: dict[str, dict[str, str]] = {
    "initiatives": {"forecast": "forecast", "rating": "ratings", "ratings": "ratings",
                    "attr": "attributes", "attributes": "attributes",
                    "milestone": "milestones", "milestones": "milestones"},
    "outcomes": {"kpi": "kpis", "kpis": "kpis"},
}
FIELDS = {"initiatives": INITIATIVE_FIELDS, "outcomes": OUTCOME_FIELDS}
ATTRIBUTE_TYPES = ("number", "string", "bool", "date", "list<string>", "list<number>")

# Plain or scientific decimal text; anything else (1,000 / $5 / 12%) gets a specific hint.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)  # '٣', '５' are not digits here
_MAX_DIGITS = 15     # integer digits: 10**15 is far beyond any budget, and keeps arithmetic exact
_MAX_PLACES = 12     # fractional digits after dropping trailing zeros
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
# What a column name and a number's text come to, remembered up to a bound (a file of unique texts must
# not grow them without end). Both answers are immutable (tuples, Decimals), so sharing them is safe.
_REMEMBER = 65_536
_CLASSIFIED: dict[str, dict[str, tuple[str, str | None] | None]] = {kind: {} for kind in FIELDS}
_DECIMALS: dict[str, Decimal] = {}


# Diagnostics of one record, placed by field name at the record's location.
RowDiagnostics = Diagnostics[str | None]


def row_diagnostics(where: Location) -> RowDiagnostics:
    """A collector for the problems of the record at ``where``, each naming its field."""
    return Diagnostics(lambda field: where.evolve(field=field))


# -- 1. shape ----------------------------------------------------------------


def classify_key(key: str, kind: str) -> tuple[str, str | None] | None:
    """``(field, map_key)`` for a known field or prefixed column, else None. Remembered per column name:
    every row of a file has the same header."""
    known = _CLASSIFIED[kind]
    try:
        return known[key]
    except KeyError:
        place = _classify(key, kind)
        if len(known) < _REMEMBER:
            known[key] = place
        return place


def _classify(key: str, kind: str) -> tuple[str, str | None] | None:
    if key in FIELDS[kind]:
        return key, None
    prefix, dot, rest = key.partition(".")
    target = PREFIXES[kind].get(prefix)
    if dot and rest and target:
        return target, rest
    return None


def unknown_key_hint(key: str, kind: str) -> str:
    known = list(FIELDS[kind])
    prefix, dot, rest = key.partition(".")
    close = difflib.get_close_matches(prefix, list(PREFIXES[kind]), n=1, cutoff=0.6) if dot else []
    if close:
        return f"did you mean '{close[0]}.{rest}'?"
    maps = ", ".join(f"{p}.NAME" for p in dict.fromkeys(PREFIXES[kind]) if p in ("forecast", "rating", "attr", "kpi"))
    if kind == "initiatives":
        maps += ", milestone.YYYY-Qn.PRIORITY"
    return did_you_mean(key, known) or f"known fields: {', '.join(known)}; map columns: {maps}"


def normalise(record: Mapping[str, Any], kind: str,
              problems: RowDiagnostics) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """Nested record without ``None`` values, and the user's name for each (field, key)."""
    out: dict[str, Any] = {}
    names: dict[tuple[str, str], str] = {}
    for key, value in record.items():
        if key.__class__ is not str and not isinstance(key, str):
            problems.add("BP412", str(key), f"field names must be text, got {describe(key)}")
            continue
        place = classify_key(key, kind)
        if place is None:
            problems.add("BP412", key, f"unknown field '{key}'", unknown_key_hint(key, kind))
            continue
        if value is None:
            continue
        name, map_key = place
        if map_key is None:
            # (text, a CSV cell, is no map: decided without asking the Mapping ABC)
            if value.__class__ is not str and isinstance(value, Mapping) and isinstance(out.get(name), dict):
                _merge(out[name], value, name, names, problems)
            else:
                out[name] = value
            continue
        target = out.setdefault(name, {})
        if not isinstance(target, dict):
            continue  # the nested field has the wrong type; coerce() reports it
        if map_key in target:
            problems.add("BP412", key, f"'{key}' is given twice", "keep one of the two spellings")
        target[map_key] = value
        names[(name, map_key)] = key
        if name == "milestones":  # milestone.<quarter>.<priority>: a bad quarter is placed at its first column
            names.setdefault((name, map_key.partition(".")[0]), key)
    for name, value in list(out.items()):
        if value.__class__ is dict or (value.__class__ is not str and isinstance(value, Mapping)):
            out[name] = {k: v for k, v in value.items() if v is not None}
    return out, names


def _merge(into: dict[str, Any], value: Mapping[str, Any], name: str, names: dict[tuple[str, str], str],
           problems: RowDiagnostics) -> None:
    for k, v in value.items():
        if k in into:
            problems.add("BP412", f"{name}.{k}", f"'{name}.{k}' is given twice", "keep one of the two spellings")
        into[k] = v


# -- 2. types ----------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def describe(value: Any) -> str:
    """A value as a row's reader would name it ("text \"x\"", "a map"), for "expected X, got Y"."""
    return ROW_WORDS.describe(value)


def to_decimal(value: Any) -> Decimal:
    """An exact, finite Decimal of sane magnitude; scale is kept (0.70 stays 0.70). The Decimal of a text
    is remembered (a file repeats its ratings, shares and round amounts on every row)."""
    if value.__class__ is str:
        try:
            return _DECIMALS[value]
        except KeyError:
            number = _to_decimal(value)  # raises for a bad text: only good ones are remembered
            if len(_DECIMALS) < _REMEMBER:
                _DECIMALS[value] = number
            return number
    return _to_decimal(value)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _Bad("BP413", f"expected a number, got {describe(value)}")
    if isinstance(value, float):
        value = Decimal(repr(value))  # shortest repr: 0.1 stays 0.1, never 0.1000000000000000055
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        value = _parse_decimal_text(value.strip())
    elif isinstance(value, Mapping) and set(value) == {"decimal"} and isinstance(value["decimal"], str):
        value = _parse_decimal_text(value["decimal"])  # the canonical form of a numeric attribute
    if not isinstance(value, Decimal):
        raise _Bad("BP413", f"expected a number, got {describe(value)}")
    if not value.is_finite():
        raise _Bad("BP420", f"{value} is not a finite number", "give a plain decimal such as 1500.00")
    if value != 0 and value.adjusted() >= _MAX_DIGITS:
        raise _Bad("BP420", f"{value} is out of range (more than {_MAX_DIGITS} digits before the point)",
                   "check the value and its unit")
    if value != 0 and value.normalize().as_tuple().exponent < -_MAX_PLACES:  # type: ignore[operator]
        raise _Bad("BP420", f"{value} has more than {_MAX_PLACES} decimal places", "round it")
    number: Decimal = value
    if number.as_tuple().exponent > 0:  # type: ignore[operator]
        number = number.quantize(Decimal(1))  # 1E+3 -> 1000, so the canonical text round-trips
    return number + 0 if number.is_zero() else number  # -0 -> 0


def _parse_decimal_text(text: str) -> Decimal:
    if _NUMBER.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only admits valid text
            pass
    shown = json.dumps(text, ensure_ascii=False)
    foreign = next((ch for ch in text if ch.isdigit() and not ch.isascii()), None)
    if foreign is not None:
        raise _Bad("BP420", f"{shown} has the digit '{foreign}' (U+{ord(foreign):04X}), not one of 0-9",
                   "write the amount with the ASCII digits 0-9")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        raise _Bad("BP420", f"{shown} has a thousands separator",
                   f"write {text.replace(',', '')}: no separators, '.' is the decimal point")
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        raise _Bad("BP420", f"{shown} uses ',' as the decimal point", f"write {text.replace(',', '.')}")
    if re.fullmatch(r"[-+]?\s*[$€£¥]\s*[\d.,]+|[\d.,]+\s*[$€£¥]", text):
        raise _Bad("BP420", f"{shown} has a currency symbol", "give the amount only; the currency is a separate field")
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise _Bad("BP420", f"{shown} is not a finite number", "give a plain decimal such as 1500.00")
    if text.endswith("%"):
        raise _Bad("BP420", f"{shown} is a percentage", "give a fraction or plain number without '%'")
    raise _Bad("BP420", f"{shown} is not a number", "give a plain decimal such as 1500.00")


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad("BP413", f"expected a whole number, got {describe(value)}")
    if isinstance(value, int):
        return value
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise _Bad("BP413", f"expected a whole number, got {describe(value)}", "drop the fraction")
    return int(number)


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Bad("BP413", f"expected a boolean, got {describe(value)}", "use true/false, yes/no or 1/0")


def to_list(value: Any) -> list[Any]:
    """A list, or ';'-separated text (the CSV/SQL spelling); blank items are dropped."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(";") if item.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise _Bad("BP413", f"expected a list, got {describe(value)}", "give a list, or items separated by ';'")


def to_attribute(value: Any, declared: str | None) -> Any:
    """A custom attribute: converted to its declared type, else kept (text stays text)."""
    if declared == "number":
        return to_decimal(value)
    if declared == "bool":
        return to_bool(value)
    if declared == "string":
        return format(value, "f") if isinstance(value, Decimal) else str(value) \
            if isinstance(value, (int, str)) and not isinstance(value, bool) else _reject(value, "text")
    if declared == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat() if isinstance(value, str) \
                else _reject(value, "a date")
        except ValueError:
            raise _Bad("BP415", f"{describe(value)} is not a date", "use YYYY-MM-DD") from None
    if declared in ("list<string>", "list<number>"):
        items = to_list(value)
        return [to_attribute(v, declared[5:-1]) for v in items]
    # Undeclared: keep what the source gave, only making numbers exact.
    if isinstance(value, (str, bool, Decimal)):
        return value
    if isinstance(value, (int, float)) or (isinstance(value, Mapping) and set(value) == {"decimal"}):
        return to_decimal(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_attribute(v, None) for v in value]
    return _reject(value, "text, a number, a boolean or a list")


def _reject(value: Any, want: str) -> Any:
    raise _Bad("BP413", f"expected {want}, got {describe(value)}")


def coerce(record: dict[str, Any], kind: str, names: dict[tuple[str, str], str], problems: RowDiagnostics,
           attribute_types: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Typed values for every field that converts; failures are added to ``problems``."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        how = FIELDS[kind][name]
        try:
            if how == "text":
                out[name] = value if isinstance(value, str) else _reject(value, "text")
            elif how == "decimal":
                out[name] = to_decimal(value)
            elif how == "int":
                out[name] = to_int(value)
            elif how == "bool":
                out[name] = to_bool(value)
            elif how == "list":
                out[name] = to_list(value)
            elif how == "milestones":
                out[name] = coerce_milestones(value, names, problems)
            elif how == "conversion":
                out[name] = _conversion(value)
            else:
                out[name] = coerce_map(name, value, how, names, problems, attribute_types or {})
        except _Bad as bad:
            problems.add(bad.code, name, bad.message, bad.hint)
    return out


def _conversion(value: Any) -> dict[str, Any]:
    # Only the ledger's own snapshots carry it (the policy step refuses it in user data).
    if not (isinstance(value, Mapping) and set(value) == {"currency", "amount", "rate"}):
        raise _Bad("BP413", f"expected a map of currency, amount and rate, got {describe(value)}")
    return {"currency": value["currency"], "amount": to_decimal(value["amount"]), "rate": to_decimal(value["rate"])}


def coerce_milestones(value: Any, names: dict[tuple[str, str], str],
                      problems: RowDiagnostics) -> dict[str, dict[str, Decimal]]:
    """Quarter -> priority -> Decimal, from the nested form (JSON/TOML) and the flat columns
    ``milestone.<quarter>.<priority>`` (CSV/SQL) alike. Quarters and priority ids are checked by the
    schema step, and priority ids against the policy by the review (which has the policy)."""
    if not isinstance(value, Mapping):
        raise _Bad("BP413", f"expected a map, got {describe(value)}",
                   "give milestones as a table of quarter = { priority = lift }")
    out: dict[str, dict[str, Decimal]] = {}
    for key, item in value.items():
        if isinstance(item, Mapping):
            entries = [(key, p, v, names.get(("milestones", f"{key}.{p}"), f"milestones.{key}.{p}"))
                       for p, v in item.items()]
        else:
            period, _, priority = key.partition(".")
            entries = [(period, priority, item, names.get(("milestones", key), f"milestones.{key}"))]
        for period, priority, lift, shown in entries:
            if lift is None:
                continue
            if not priority:
                problems.add("BP412", shown, f"'{shown}' names no priority",
                             f"write milestone.{period}.<priority-id>, e.g. milestone.2026-Q2.win-rate")
                continue
            if priority in out.get(period, {}):
                problems.add("BP412", shown, f"the milestone {period} of '{priority}' is given twice",
                             "keep one of the two spellings")
                continue
            try:
                out.setdefault(period, {})[priority] = to_decimal(lift)
            except _Bad as bad:
                problems.add(bad.code, shown, bad.message, bad.hint)
    return out


def coerce_map(name: str, value: Any, how: str, names: dict[tuple[str, str], str], problems: RowDiagnostics,
                attribute_types: Mapping[str, str]) -> dict[str, Any]:
    if value.__class__ is not dict and not isinstance(value, Mapping):
        raise _Bad("BP413", f"expected a map, got {describe(value)}", f"give {name} as a table/object")
    out: dict[str, Any] = {}
    for key, item in value.items():
        try:
            out[key] = to_attribute(item, attribute_types.get(key)) if how == "attributes" else to_decimal(item)
        except _Bad as bad:
            problems.add(bad.code, names.get((name, key), f"{name}.{key}"), bad.message, bad.hint)
    return out
