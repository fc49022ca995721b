"""review.realise.kpi_lifts: a reading's KPI values as lifts per priority (a lift as given, a raw metric
against its baseline in the KPI's good direction), and each key mistake as one located line."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from budgetpolicy.api import open_policy
from budgetpolicy.errors import Location
from budgetpolicy.model import OutcomeReading
from budgetpolicy.review.realise import kpi_lifts

ROOT = Path(__file__).resolve().parents[2]
POLICY = open_policy(str(ROOT / "policies" / "acme-2026.toml")).policy
WHERE = Location(file="outcomes.csv", row=7)
IDS = "csat, defect-rate, time-to-competence, win-rate"


def lifts(kpis: dict[str, object]) -> tuple[dict[str, D], list[tuple[object, ...]]]:
    found, problems = kpi_lifts(OutcomeReading("INI-001", "2026-Q2", kpis=kpis, location=WHERE), POLICY)
    return found, [(d.code, d.location.row, d.location.field, d.message, d.hint) for d in problems]


def test_lifts_as_given_and_raw_metrics_against_their_baseline_in_the_good_direction() -> None:
    # win_rate 25 against 22.0 (higher is better): +3.0; days 80 against 90 (lower is better): +10.
    assert lifts({"csat": D("2.5"), "win_rate": D(25), "days_to_competence": D(80)}) == (
        {"csat": D("2.5"), "win-rate": D("3.0"), "time-to-competence": D(10)}, [])
    assert lifts({"escaped_defects_per_release": D("4.5")}) == ({"defect-rate": D("-0.5")}, [])


def test_a_plain_number_from_an_api_caller_is_read_exactly() -> None:
    found, problems = lifts({"csat": 3, "win_rate": 24})
    assert found == {"csat": D(3), "win-rate": D("2.0")} and problems == []


def test_each_key_mistake_is_one_located_line() -> None:
    assert lifts({"win_rat": D(1), "zzz": D(1), "csat": D(1), "win-rate": D(2), "win_rate": D(30)}) == (
        {"csat": D(1), "win-rate": D(2)}, [
            ("BP704", 7, "kpis.win_rat", "KPI 'win_rat' is neither a priority id nor a KPI metric of the policy",
             "did you mean 'win_rate'?"),
            ("BP704", 7, "kpis.zzz", "KPI 'zzz' is neither a priority id nor a KPI metric of the policy",
             f"use a priority id ({IDS}) for a lift, or a metric for a raw value"),
            ("BP704", 7, "kpis.win_rate", "KPI for priority 'win-rate' is given twice (as a lift and as a raw value)",
             "keep one of the two columns"),
        ])
