"""The fast row check (data/rowcheck.py): it passes a row only where jsonschema finds nothing, and rows it
doubts get jsonschema's located messages exactly as before."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetpolicy.cli import main
from budgetpolicy.data.rowcheck import compile_checker
from budgetpolicy.data.schema import _validator, fast_check, schema_problems
from budgetpolicy.errors import Diagnostics

POLICY = Path(__file__).resolve().parents[2] / "policies" / "acme-2026.toml"
KINDS = ("training", "coaching", "stretch", "workshop", "microlearning")
SLUGS = st.sampled_from(["win-rate", "csat", "feasibility", "alignment", "Bad Key", "", "x.y_z-1"])
NUMBERS = st.one_of(
    st.integers(-3, 100_000),
    st.decimals(min_value=-5, max_value=100_000, places=2),
    st.sampled_from([Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-0"), Decimal("5.0000")]),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS,
                    st.sampled_from(["", " ", "x", "2026-Q1", "2026-Q5", "USD", "usd", "training", "x-custom",
                                     "kpi_tracking", "12.50", "-1", "5.00", "6", "INI-1", "ini 1", "\n"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(SLUGS, inner, max_size=3)), max_leaves=6)


@st.composite
def initiative_rows(draw: Any) -> dict[str, Any]:
    """A typed row as ``data.records`` gives it, valid more often than not."""
    row: dict[str, Any] = {
        "id": f"INI-{draw(st.integers(0, 999))}", "title": "A bet", "kind": draw(st.sampled_from(KINDS)),
        "department": "Sales", "cost": draw(st.decimals(min_value=0, max_value=80_000, places=2)),
        "currency": draw(st.sampled_from(["USD", None])), "headcount": draw(st.integers(1, 40)),
        "priorities": draw(st.lists(st.sampled_from(["win-rate", "csat", "defect-rate"]), max_size=3, unique=True)),
        "forecast": draw(st.dictionaries(st.sampled_from(["win-rate", "csat"]),
                                         st.decimals(min_value=0, max_value=50, places=1), max_size=2)),
        "probability": draw(st.decimals(min_value=0, max_value=1, places=2)),
        "evaluation_plan": draw(st.lists(st.sampled_from(["kpi_tracking", "x-survey"]), max_size=2, unique=True)),
        "mentor": draw(st.sampled_from([None, "Ann"])), "pilot": draw(st.booleans()),
        "ratings": draw(st.dictionaries(st.sampled_from(["feasibility", "alignment"]),
                                        st.decimals(min_value=0, max_value=5, places=1), max_size=2)),
        "attributes": draw(st.dictionaries(st.sampled_from(["team_size", "manager_nominated"]),
                                           st.one_of(st.booleans(), st.decimals(0, 30, places=0)), max_size=2)),
        "start": draw(st.sampled_from(["2026-Q1", None])),
        "milestones": draw(st.dictionaries(st.sampled_from(["2026-Q2", "2026-Q3"]),
                                           st.dictionaries(st.sampled_from(["win-rate"]),
                                                           st.decimals(0, 9, places=1)), max_size=1)),
    }
    for _ in range(draw(st.integers(0, 2))):  # break a field, add an unknown one, or drop a required one
        field = draw(st.sampled_from([*row, "unknown_field"]))
        if draw(st.booleans()) and field in row:
            del row[field]
        else:
            row[field] = draw(VALUES)
    return row


@st.composite
def outcome_rows(draw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"initiative_id": "INI-1", "period": draw(st.sampled_from(["2026-Q2", "2026-Q9"])),
                           "kpis": draw(st.dictionaries(SLUGS, NUMBERS, max_size=2)),
                           "completion_rate": draw(st.one_of(st.none(), NUMBERS)),
                           "spend_to_date": draw(st.one_of(st.none(), NUMBERS)), "finished": draw(st.booleans())}
    if draw(st.booleans()):
        row[draw(st.sampled_from([*row, "unknown_field"]))] = draw(VALUES)
    return row


def _slow_errors(kind: str, row: dict[str, Any]) -> list[Any] | Exception:
    try:
        return list(_validator(kind).iter_errors(row))
    except Exception as exc:  # jsonschema cannot compare a signalling NaN: the fast path must doubt it too
        return exc


def _problems(kind: str, row: dict[str, Any], fast: bool) -> list[str] | str:
    found: Diagnostics[str | None] = Diagnostics()
    try:
        schema_problems(row, kind, {}, found, fast=fast)
    except Exception as exc:
        return type(exc).__name__
    return [f"{d.code} {d.location} {d.message} {d.hint}" for d in found]


def assert_agrees(kind: str, row: dict[str, Any]) -> None:
    passed = fast_check(kind)(row)
    slow = _slow_errors(kind, row)
    if passed:
        assert slow == [], f"the fast check passed a row jsonschema refuses: {row!r}: {slow}"
    assert _problems(kind, row, fast=True) == _problems(kind, row, fast=False)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initiative_rows())
def test_fast_initiative_check_passes_only_what_jsonschema_passes(row):
    assert_agrees("initiatives", row)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(outcome_rows())
def test_fast_outcome_check_passes_only_what_jsonschema_passes(row):
    assert_agrees("outcomes", row)


def test_the_usual_valid_row_takes_the_fast_path():
    row = {"id": "INI-1", "title": "A bet", "kind": "training", "department": "Sales", "cost": Decimal("1500.00"),
           "currency": "USD", "headcount": 3, "priorities": ["win-rate"], "forecast": {"win-rate": Decimal("4.5")},
           "probability": Decimal("0.6"), "evaluation_plan": ["kpi_tracking"], "mentor": None, "pilot": False,
           "ratings": {"feasibility": Decimal("4")}, "attributes": {"team_size": Decimal("8"), "flag": True},
           "start": "2026-Q1", "objectives": ["Apply it"], "milestones": {"2026-Q3": {"win-rate": Decimal(2)}}}
    assert fast_check("initiatives")(row) is True
    assert _slow_errors("initiatives", row) == []


@pytest.mark.parametrize("kind", ["initiatives", "outcomes", "candidates"])
def test_every_shipped_row_schema_compiles(kind):
    # A keyword the compiler does not know would silently send every row back through jsonschema.
    assert fast_check(kind) is not None


@pytest.mark.parametrize(("schema", "value", "expected"), [
    ({"type": "integer"}, 3, True),
    ({"type": "integer"}, 3.0, True),          # jsonschema: a float without a fraction is an integer
    ({"type": "integer"}, True, False),        # ... a bool is not
    ({"type": "integer"}, Decimal(3), False),  # ... nor a Decimal
    ({"type": "number", "minimum": 0}, float("nan"), True),  # NaN < 0 is false, as jsonschema sees it
    ({"type": "number", "minimum": 0}, Decimal("NaN"), False),  # comparing a Decimal NaN raises: doubted
    ({"type": "number", "minimum": 0}, False, False),
    ({"type": "array"}, ("a",), False),        # a tuple is not a JSON array for jsonschema
    ({"enum": [1, "a"]}, 1, False),            # non-text enum values are doubted, never guessed
    ({"enum": [1, "a"]}, "a", True),
    ({"pattern": "^a"}, 5, True),              # a pattern applies to text only
    ({"type": "array", "uniqueItems": True}, ["a", "a"], False),
    ({"type": "array", "uniqueItems": True}, [1, True], False),  # not text: doubted
    ({"minLength": 2}, "ab", True),
    ({"maxLength": 1}, "ab", False),
])
def test_keyword_semantics(schema, value, expected):
    assert compile_checker(schema)(value) is expected


@pytest.mark.parametrize("schema", [{"oneOf": [{"type": "string"}]}, {"not": {"type": "string"}},
                                    {"patternProperties": {"^a": {}}}, {"$ref": "https://elsewhere/x.json"},
                                    {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}])
def test_unsupported_schemas_give_no_checker(schema):
    assert compile_checker(schema) is None


def test_a_bad_row_among_good_ones_gets_the_same_located_message_through_the_cli(tmp_path, capsys):
    rows = ["id,title,kind,department,cost,probability,headcount"]
    rows += [f"A{n},Bet {n},training,Ops,{1000 + n},0.5,2" for n in range(30)]
    rows.insert(12, "B1,Bad,training,Ops,1000,1.5,2")  # a probability above 1: out of range
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["evaluate", "-P", str(POLICY), "-i", str(path), "-o", str(tmp_path / "out.csv")]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == f"{path}: row 13: field 'probability': BP414 error: must be <= 1, got 1.5"
    assert not (tmp_path / "out.csv").exists()
