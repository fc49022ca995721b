"""Output JSON (canonical.pretty_json) and to_jsonable's fast paths give exactly what their definitions give.

pretty_json is defined as ``json.dumps(to_jsonable(v), sort_keys=True, indent=2, ensure_ascii=False) + "\\n"``
and written by orjson (falling back to json for what orjson refuses); display_json is the one-line form with
json's default separators; to_jsonable converts by exact type first, each attrs class by a function generated
for its fields; decimal_text takes str() when it writes no exponent. All are checked against the plain
definitions, on the awkward corners of tests/test_ledger_speed.py, on arbitrary JSON data and on the bundled
example's evaluation.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Mapping
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ledger_speed import Colour, Level, edge_values

from budgetpolicy.canonical import canonical_json, decimal_text, display_json, pretty_json, to_jsonable
from budgetpolicy.model import explained
from budgetpolicy.output import evaluation_json


def reference_jsonable(value, normal=False):
    """to_jsonable as first written: isinstance checks in order, attrs asked every time; ``normal``:
    Decimals without trailing zeros, as the command outputs write them."""
    if isinstance(value, (bool, str, int)) or value is None:
        return value
    if isinstance(value, Decimal):
        return decimal_text(value.normalize() if normal else value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if attrs.has(type(value)):
        # A field added later (metadata omit_when_empty) is left out while empty, so old records keep their bytes.
        return {f.name: reference_jsonable(getattr(value, f.name), normal) for f in attrs.fields(type(value))
                if f.eq and not (f.metadata.get("omit_when_empty") and not getattr(value, f.name))}
    if isinstance(value, Mapping):
        return {str(k): reference_jsonable(v, normal) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [reference_jsonable(v, normal) for v in value]
        return sorted(items, key=lambda i: json.dumps(i, sort_keys=True, separators=(",", ":"),
                                                      ensure_ascii=False)) if isinstance(value, (set, frozenset)) else items
    raise TypeError(type(value).__name__)


def reference_pretty(value) -> str:
    return json.dumps(reference_jsonable(value), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def reference_display(value) -> str:
    return json.dumps(reference_jsonable(value), sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("value", edge_values(), ids=lambda v: type(v).__name__)
def test_edge_values(value):
    assert to_jsonable(value) == reference_jsonable(value)
    assert pretty_json(value) == reference_pretty(value)
    assert display_json(value) == reference_display(value)


def test_subclasses_of_json_types_become_the_type_and_times_of_day_are_iso():
    # Every encoder then writes them alike (an enum member is not left for the encoder to interpret).
    converted = to_jsonable([Colour.RED, Level.HIGH, {"k": Colour.RED}])
    assert converted == ["red", 3, {"k": "red"}]
    assert [type(v) for v in converted] == [str, int, dict] and type(converted[2]["k"]) is str
    # TOML parses times of day; policy content addresses hash them as ISO text.
    assert to_jsonable({"at": dt.time(9, 30), "t": [dt.time(23, 59, 59, 5)]}) == {"at": "09:30:00",
                                                                                   "t": ["23:59:59.000005"]}
    assert canonical_json({"at": dt.time(9, 30)}) == '{"at":"09:30:00"}'


def test_what_orjson_refuses_still_comes_out_as_json_writes_it():
    assert pretty_json({"n": [2**64]}) == '{\n  "n": [\n    18446744073709551616\n  ]\n}\n'
    assert pretty_json({"bad": "\ud800"}) == '{\n  "bad": "\ud800"\n}\n'  # text kept; writing it is the caller's error


def _decimal_text_as_defined(value: Decimal) -> str:
    return format(value, "f") if value == value.to_integral_value() or abs(value.adjusted()) < 20 else str(value)


@settings(max_examples=500, deadline=None)
@given(st.decimals(places=None) | st.builds(lambda digits, exponent: Decimal(digits).scaleb(exponent),
                                              st.integers(-10**30, 10**30), st.integers(-60, 60)))
def test_decimal_text_is_its_definition(value):
    """decimal_text returns str() when str() writes no exponent: the same text as its definition, in any
    context (capitals=0 writes exponents in lower case); NaN and infinities take the definition's path."""
    for capitals in (1, 0):
        with decimal.localcontext() as context:
            context.capitals = capitals
            try:
                expected = _decimal_text_as_defined(value)
            except ArithmeticError as exc:  # a signalling NaN
                with pytest.raises(type(exc)):
                    decimal_text(value)
                continue
            assert decimal_text(value) == expected


def test_decimal_text_corners():
    for text in ["0", "-0", "0.000", "-0.0500", "2E+3", "1E-7", "1E-30", "123456789012345678901234.5", "1E+40",
                 "NaN", "-NaN", "NaN12", "Infinity", "-Infinity"]:
        assert decimal_text(Decimal(text)) == _decimal_text_as_defined(Decimal(text)), text


def test_attrs_values_convert_as_their_fields_do(example_evaluation):
    """Each attrs class converts by a function generated for its fields (the loop over them, unrolled):
    the reference's dict, with fields added later left out while empty and kept once set."""
    from budgetpolicy.model import FrozenMap, Initiative

    values = [explained(d, example_evaluation.explanation(d.initiative_id)) for d in example_evaluation.decisions]
    values += [d.provenance for d in example_evaluation.decisions[:3]]
    values += list(example_evaluation.initiatives[:5])
    first = example_evaluation.initiatives[0]
    values += [attrs.evolve(first, milestones={"2026-Q1": {"win-rate": Decimal("1.50")}}, rollout_of="INI-X",
                            conversion=FrozenMap({"currency": "EUR", "amount": Decimal("40000"), "rate": "1.08"})),
               attrs.evolve(example_evaluation.decisions[0].provenance, conversion={"currency": "EUR"})]
    for value in values:
        assert to_jsonable(value) == reference_jsonable(value)
        assert to_jsonable(value, normal=True) == reference_jsonable(value, normal=True)
    assert isinstance(first, Initiative) and "milestones" not in to_jsonable(attrs.evolve(first, milestones={}))
    # Left out only while None or an empty map or list (the reference, simpler, drops any false value).
    assert to_jsonable(attrs.evolve(first, rollout_of=""))["rollout_of"] == ""


def test_floats_are_still_refused():
    with pytest.raises(TypeError, match="floats are not allowed"):
        pretty_json({"x": 0.1})
    from budgetpolicy.model import ScoreLine

    with pytest.raises(TypeError, match="floats are not allowed"):  # a float field of an attrs value too
        to_jsonable(ScoreLine("c", "s", Decimal(1), 0.5, Decimal(0)))  # type: ignore[arg-type]


_leaves = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text()
           | st.decimals(allow_nan=False, allow_infinity=False, places=None))


@settings(max_examples=300, deadline=None)
@given(st.recursive(_leaves, lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=5), max_leaves=40))
def test_any_data(data):
    assert to_jsonable(data) == reference_jsonable(data)
    assert pretty_json(data) == reference_pretty(data)
    assert display_json(data) == reference_display(data)


def test_the_example_evaluation(example_evaluation):
    text = evaluation_json(example_evaluation)
    doc = json.loads(text)
    assert len(doc["decisions"]) == 44
    assert text == reference_pretty(doc)
    # Output JSON writes Decimals normalised (0.50 -> "0.5", 55.80000 -> "55.8"): the same numbers.
    assert [reference_jsonable(explained(d, example_evaluation.explanation(d.initiative_id)), normal=True)
            for d in example_evaluation.decisions] == doc["decisions"]
    assert not any(v.endswith("0") and "." in v for v in _strings(doc["decisions"]) if _is_decimal(v))


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for v in data.values():
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)


def _is_decimal(text):
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


@pytest.fixture(scope="module")
def example_evaluation():
    from test_ledger_speed import AT, ROOT

    from budgetpolicy.api import evaluate, open_policy, read_initiatives

    compiled = open_policy(str(ROOT / "policies" / "acme-2026.toml"))
    initiatives = read_initiatives(str(ROOT / "policies" / "acme-2026.initiatives.csv"), compiled.registry,
                                   attribute_types=compiled.policy.attributes)
    return evaluate(compiled, initiatives, evaluated_at=AT)
