"""Realised return at review (docs/evidence.md, "Money value and ROI"): the worked example of the bundled data,
fully loaded cost with participant hours, no data no benefit, through the review command."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from budgetpolicy import api
from budgetpolicy.evidence.roi import realised_portfolio, realised_returns
from budgetpolicy.review.quarterly import review

from evidence_helpers import INITIATIVES, OUTCOMES, POLICY, ROOT, policy_variant, run

LEARNING = ROOT / "policies" / "acme-2026.learning.csv"

D = Decimal


def _review_json(capsys, policy: Path = POLICY, outcomes: Path = OUTCOMES, period: str = "2026-Q3") -> dict:
    code, out, err = run(capsys, "review", "-P", policy, "-i", INITIATIVES, "-O", outcomes, "--period", period,
                         "-f", "json")
    assert code == 0, err
    return json.loads(out)


def _with_hours(tmp_path: Path, hours: dict[tuple[str, str], str]) -> Path:
    rows = list(csv.DictReader(OUTCOMES.open(encoding="utf-8")))
    for row in rows:
        row["hours"] = hours.get((row["initiative_id"], row["period"]), "")
    path = tmp_path / "outcomes.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*rows[0].keys()])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_bootcamp_realised_return_is_the_worked_example(capsys):
    # INI-001 by 2026-Q3: win rate +2.2 points x 60,000 x attribution 0.5 x confidence 0.8 = 52,800 a year;
    # spent 36,000: BCR 1.47, ROI (52,800 - 36,000) / 36,000 = 46.67%, payback 36,000 / 52,800 x 12 = 8.2 months.
    r = _review_json(capsys)["returns"]["initiatives"]["INI-001"]
    assert (r["benefit"], r["spend"], r["cost"], r["bcr"], r["roi"], r["payback_months"]) == \
        ("52800", "36000", "36000", "1.47", "46.67", "8.2")
    assert (r["attribution"], r["confidence"], r["years"], r["lifts"]) == ("0.5", "0.8", "1", {"win-rate": "2.2"})


def test_the_learning_readings_hours_load_the_bundled_cost(capsys):
    # With the learning system's readings: 488 participant hours x 65 = 31,720; cost 67,720; BCR 0.78;
    # ROI -14,920 / 67,720 = -22.03%; payback 67,720 / 52,800 x 12 = 15.4 months.
    code, out, err = run(capsys, "review", "-P", POLICY, "-i", INITIATIVES, "-O", OUTCOMES, "-O", LEARNING,
                         "--period", "2026-Q3", "-f", "json")
    assert code == 0, err
    returns = json.loads(out)["returns"]
    r = returns["initiatives"]["INI-001"]
    assert (r["hours"], r["hours_cost"], r["cost"], r["bcr"], r["roi"], r["payback_months"]) == \
        ("488", "31720", "67720", "0.78", "-22.03", "15.4")
    assert returns["portfolio"] == {"bcr": "0.6", "benefit": "396520", "cost": "661372.5", "measured": 26,
                                    "roi": "-40.05", "unmeasured": 2}


def test_participant_hours_load_the_cost(capsys, tmp_path):
    outcomes = _with_hours(tmp_path, {("INI-001", "2026-Q1"): "96", ("INI-001", "2026-Q2"): "96",
                                      ("INI-001", "2026-Q4"): "500"})  # after the quarter reviewed: not counted
    r = _review_json(capsys, outcomes=outcomes)["returns"]["initiatives"]["INI-001"]
    # 192 hours x 65 = 12,480; cost 48,480; BCR 1.09; ROI 4,320 / 48,480 = 8.91%; payback 11.0 months.
    assert (r["hours"], r["hours_cost"], r["cost"], r["bcr"], r["roi"], r["payback_months"]) == \
        ("192", "12480", "48480", "1.09", "8.91", "11")


def test_no_reading_of_a_priced_kpi_means_no_benefit_never_zero():
    compiled = api.open_policy(str(POLICY))
    registry = compiled.registry
    initiatives = api.read_initiatives(str(INITIATIVES), registry, policy=compiled.policy)
    outcomes = api.read_outcomes(str(OUTCOMES), registry, initiative_ids=[i.id for i in initiatives],
                                 policy=compiled.policy)
    plan = api.evaluate(compiled, initiatives).decisions
    result = review(compiled.policy, initiatives, plan, outcomes, "2026-Q3")
    returns = realised_returns(compiled.policy, initiatives, plan, outcomes, result)
    funded = {d.initiative_id for d in plan if d.allocation > 0}
    assert {r.initiative_id for r in returns} == funded
    unmeasured = [r for r in returns if r.benefit is None]
    assert unmeasured and all(r.bcr is None and r.roi is None and r.payback_months is None for r in unmeasured)
    total = realised_portfolio(returns)
    assert total is not None
    assert total.unmeasured == len(unmeasured)
    assert total.benefit == sum(r.benefit for r in returns if r.benefit is not None)


def test_attribution_and_confidence_come_from_the_policy(capsys, tmp_path):
    policy = policy_variant(tmp_path, "full.toml", ("attribution = 0.5", "attribution = 1"), ("confidence = 0.8", "confidence = 1"))
    r = _review_json(capsys, policy)["returns"]["initiatives"]["INI-001"]
    assert r["benefit"] == "132000"  # 2.2 x 60,000 in full


def test_the_review_table_says_the_realised_return(capsys):
    code, out, _ = run(capsys, "review", "-P", POLICY, "-i", INITIATIVES, "-O", OUTCOMES, "--period", "2026-Q3")
    assert code == 0
    assert "realised return up to 2026-Q3: " in out
    assert "best: INI-018 ROI 220.00% (benefit USD 6,400.00, cost USD 2,000.00, payback 3.8 months)" in out


def _isolation_file(tmp_path: Path, rows: list[str]) -> Path:
    """A second source that states the isolation of effects for some readings (an evaluator's estimate)."""
    path = tmp_path / "isolation.csv"
    path.write_text("initiative_id,period,attribution,confidence\n" + "".join(f"{r}\n" for r in rows),
                    encoding="utf-8")
    return path


def test_a_readings_attribution_and_confidence_win_over_the_policy_defaults(capsys, tmp_path):
    # The latest reading that states them counts: Q3's 0.25 and 0.6, not Q1's 0.9 (nor [evidence]'s 0.5, 0.8).
    # 2.2 points x 60,000 x 0.25 x 0.6 = 19,800 a year; spent 36,000: BCR 0.55, ROI -45%.
    isolation = _isolation_file(tmp_path, ["INI-001,2026-Q1,0.9,0.9", "INI-001,2026-Q3,0.25,0.6"])
    code, out, err = run(capsys, "review", "-P", POLICY, "-i", INITIATIVES, "-O", OUTCOMES, "-O", isolation,
                         "--period", "2026-Q3", "-f", "json")
    assert code == 0, err
    returns = json.loads(out)["returns"]["initiatives"]
    assert (returns["INI-001"]["attribution"], returns["INI-001"]["confidence"], returns["INI-001"]["benefit"],
            returns["INI-001"]["bcr"], returns["INI-001"]["roi"]) == ("0.25", "0.6", "19800", "0.55", "-45")
    # The others keep the policy's defaults.
    assert (returns["INI-009"]["attribution"], returns["INI-009"]["confidence"]) == ("0.5", "0.8")


def test_an_attribution_outside_0_1_is_one_located_line(capsys, tmp_path):
    isolation = _isolation_file(tmp_path, ["INI-001,2026-Q3,1.5,0.6"])
    code, out, err = run(capsys, "review", "-P", POLICY, "-i", INITIATIVES, "-O", OUTCOMES, "-O", isolation,
                         "--period", "2026-Q3", "-f", "json")
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1, err
    assert lines[0].startswith(f"{isolation}: row 2") and "attribution" in lines[0], lines[0]
