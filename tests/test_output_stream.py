"""The streaming writers of ``evaluate`` (issue 17, target 1): the same bytes as the documents built in
memory, JSON lines that carry every decision and end with a summary, CSV that builds no explanation."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from budgetpolicy.api import evaluate, open_policy, read_initiatives
from budgetpolicy.canonical import pretty_json
from budgetpolicy.engine.compile import CompiledPolicy
from budgetpolicy.explain.whatif import what_if_json, what_if_pool
from budgetpolicy.output import (DECISION_COLUMNS, decision_records, decisions_csv, evaluation_doc, evaluation_json,
                                 evaluation_jsonl, records_csv, write_decisions_csv, write_evaluation_json,
                                 write_evaluation_jsonl)

ROOT = Path(__file__).resolve().parents[1]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
N = 120
AT = dt.datetime(2026, 1, 15, 9, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def compiled():
    return open_policy(POLICY)


@pytest.fixture()
def evaluation(compiled):
    return evaluate(compiled, INITIATIVES, evaluated_at=AT)


def test_streamed_json_is_the_document_built_in_memory(compiled, evaluation):
    whole = pretty_json(evaluation_doc(evaluate(compiled, INITIATIVES, evaluated_at=AT)), normal=True)
    ticks = []
    out = io.StringIO()
    write_evaluation_json(evaluation, out, tick=lambda: ticks.append(1))
    assert out.getvalue() == whole
    assert len(ticks) == len(evaluation.decisions) == 44
    doc = json.loads(whole)
    assert [d["initiative_id"] for d in doc["decisions"]] == [d.initiative_id for d in evaluation.decisions]
    assert evaluation_json(evaluation) == whole  # the str form is the same writer


def test_streamed_json_with_extra_keys_and_with_no_decisions(compiled, evaluation):
    initiatives = evaluation.initiatives
    what_if = {"what_if": what_if_json(what_if_pool(compiled, initiatives, evaluation, Decimal(50000)))}
    whole = pretty_json({**evaluation_doc(evaluate(compiled, INITIATIVES, evaluated_at=AT)), **what_if}, normal=True)
    assert evaluation_json(evaluation, what_if) == whole
    empty = evaluate(compiled, (), evaluated_at=AT)
    text = evaluation_json(empty)
    assert text == pretty_json(evaluation_doc(empty), normal=True)
    assert json.loads(text)["decisions"] == [] and '"decisions": []' in text


def test_jsonl_is_one_decision_per_line_then_a_summary(compiled, evaluation):
    doc = json.loads(evaluation_json(evaluate(compiled, INITIATIVES, evaluated_at=AT)))
    out = io.StringIO()
    write_evaluation_jsonl(evaluation, out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 45 and all(line.startswith("{") for line in lines)
    *decisions, last = [json.loads(line) for line in lines]
    assert decisions == doc["decisions"]
    summary = last["summary"]
    assert summary["decisions"] == 44 and sum(summary["outcomes"].values()) == 44
    assert summary["outcomes"] == {o: sum(d["outcome"] == o for d in decisions) for o in summary["outcomes"]}
    assert {k: summary[k] for k in ("policy", "evaluated_at", "as_of", "allocation")} == \
        {k: doc[k] for k in ("policy", "evaluated_at", "as_of", "allocation")}
    assert evaluation_jsonl(evaluation) == out.getvalue()


def test_csv_is_written_row_by_row_and_builds_no_explanation(compiled, evaluation, monkeypatch):
    by_id = {i.id: i for i in evaluation.initiatives}
    expected = records_csv(DECISION_COLUMNS, decision_records(evaluation.decisions, by_id))

    def refuse(*args, **kwargs):
        raise AssertionError("the CSV prints no explanation and no counterfactual: none may be built")

    monkeypatch.setattr(CompiledPolicy, "explain", refuse)
    monkeypatch.setattr(CompiledPolicy, "counterfactuals", refuse)
    out = io.StringIO()
    ticks = []
    write_decisions_csv(evaluation.decisions, by_id, out, tick=lambda: ticks.append(1))
    assert out.getvalue() == expected == decisions_csv(evaluation.decisions, by_id)
    assert len(ticks) == 44 and out.getvalue().count("\n") == 45


def test_streaming_keeps_no_explanation_but_explanation_still_builds_and_keeps(compiled, evaluation, monkeypatch):
    built = []
    real = CompiledPolicy.explain

    def counting(self, *args, **kwargs):
        built.append(1)
        return real(self, *args, **kwargs)

    assert evaluation.counterfactuals  # computed once for the whole evaluation (they explain too), then kept
    monkeypatch.setattr(CompiledPolicy, "explain", counting)
    write_evaluation_json(evaluation, io.StringIO())
    write_evaluation_jsonl(evaluation, io.StringIO())
    assert len(built) == 88  # built for each output and dropped: nothing kept between the two
    first = evaluation.explanation("INI-019")
    assert evaluation.explanation("INI-019") is first and len(built) == 89  # the on-request path keeps it


def test_a_large_generated_portfolio_streams_parseable_json(compiled, tmp_path):
    # Large enough for many indented decisions and funding steps, small enough for the suite: every
    # explanation, counterfactuals included, is built (benchmarks/bench_cli.py runs 100,000).
    rows = ["id,title,kind,department,role,cost,currency,priorities,forecast.win-rate,probability,horizon,"
            "evaluation_plan,rating.feasibility,rating.alignment,rating.transfer,rating.risk,rating.sustainability"]
    for n in range(N):
        rows.append(f"G-{n:04d},Generated {n},training,Sales,Manager,{1000 + 37 * n},USD,win-rate,{1 + n % 40},"
                    f"0.{10 + n % 85:02d},4,{'pre_post_assessment' if n % 7 else ''},{1 + n % 5},{1 + n % 4},3,2,4")
    path = tmp_path / "generated.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    initiatives = read_initiatives(str(path), compiled.registry, attribute_types=compiled.policy.attributes)
    evaluation = evaluate(compiled, initiatives, evaluated_at=AT)
    out = io.StringIO()
    write_evaluation_json(evaluation, out)
    doc = json.loads(out.getvalue())
    assert len(doc["decisions"]) == N
    assert [d["initiative_id"] for d in doc["decisions"]] == [f"G-{n:04d}" for n in range(N)]
    assert {d["outcome"] for d in doc["decisions"]} >= {"rejected"}  # no evaluation plan: rejected
    funded = sum(Decimal(d["funding"]["amount"]) for d in doc["decisions"] if d["funding"])
    assert funded == Decimal(doc["allocation"]["allocated"]) <= Decimal(doc["allocation"]["pool"])
