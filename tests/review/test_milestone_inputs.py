"""The review's own check of declared milestones (for initiatives built in Python, which skip the data
stage): each mistake is one located line with its fix, and a milestone on or after the start is fine."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from attrs import evolve

from budgetpolicy.api import open_policy, read_initiatives
from budgetpolicy.data.load import apply_attribute_types
from budgetpolicy.errors import ReviewError
from budgetpolicy.model import FrozenMap
from budgetpolicy.review.inputs import check_inputs

ROOT = Path(__file__).resolve().parents[2]
COMPILED = open_policy(str(ROOT / "policies" / "acme-2026.toml"))
INITIATIVES = apply_attribute_types(read_initiatives(str(ROOT / "policies" / "acme-2026.initiatives.csv"),
                                                     COMPILED.registry), COMPILED.policy.attributes)
ONE = next(i for i in INITIATIVES if i.id == "INI-001")
assert dict(ONE.forecast) == {"win-rate": D("2.0")} and ONE.location.row == 2  # what the cases assume


def milestones(start: str, table: dict[str, dict[str, object]]) -> list[tuple[object, ...]]:
    initiative = evolve(ONE, start=start, milestones=FrozenMap({q: FrozenMap(v) for q, v in table.items()}))
    try:
        check_inputs(COMPILED.policy, [initiative], [], [])
    except ReviewError as err:
        return [(d.code, d.location.file, d.location.row, d.location.field, d.message, d.hint)
                for d in err.diagnostics]
    return []


FILE = ONE.location.file


def test_each_milestone_mistake_is_one_located_line_with_its_fix() -> None:
    assert milestones("2026-Q2", {
        "2026-Q5": {"win-rate": D(1)},
        "2026-Q3": {"win-rat": D(1), "zzz": D(1), "csat": D(1), "win-rate": D(-1)},
        "2026-Q1": {"win-rate": D(1)},
    }) == [
        ("BP701", FILE, 2, "milestone.2026-Q5.win-rate", "milestone quarter '2026-Q5' of 'INI-001' is not a quarter",
         "write milestone.YYYY-Qn.<priority-id>, e.g. milestone.2026-Q2.win-rate"),
        ("BP710", FILE, 2, "milestone.2026-Q3.win-rat", "milestone for unknown priority 'win-rat'",
         "did you mean 'win-rate'?"),
        ("BP710", FILE, 2, "milestone.2026-Q3.zzz", "milestone for unknown priority 'zzz'",
         "priorities: win-rate, time-to-competence, csat, defect-rate"),
        ("BP710", FILE, 2, "milestone.2026-Q3.csat", "milestone for 'csat', which 'INI-001' forecasts no lift for",
         "add forecast.csat, or drop the milestone"),
        ("BP712", FILE, 2, "milestone.2026-Q3.win-rate", "milestone lift -1 is not a decimal >= 0",
         "give the lift due by the quarter, in the KPI's unit"),
        ("BP711", FILE, 2, "milestone.2026-Q1.win-rate", "milestone 2026-Q1 of 'INI-001' is before its start 2026-Q2",
         "fix the quarter or the initiative's start"),
    ]


@pytest.mark.parametrize("lift, shown", [(True, "True"), ("1", "'1'"), (D("-0.5"), "-0.5")])
def test_a_lift_that_is_not_a_decimal_at_least_0_is_refused(lift: object, shown: str) -> None:
    (found,) = milestones("2026-Q1", {"2026-Q2": {"win-rate": lift}})
    assert found[0] == "BP712" and found[4] == f"milestone lift {shown} is not a decimal >= 0"


@pytest.mark.parametrize("lift", [D(0), D("1.5"), 2])
def test_a_milestone_from_the_start_quarter_on_is_fine(lift: object) -> None:
    assert milestones("2026-Q2", {"2026-Q2": {"win-rate": lift}, "2026-Q4": {"win-rate": lift}}) == []
