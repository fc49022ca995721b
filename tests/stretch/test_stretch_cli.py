"""stretch select through the CLI on the bundled example: picks, reasons, rates, JSON, the ledger record and replay."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from budgetpolicy import api
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.cli import main

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "stretch" / "acme-2026-stretch.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
CANDIDATES = str(ROOT / "policies" / "stretch" / "acme-2026.candidates.csv")
AT = "2026-02-01T09:00:00+00:00"
ARGS = ["stretch", "select", "-P", POLICY, "-i", INITIATIVES, "-c", CANDIDATES]


def run(capsys, *extra):
    code = main([*ARGS, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_picks_scores_reasons_and_rates(capsys):
    code, out, err = run(capsys, "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    picks = {(p["assignment"], p["person"]) for p in data["picks"]}
    assert picks == {("INI-006", "Ben Okafor"), ("INI-042", "Ava Chen"), ("INI-013", "Femi Adeyemi"),
                     ("INI-025", "Hana Sato"), ("INI-031", "Jo Park")}
    assert data["total_score"] == "4.1500"
    # Ava (0.89) is best on INI-006 too, but holds INI-042: one assignment at a time.
    ava = next(n for n in data["non_picks"] if n["person"] == "Ava Chen")
    assert any(r.startswith("concurrent limit: already holds INI-042") for r in ava["reasons"])
    carla = next(n for n in data["non_picks"] if n["person"] == "Carla Diaz")
    assert "lower score than the pick Ben Okafor: 0.7 vs 0.76 (by 0.06)" in carla["reasons"]
    kim = next(n for n in data["non_picks"] if n["person"] == "Kim Lee")
    assert any(r.startswith("overloaded:") for r in kim["reasons"])
    rates = {(r["attribute"], r["value"]): r for r in data["rates"]}
    assert rates[("location", "Berlin")]["rate"] == "0.2000" and rates[("location", "Berlin")]["flagged"]
    assert rates[("department", "Sales")]["selected"] == 2 and not rates[("department", "Sales")]["flagged"]
    ini006 = next(a for a in data["assignments"] if a["id"] == "INI-006")
    assert ini006["seats"] == 2 and [m["quarter"] for m in ini006["milestones"]] == ["2026-Q2", "2026-Q3", "2026-Q4"]


def test_greedy_is_never_better_and_table_and_csv_render(capsys):
    _, optimal, _ = run(capsys, "-f", "json")
    code, greedy, _ = run(capsys, "-f", "json", "--strategy", "greedy")
    assert code == 0
    assert Decimal(json.loads(greedy)["total_score"]) <= Decimal(json.loads(optimal)["total_score"])
    code, table, _ = run(capsys)
    assert code == 0 and "Carla Diaz not picked: lower score than the pick Ben Okafor" in table
    assert "below the four-fifths line" in table
    code, csv_text, _ = run(capsys, "-f", "csv")
    assert csv_text.splitlines()[0].startswith("assignment,rank,person") and len(csv_text.splitlines()) == 14


def test_recorded_in_the_ledger_verified_exported_and_replayed(capsys, tmp_path):
    ledger = str(tmp_path / "l.db")
    code, out, err = run(capsys, "--ledger", ledger, "--at", AT)
    assert code == 0, err
    assert "recorded as seq 2" in out  # the policy's registration is seq 1
    with Ledger(ledger, create=False, readonly=True) as opened:
        (record,) = list(opened.iter_records(kind="stretch_selection"))
        payload = record.entry.data()
        assert opened.verify().ok
    assert record.entry.evaluated_at == AT and record.entry.initiative_id == ""
    assert {p["person"] for p in payload["picks"]} >= {"Ben Okafor", "Jo Park"}
    assert payload["picks"][0]["time_commitment"] and payload["assignments"][0]["milestones"]
    assert len(payload["candidates"]) == 14  # the ongoing row included
    assert main(["ledger", "export", ledger, "-f", "jsonl", "-o", str(tmp_path / "l.jsonl")]) == 0
    assert '"kind":"stretch_selection"' in (tmp_path / "l.jsonl").read_text()
    assert api.replay_stretch(ledger) == ((record.seq, ()),)


def test_replay_reports_a_selection_that_no_longer_reproduces(tmp_path):
    candidates = tmp_path / "c.csv"
    shutil.copy(CANDIDATES, candidates)
    ledger = str(tmp_path / "l.db")
    api.select_stretch(POLICY, INITIATIVES, str(candidates), ledger=ledger)
    # A record whose picks were edited (the chain aside) no longer reproduces: the part is named.
    from budgetpolicy.stretch.record import replay_differences

    with Ledger(ledger, create=False, readonly=True) as opened:
        (record,) = list(opened.iter_records(kind="stretch_selection"))
    payload = record.entry.data()
    policy = api.load_policy(POLICY)
    assert replay_differences(payload, policy.stretch, "record") == ()
    payload["picks"][0]["score"] = "0.9999"
    assert replay_differences(payload, policy.stretch, "record") == ("picks",)


def test_api_select_without_a_stretch_section_is_one_located_error(tmp_path, capsys):
    code = main(["stretch", "select", "-P", str(ROOT / "policies" / "acme-2026.toml"), "-i", INITIATIVES,
                 "-c", CANDIDATES])
    _, err = capsys.readouterr()
    assert code == 2 and "BP256" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
