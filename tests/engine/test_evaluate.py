"""The spine end to end through the Python API: policy -> compiled -> explained decisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from budgetpolicy.api import evaluate, open_policy
from budgetpolicy.canonical import canonical_json
from budgetpolicy.errors import PolicyLoadError

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def evaluation():
    return evaluate(open_policy(POLICY), INITIATIVES, evaluated_at=AT)


def test_score_breakdown_is_hand_computed(evaluation):
    d = evaluation.decision("INI-001")
    # EV: p 0.70 x weight 0.30 x (lift 2.0 / gap 5) = 0.084
    lines = {line.criterion: line for line in evaluation.explanation("INI-001").scores}
    assert lines["impact"].raw == D("0.084")
    assert lines["feasibility"].raw == D("0.8")
    assert lines["risk"].raw == D("0.6")  # rating 2 of 5, inverted
    # 0.4*0.084 + 0.15*0.8 + 0.15*1 + 0.1*0.8 + 0.1*0.6 + 0.1*0.8
    assert d.score == D("0.5236")
    assert d.expected_value == D("0.084")


def test_lower_is_better_kpi_scores_a_decrease_as_lift(evaluation):
    # INI-010: time-to-competence 90 -> 60 days, forecast 6 days faster
    impact = next(line for line in evaluation.explanation("INI-010").scores if line.criterion == "impact")
    assert impact.raw == D("0.75") * D("0.25") * (D(6) / D(30))  # 0.0375


def test_require_rules_collect_approver_roles(evaluation):
    assert evaluation.decision("INI-019").required_approvers == ("vp", "finance")
    assert evaluation.decision("INI-001").required_approvers == ("vp",)
    # A rejected initiative needs no sign-off, but the trace still shows the rule fired.
    rejected = evaluation.decision("INI-020")
    assert rejected.outcome == "rejected" and rejected.required_approvers == ()
    traces = evaluation.explanation("INI-020").rules
    assert next(t for t in traces if t.rule_id == "conference-director").status == "fired"


def test_rejections_keep_every_reason(evaluation):
    d = evaluation.decision("INI-034")
    assert d.outcome == "rejected"
    assert [r.code for r in d.reasons] == ["must-link-priority", "must-forecast-lift", "score-gate"]
    assert d.funding is None  # rejected initiatives are not allocation candidates


def test_reason_templates_render_the_values_seen(evaluation):
    d = evaluation.decision("INI-040")
    assert d.outcome == "rejected"
    reason = next(r for r in d.reasons if r.code == "probability-floor")
    assert reason.message == "Forecast probability of success 0.15 is below the 0.2 floor"
    trace = next(t for t in evaluation.explanation("INI-040").rules if t.rule_id == "probability-floor")
    assert trace.status == "fired" and trace.seen["probability"] == D("0.15")


def test_stretch_without_mentor_and_missing_plan_are_rejected(evaluation):
    assert evaluation.decision("INI-014").reasons[0].code == "stretch-needs-mentor"
    assert evaluation.decision("INI-035").reasons[0].code == "must-have-evaluation-plan"


def test_flags_do_not_change_the_outcome(evaluation):
    d = evaluation.decision("INI-006")  # a one-person stretch assignment costing 22,000
    assert d.flags == ("high-cost-per-head",)
    assert d.outcome == "approved"
    assert "Flagged: Costs 22,000 for 1 participants, over 6,000 a head." in evaluation.explanation("INI-006").narrative


def test_every_rule_is_traced(evaluation):
    traces = evaluation.explanation("INI-003").rules
    assert [t.rule_id for t in traces][:3] == ["must-link-priority", "must-have-evaluation-plan",
                                               "must-forecast-lift"]
    assert len(traces) == 12
    assert {t.status for t in traces} <= {"fired", "not_fired"}


def test_provenance_is_recorded(evaluation):
    p = evaluation.decision("INI-001").provenance
    assert (p.policy_id, p.policy_version) == ("acme-people-dev", "2026.1")
    assert len(p.policy_sha256) == 64 and len(p.input_sha256) == 64
    assert p.evaluated_at == "2026-01-15T09:00:00+00:00"
    assert any(name == "budgetpolicy.builtins.scorers" for name, _ in p.plugins)


def test_output_is_deterministic():
    a = evaluate(open_policy(POLICY), INITIATIVES, evaluated_at=AT)
    b = evaluate(open_policy(POLICY), INITIATIVES, evaluated_at=AT)
    assert canonical_json(a.decisions) == canonical_json(b.decisions)


def test_allocation_never_exceeds_the_pool(evaluation):
    total = sum((d.allocation for d in evaluation.decisions), D(0))
    assert D(0) < total <= D(600000)
    assert all(d.outcome != "deferred" or d.allocation == 0 for d in evaluation.decisions)


def _write_policy(tmp_path: Path, rules: str, criteria: str | None = None) -> str:
    criteria = criteria or """
[[scoring.criteria]]
id = "a"
scorer = "rubric"
weight = 0.1
[[scoring.criteria]]
id = "b"
scorer = "rubric"
weight = 0.2
[[scoring.criteria]]
id = "c"
scorer = "rubric"
weight = 0.7
"""
    text = f"""
id = "t"
version = "1"
effective_date = 2026-01-01
currency = "USD"
[[priorities]]
id = "p"
name = "P"
weight = 1
[priorities.kpi]
metric = "m"
unit = "u"
direction = "higher"
baseline = 0
target = 10
[scoring]
{criteria}
{rules}
"""
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _initiatives(tmp_path: Path, rows: str) -> str:
    path = tmp_path / "initiatives.csv"
    header = "id,title,kind,department,cost,priorities,forecast.p,probability,evaluation_plan,rating.a,rating.b,rating.c\n"
    path.write_text(header + rows, encoding="utf-8")
    return str(path)


def test_scores_follow_decimal_semantics(tmp_path):
    # In floats 0.1*(1/5) + 0.2*(4/5) + 0.7*(0.5/5) is 0.25000000000000006; here it is exactly 0.25.
    policy = _write_policy(tmp_path, """
[[approval.rules]]
id = "bar"
condition = "score > 0.25"
effect = "reject"
message = "over the bar"
[[approval.rules]]
id = "exact"
condition = "score == 0.25"
effect = "flag"
message = "exactly on the bar"
""")
    data = _initiatives(tmp_path, "X1,x,training,Ops,100,p,1,0.5,kpi_tracking,1.0,4.0,0.5\n")
    d = evaluate(open_policy(policy), data, evaluated_at=AT).decisions[0]
    assert d.score == D("0.25")
    assert d.outcome == "approved" and d.flags == ("exact",)


def test_approve_rule_fast_tracks_but_reject_still_wins(tmp_path):
    policy = _write_policy(tmp_path, """
[[approval.rules]]
id = "cheap"
condition = "cost < 1000"
effect = "approve"
message = "cheap: fast track"
[[approval.rules]]
id = "big"
condition = "cost >= 100"
effect = "require"
role = "vp"
message = "needs vp"
""")
    data = _initiatives(tmp_path, "X1,x,training,Ops,500,p,1,0.5,kpi_tracking,1,1,1\n"
                                  "X2,x,training,Ops,5000,p,1,0.5,kpi_tracking,1,1,1\n")
    ev = evaluate(open_policy(policy), data, evaluated_at=AT)
    x1, x2 = ev.decisions
    assert x1.outcome == "approved" and [t.status for t in ev.explanation("X1").rules] == ["fired", "not_reached"]
    assert x2.outcome == "pending_approval" and x2.required_approvers == ("vp",)


def test_expression_errors_name_the_rule_and_column(tmp_path):
    policy = _write_policy(tmp_path, """
[[approval.rules]]
id = "typo"
condition = "cots > 25000"
effect = "reject"
message = "x"
""")
    with pytest.raises(PolicyLoadError) as info:
        open_policy(policy)
    (diag,) = info.value.diagnostics
    assert "typo" in diag.message and "cots" in diag.message
    assert diag.location.key == "approval.rules[0].condition"
    assert diag.location.column == 1
    assert "cost" in (diag.hint or "") or "cost" in diag.message


def test_unknown_scorer_lists_the_available_ones(tmp_path):
    policy = _write_policy(tmp_path, "", criteria="""
[[scoring.criteria]]
id = "a"
scorer = "rubrik"
weight = 1
""")
    with pytest.raises(PolicyLoadError) as info:
        open_policy(policy)
    diag = info.value.diagnostics[0]
    assert diag.code == "BP506" and diag.location.key == "scoring.criteria[0].scorer"
    assert "did you mean 'rubric'" in diag.hint and "expected_value" in diag.hint


def test_bad_scorer_params_are_validation_errors(tmp_path):
    policy = _write_policy(tmp_path, "", criteria="""
[[scoring.criteria]]
id = "a"
scorer = "rubric"
weight = 1
[scoring.criteria.params]
scale = -5
""")
    with pytest.raises(PolicyLoadError) as info:
        open_policy(policy)
    diag = info.value.diagnostics[0]
    assert diag.code == "BP230" and "scale" in diag.message
    assert diag.location.key == "scoring.criteria[0].params"


def test_evaluate_restores_the_garbage_collector(tmp_path):
    import gc

    compiled = open_policy(POLICY)
    assert gc.isenabled()
    evaluate(compiled, INITIATIVES, evaluated_at=AT)
    assert gc.isenabled()
    with pytest.raises(PolicyLoadError):  # BP231: not in force; the collector comes back on errors too
        evaluate(compiled, INITIATIVES, evaluated_at=AT, as_of=dt.date(2031, 1, 1))
    assert gc.isenabled()
    gc.disable()
    try:
        evaluate(compiled, INITIATIVES, evaluated_at=AT)
        assert not gc.isenabled()  # a caller who turned it off keeps it off
    finally:
        gc.enable()


def test_output_and_ledger_recording_pause_the_collector_and_restore_it(tmp_path, monkeypatch):
    import gc

    import attrs

    from budgetpolicy.api import read_initiatives
    from budgetpolicy.audit.ledger import Ledger
    from budgetpolicy.engine.compile import CompiledPolicy
    from budgetpolicy.output import evaluation_json

    compiled = open_policy(POLICY)
    initiatives = read_initiatives(INITIATIVES, compiled.registry)
    seen = []
    real = CompiledPolicy.explain

    def explain(*args, **kwargs):  # the explanations are built while the collector is paused
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(CompiledPolicy, "explain", explain)
    text = evaluation_json(evaluate(compiled, initiatives, evaluated_at=AT))
    assert gc.isenabled() and seen and not any(seen)
    seen.clear()
    evaluation = evaluate(compiled, initiatives, evaluated_at=AT)  # a new one: explanations are kept per evaluation
    with Ledger(tmp_path / "l.db") as ledger:
        assert len(ledger.record_evaluation(evaluation, initiatives)) == len(evaluation.decisions)
    assert gc.isenabled() and seen and not any(seen)
    assert '"decisions"' in text
    with pytest.raises(ValueError):  # an error inside (a decision it has no initiative for) gives the collector back
        evaluation_json(attrs.evolve(evaluation, decisions=(evaluation.decisions[1], *evaluation.decisions[1:])))
    assert gc.isenabled()
