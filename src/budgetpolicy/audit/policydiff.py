"""Semantic diff of two policies: what a reviewer must see before a policy change is merged.

A text diff of two TOML files shows layout; this shows meaning. Both policies
are compared as parsed data (so comments, key order and ``0.30`` vs ``0.3``
do not count), section by section in the policy's own order. Lists of items
with an ``id`` (priorities, scoring criteria, approval rules, baselines,
sunset criteria) are matched by id: each item is *added*, *removed*,
*changed* (with every changed field, nested fields dotted such as
``kpi.target``) or *moved* (approval rules are ordered, so a new position can
change decisions). Other settings (allocation pool, strategy, caps, reserve,
calibration...) are reported as changed fields of their section.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
from attrs import frozen

from budgetpolicy.model import Policy

# Not part of a policy's meaning: where it came from, and the tests kept beside it.
_IGNORED = ("source", "tests")


@frozen
class FieldChange:
    name: str
    before: Any
    after: Any


@frozen
class PolicyChange:
    """One section or item that differs. ``change`` is added, removed, changed or moved."""

    section: str
    item: str | None
    change: str
    fields: tuple[FieldChange, ...] = ()

    def describe(self) -> str:
        where = f"{self.section} '{self.item}'" if self.item is not None else self.section
        if self.change != "changed":
            extra = "".join(f" ({f.name} {show(f.before)} -> {show(f.after)})" for f in self.fields)
            return f"{where} {self.change}{extra}"
        return f"{where}: " + "; ".join(f"{f.name} {show(f.before)} -> {show(f.after)}" for f in self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "item": self.item, "change": self.change,
                "fields": [{"name": f.name, "before": jsonable(f.before), "after": jsonable(f.after)}
                           for f in self.fields]}


def data(value: Any) -> Any:
    """Policy values as plain dicts and lists, keeping Decimals (so equality is numeric)."""
    if attrs.has(type(value)):
        return {f.name: data(getattr(value, f.name)) for f in attrs.fields(type(value))
                if f.eq and f.name not in _IGNORED}
    if isinstance(value, Mapping):
        return {str(k): data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [data(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return repr(value) if " " in value or not value else value
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _id_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "id" in v for v in value)


def _keyed(a: Any, b: Any) -> bool:
    return (_id_list(a) or a in (None, [])) and (_id_list(b) or b in (None, [])) and (_id_list(a) or _id_list(b))


def _holds_items(value: Any) -> bool:
    return isinstance(value, dict) and any(_id_list(v) or _holds_items(v) for v in value.values())


def diff_policies(base: Policy, head: Policy) -> tuple[PolicyChange, ...]:
    """Every semantic difference between ``base`` and ``head``, in policy order."""
    out: list[PolicyChange] = []
    _walk("policy", data(base), data(head), out)
    return tuple(out)


def _walk(section: str, a: dict[str, Any], b: dict[str, Any], out: list[PolicyChange]) -> None:
    fields: list[FieldChange] = []
    nested: list[tuple[str, Any, Any]] = []
    for key in [*a, *(k for k in b if k not in a)]:
        av, bv = a.get(key), b.get(key)
        if av == bv:
            continue
        name = key if section == "policy" else f"{section}.{key}"
        if _keyed(av, bv):
            nested.append((name, av, bv))
        elif isinstance(av, dict) and isinstance(bv, dict) and (_holds_items(av) or _holds_items(bv)
                                                               or section == "policy"):
            nested.append((name, av, bv))
        elif section == "policy" and (av is None) != (bv is None) and isinstance(av or bv, dict):
            out.append(PolicyChange(name, None, "added" if av is None else "removed"))
        else:
            fields.extend(_fields(key, av, bv))
    if fields:
        out.append(PolicyChange(section, None, "changed", tuple(fields)))
    for name, av, bv in nested:
        if _keyed(av, bv):
            _items(name, av or [], bv or [], out)
        else:
            _walk(name, av, bv, out)


def _fields(name: str, a: Any, b: Any) -> list[FieldChange]:
    if isinstance(a, dict) and isinstance(b, dict):
        found: list[FieldChange] = []
        for key in [*a, *(k for k in b if k not in a)]:
            if a.get(key) != b.get(key):
                found.extend(_fields(f"{name}.{key}", a.get(key), b.get(key)))
        return found
    return [FieldChange(name, a, b)]


def _items(section: str, a: list[dict[str, Any]], b: list[dict[str, Any]], out: list[PolicyChange]) -> None:
    before = {item["id"]: item for item in a}
    after = {item["id"]: item for item in b}
    for item in a:
        if item["id"] not in after:
            out.append(PolicyChange(section, item["id"], "removed"))
    # Order matters for approval rules; compare positions among the items both sides keep.
    kept_a = [i["id"] for i in a if i["id"] in after]
    kept_b = [i["id"] for i in b if i["id"] in before]
    # The longest common subsequence stays put; only the rest moved (not everything it shifted).
    matcher = difflib.SequenceMatcher(a=kept_a, b=kept_b, autojunk=False)
    stable = {kept_a[m.a + k] for m in matcher.get_matching_blocks() for k in range(m.size)}
    for item in b:
        key = item["id"]
        if key not in before:
            out.append(PolicyChange(section, key, "added"))
            continue
        changed = _fields("", before[key], item)
        fields = tuple(FieldChange(f.name.lstrip("."), f.before, f.after) for f in changed)
        if key not in stable:
            out.append(PolicyChange(section, key, "moved",
                                    (FieldChange("position", kept_a.index(key) + 1, kept_b.index(key) + 1),)))
        if fields:
            out.append(PolicyChange(section, key, "changed", fields))
