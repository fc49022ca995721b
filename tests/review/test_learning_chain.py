"""The learning chain per initiative and quarter (review.learning): each level from its readings, the
behaviour trend over quarters, and the chain in the review's table, JSON and CSV output."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

from attrs import evolve
from review_helpers import decision, initiative, policy, reading

import budgetpolicy
from budgetpolicy.review.learning import LearningChain
from budgetpolicy.review.quarterly import review

ROOT = Path(__file__).resolve().parents[2]
PLAN_ARGS = ("-P", str(ROOT / "policies" / "acme-2026.toml"), "-i", str(ROOT / "policies" / "acme-2026.initiatives.csv"))


def chain_of(result, iid, period) -> LearningChain:
    (found,) = [c for c in result.learning if (c.initiative_id, c.period) == (iid, period)]
    return found


def with_learning(r, **fields):
    return evolve(r, **{k: (D(v) if isinstance(v, str) else v) for k, v in fields.items()})


def test_each_level_comes_from_its_reading_and_the_trend_from_earlier_quarters():
    inits = [initiative("A1", horizon=4), initiative("B2", horizon=4, cost="6000")]
    plan = [decision("A1", "10000"), decision("B2", "6000")]
    outcomes = [
        with_learning(reading("A1", "2026-Q1", {"win-rate": "0.5"}), satisfaction="4.2", relevance="3.5",
                      pre_assessment="54", post_assessment="63.5", pass_rate="0.8", completion_rate="0.42",
                      observation="2.8", hours="120", participants=12),
        with_learning(reading("A1", "2026-Q2", {"win-rate": "1"}), observation="3.1"),
        reading("A1", "2026-Q3", {"win-rate": "1.5"}),  # no observation: the trend waits for the next one
        with_learning(reading("A1", "2026-Q4", {"win-rate": "2"}), observation="2.9"),
        with_learning(reading("B2", "2026-Q1"), observation="3"),
        with_learning(reading("B2", "2026-Q2"), observation="3.0", post_assessment="70"),
    ]
    result = review(policy(), inits, plan, outcomes, "2026-Q4")
    q1 = chain_of(result, "A1", "2026-Q1")
    assert (q1.satisfaction, q1.relevance, q1.pre_assessment, q1.post_assessment, q1.gain, q1.pass_rate,
            q1.completion_rate, q1.observation, q1.change, q1.trend, q1.hours, q1.participants) == \
        (D("4.2"), D("3.5"), D("54"), D("63.5"), D("9.5"), D("0.8"), D("0.42"), D("2.8"), None, "first",
         D("120"), 12)
    # Realisation against the whole-horizon forecast of 2 (review_helpers: ramp "none").
    assert q1.realisation == D("0.25")
    q2 = chain_of(result, "A1", "2026-Q2")
    assert (q2.observation, q2.change, q2.trend, q2.satisfaction, q2.gain) == (D("3.1"), D("0.3"), "rising", None, None)
    q3 = chain_of(result, "A1", "2026-Q3")
    assert (q3.observation, q3.change, q3.trend, q3.realisation) == (None, None, "", D("0.75"))
    q4 = chain_of(result, "A1", "2026-Q4")  # compared with Q2, the latest earlier observation
    assert (q4.change, q4.trend) == (D("-0.2"), "falling")
    b2 = chain_of(result, "B2", "2026-Q2")
    assert (b2.change, b2.trend, b2.gain, b2.realisation) == (D("0.0"), "flat", None, None)  # no pre: no gain
    # Every reading up to the period, by initiative then quarter.
    assert [(c.initiative_id, c.period) for c in result.learning] == [
        ("A1", "2026-Q1"), ("A1", "2026-Q2"), ("A1", "2026-Q3"), ("A1", "2026-Q4"), ("B2", "2026-Q1"),
        ("B2", "2026-Q2")]
    assert [c.period for c in review(policy(), inits, plan, outcomes, "2026-Q2").learning] == \
        ["2026-Q1", "2026-Q2", "2026-Q1", "2026-Q2"]


def cli(*args: str) -> str:
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "BUDGETPOLICY_PLUGINS": "", "PYTHONPATH": path, "COLUMNS": "100"}
    result = subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout


def test_the_review_shows_the_chain_in_table_json_and_csv(tmp_path):
    learning = tmp_path / "learning.csv"
    learning.write_text("initiative_id,period,satisfaction,relevance,pass_rate,hours,participants\n"
                        "INI-001,2026-Q1,4.1,3.6,0.75,96,12\nINI-001,2026-Q2,4.3,3.9,0.8,64,8\n", encoding="utf-8")
    args = ("review", *PLAN_ARGS, "-O", str(ROOT / "policies" / "acme-2026.outcomes.csv"), "-O", str(learning),
            "--period", "2026-Q2")
    table = cli(*args)
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Learning chain in 2026-Q2"))
    assert lines[start + 1].split() == ["ID", "SAT", "REL", "PRE->POST", "GAIN", "PASS", "COMPLETE", "OBS", "TREND",
                                        "REALISED", "HOURS", "PEOPLE"]
    ini001 = next(line for line in lines[start:] if line.startswith("INI-001"))
    # The bundled Q2 reading of INI-001: pre 54, post 68, completion 0.71, observation 3.2 after 2.8 in Q1.
    assert ini001.split() == ["INI-001", "4.3", "3.9", "54->68", "+14", "0.8", "0.71", "3.2", "rising", "+0.4",
                              "1.1250", "64", "8"]
    doc = json.loads(cli(*args, "-f", "json"))
    q2 = next(c for c in doc["learning"] if (c["initiative_id"], c["period"]) == ("INI-001", "2026-Q2"))
    assert (q2["satisfaction"], q2["gain"], q2["pass_rate"], q2["trend"], q2["change"], q2["hours"],
            q2["participants"]) == ("4.3", "14", "0.8", "rising", "0.4", "64", 8)
    assert {c["period"] for c in doc["learning"]} == {"2026-Q1", "2026-Q2"}
    rows = list(csv.DictReader(io.StringIO(cli(*args, "-f", "csv"))))
    (row,) = [r for r in rows if r["section"] == "learning" and r["id"] == "INI-001"]
    assert (row["period"], row["kind"], row["value"], row["before"], row["after"]) == \
        ("2026-Q2", "rising", "3.2", "54", "68")
    assert "satisfaction 4.3; relevance 3.9; gain 14; pass_rate 0.8" in row["reason"]
    assert "hours 64; participants 8" in row["reason"]
