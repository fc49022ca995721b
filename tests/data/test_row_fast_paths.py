"""The whole-row fast paths answer what the plain paths answer (issue #17, target 1).

A CSV row's bounds are checked in a few C calls when every cell is short ASCII text or empty; number
texts and column names are converted once per distinct text. Each is checked here against the path it
short-cuts, on the texts most likely to tell them apart.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetpolicy.data import records as rec
from budgetpolicy.policy import limits


class Row(dict):  # type: ignore[type-arg]
    """A dict by another class: breaches() walks it cell by cell (no fast path)."""


cells = st.none() | st.text(max_size=8) | st.sampled_from(["\ud800", "é", "x" * (limits.MAX_STRING + 1), ""])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=6) | st.just("\udfff"), cells, max_size=6))
def test_a_flat_row_has_the_breaches_the_walk_finds(row: dict[str, str | None]) -> None:
    assert sorted(limits.breaches(row)) == sorted(limits.breaches(Row(row)))


def test_the_fast_path_lets_nothing_through() -> None:
    long = "x" * (limits.MAX_STRING + 1)
    for row in ({"title": "caf\ud800"}, {"title": long}, {long: "x"}, {"a\ud800": "x"}, {"n": ["\ud800"]},
                {"n": {"m": "\ud800"}}):
        assert not limits._flat_plain(row) and list(limits.breaches(row)), row
    assert limits._flat_plain({"title": "Sales coaching", "mentor": None, "cost": ""})
    assert list(limits.breaches({"title": "caf\ud800", "id": "I-1"})) == [
        ("unicode", "text with a lone surrogate U+D800 at character 4 (not a character: it cannot be stored "
                    "as UTF-8)", ("title",))]


@pytest.mark.parametrize("text", ["0.70", "0.7", "1E+3", "-0", "0", " 12 ", "5", "1e-12", "123456789012.5"])
def test_a_number_text_converts_the_same_every_time(text: str) -> None:
    first, again, plain = rec.to_decimal(text), rec.to_decimal(text), rec._to_decimal(text)
    assert first.as_tuple() == again.as_tuple() == plain.as_tuple()
    assert str(rec.to_decimal("0.70")) == "0.70" and str(rec.to_decimal("1E+3")) == "1000"
    assert rec.to_decimal("-0").as_tuple().sign == 0 and rec.to_decimal(" 12 ") == Decimal(12)


@pytest.mark.parametrize("text", ["١٢", "1,000", "NaN", "1e400", "abc", "0.0000000000001"])
def test_a_bad_number_text_is_refused_every_time(text: str) -> None:
    for _ in range(2):
        with pytest.raises(rec._Bad):
            rec.to_decimal(text)
    assert text not in rec._DECIMALS


@pytest.mark.parametrize("key", ["cost", "forecast.win-rate", "milestone.2026-Q2.csat", "forecast.", "attr.x",
                                 "rating.feasibility", "nonsense", "kpi.csat"])
@pytest.mark.parametrize("kind", ["initiatives", "outcomes"])
def test_a_column_name_is_classified_the_same_every_time(key: str, kind: str) -> None:
    assert rec.classify_key(key, kind) == rec.classify_key(key, kind) == rec._classify(key, kind)


# -- a plugin source is read row by row, and still refused whole when it misbehaves -------------

def _registry_with(source):  # type: ignore[no-untyped-def]
    from attrs import evolve

    from budgetpolicy.plugins import build_registry

    registry = build_registry()
    entry = next(iter(registry.sources.values()))
    return evolve(registry, sources={**registry.sources, "flaky": evolve(entry, name="flaky", obj=source)})


def _good_row(n: int) -> tuple[object, dict[str, str]]:
    from budgetpolicy.errors import Location
    return Location(file="t", row=n), {"id": f"I-{n}", "title": "Coaching", "kind": "coaching",
                                        "department": "Sales", "cost": "100"}


@pytest.mark.parametrize("late, message", [
    (ValueError("disk gone"), "data source 'flaky' (plugin {plugin}) raised ValueError: disk gone"),
    ("not a pair", "data source 'flaky' (plugin {plugin}) yielded str as item 3, not a (Location, record) pair"),
])
def test_a_source_that_fails_after_some_rows_is_one_bp409_and_loads_nothing(late: object, message: str) -> None:
    from budgetpolicy.data.load import load_initiatives
    from budgetpolicy.errors import DataError

    def source(target: str, kind: str):  # type: ignore[no-untyped-def]
        yield _good_row(1)
        yield _good_row(2)
        if isinstance(late, Exception):
            raise late
        yield late

    from budgetpolicy.data.load import iter_initiatives

    registry = _registry_with(source)
    expected = ("BP409", "t", message.format(plugin=registry.sources["flaky"].plugin))
    with pytest.raises(DataError) as err:
        load_initiatives("flaky:t", registry)
    (d,) = err.value.diagnostics
    assert (d.code, d.location.file, d.message) == expected
    streamed = iter_initiatives("flaky:t", registry)  # the streaming reader: the two good rows, then the error
    assert [next(streamed).id, next(streamed).id] == ["I-1", "I-2"]
    with pytest.raises(DataError) as err:
        next(streamed)
    (d,) = err.value.diagnostics
    assert (d.code, d.location.file, d.message) == expected


def test_a_source_is_read_one_row_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each row is converted before the next is read: a file is never held as raw rows beside typed ones.
    from budgetpolicy.data import load

    events: list[str] = []
    convert = load.record_to_initiative

    def logged(record, location, *args, **kw):  # type: ignore[no-untyped-def]
        events.append(f"convert {location.row}")
        return convert(record, location, *args, **kw)

    def source(target: str, kind: str):  # type: ignore[no-untyped-def]
        for n in range(1, 4):
            events.append(f"read {n}")
            yield _good_row(n)

    monkeypatch.setattr(load, "record_to_initiative", logged)
    loaded = load.load_initiatives("flaky:t", _registry_with(source))
    assert [i.id for i in loaded.items] == ["I-1", "I-2", "I-3"]
    assert events == ["read 1", "convert 1", "read 2", "convert 2", "read 3", "convert 3"]
