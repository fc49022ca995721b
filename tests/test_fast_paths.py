"""Replay's fast paths give exactly what the plain ones give.

canonical.parse_json reads ledger payloads with orjson, and must give exactly what json.loads gives.

orjson differs from the json module on a few texts (an integer beyond 64 bits becomes a float; NaN,
1e400 and lone surrogates are refused): those must reach the json module, so a hostile ledger reads
the same values, or fails the same way, as before.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetpolicy.canonical import parse_json, to_jsonable
from budgetpolicy.model import FrozenMap


def same(a: object, b: object) -> bool:
    """Equal values of equal types all the way down (1 is not 1.0, -0.0 is not 0.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    return a == b


@pytest.mark.parametrize("text", [
    "123456789012345678901234567890",           # orjson: 1.2345678901234568e+29
    "-9223372036854775809", "18446744073709551616", "9223372036854775807",
    '{"amount": 123456789012345678901}', '"\\ud800"', '["\\udfff", 1]', "NaN", "-Infinity", "1e400",
    '{"t": "\u00e9t\u00e9 \ud83d\ude00", "n": 12345678901234567890}', '["caf\u00e9", 9223372036854775808]',
    '{"a": 1, "a": 2}', "-0", "-0.0", "1.5e-400", "1E2", ' {"a" : [ ] } ', "0.1000000000000000055511151231257827",
])
def test_the_texts_orjson_reads_otherwise_give_what_json_gives(text: str) -> None:
    assert same(parse_json(text), json.loads(text))


@pytest.mark.parametrize("text", ["[1,]", '"\x01"', "{'a': 1}", "", "01", '{"a" 1}', "[" * 2000 + "]" * 2000])
def test_a_text_json_refuses_is_refused_the_same_way(text: str) -> None:
    with pytest.raises(Exception) as expected:
        json.loads(text)
    with pytest.raises(type(expected.value)):
        parse_json(text)


def test_a_lone_surrogate_as_a_character_reads_as_json_reads_it() -> None:
    text = '{"t": "\ud800"}'
    assert parse_json(text) == json.loads(text) == {"t": "\ud800"}


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_any_json_text_reads_as_json_reads_it(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert same(parse_json(text), json.loads(text))


def test_a_frozen_map_converts_as_the_dict_it_holds() -> None:
    from decimal import Decimal
    inner = {"b": Decimal("1.50"), "a": [FrozenMap({"x": Decimal("2E+3")})], 3: None}
    assert to_jsonable(FrozenMap(inner)) == to_jsonable(inner) == {"b": "1.50", "a": [{"x": "2000"}], "3": None}
    assert to_jsonable(FrozenMap(inner), normal=True) == {"b": "1.5", "a": [{"x": "2000"}], "3": None}


def test_a_frozen_map_equals_what_holds_the_same_items() -> None:
    from collections import OrderedDict
    a, b = FrozenMap({"x": 1, "y": [2]}), FrozenMap({"y": [2], "x": 1})
    assert a == b and a == a and a == {"y": [2], "x": 1} and a == OrderedDict(x=1, y=[2])
    assert not (a == FrozenMap({"x": 1})) and a != {"x": 1, "y": [3]} and a != [("x", 1), ("y", [2])]
    assert FrozenMap({}) == {} and FrozenMap({}) != FrozenMap({"x": None})
