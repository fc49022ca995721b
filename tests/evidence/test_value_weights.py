"""Diminishing returns and effective weights (docs/evidence.md): the rank-order rule worked by hand, the
normalisations, declared against effective weights, and the gap-overclaim warning through the CLI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from budgetpolicy import api
from budgetpolicy.engine.portfolio import Normalised
from budgetpolicy.evidence.weights import effective_weights, gap_claims
from budgetpolicy.model import Initiative

from evidence_helpers import INITIATIVES, POLICY, evaluate_json, policy_variant, run

D = Decimal
AT = dt.datetime(2026, 1, 15, 9, tzinfo=dt.timezone.utc)
DIMINISHING = ('description = "Probability of success x share of the KPI gap closed x priority weight"\n',
               'description = "Probability of success x share of the KPI gap closed x priority weight"\n'
               '[scoring.criteria.params]\ndiminishing_returns = true\n')


def _csat_bets() -> list[Initiative]:
    # Three bets on CSAT (gap 7 points, weight 0.25), all certain and alike in cost: A +5, B +4, C +3.
    return [Initiative(i, i, "training", "Support", D(10000), priorities=("csat",), forecast={"csat": D(lift)},
                       probability=D(1), evaluation_plan=("kpi_tracking",),
                       ratings={"feasibility": 5, "alignment": 5, "transfer": 5, "risk": 1, "sustainability": 5})
            for i, lift in (("A", 5), ("B", 4), ("C", 3))]


def _impact(evaluation, initiative_id):
    return evaluation.explanation(initiative_id).scores[0].raw


def test_diminishing_returns_count_a_lift_only_up_to_the_gap_still_open(tmp_path):
    plain = api.open_policy(str(POLICY))
    before = api.evaluate(plain, _csat_bets(), evaluated_at=AT)
    # Alone, each lift counts in full: 0.25 x lift / 7.
    assert [_impact(before, i) for i in "ABC"] == [D("0.178571"), D("0.142857"), D("0.107143")]
    diminishing = api.open_policy(str(policy_variant(tmp_path, "dim.toml", DIMINISHING)))
    after = api.evaluate(diminishing, _csat_bets(), evaluated_at=AT)
    # In rank order A claims 5 of the 7 points, B the 2 left open, C nothing.
    assert [_impact(after, i) for i in "ABC"] == [D("0.178571"), D("0.071429"), D("0")]
    assert "csat: lift 4 of gap 7 (open 2)" in after.explanation("B").scores[0].detail
    # A single initiative scored alone (no portfolio) sees the whole gap.
    assert diminishing.scored(_csat_bets()[2], after.context).raws[0] == D("0.107143")


def test_minmax_and_rank_normalisation_by_hand():
    raws = [D("0.1"), D("0.2"), D("0.2"), D("0.5")]
    minmax = Normalised(lambda i: D(0), raws, "minmax", lambda i: D(0))
    assert [minmax.rescale(r) for r in (D("0.1"), D("0.2"), D("0.5"))] == [D(0), D("0.25"), D(1)]
    rank = Normalised(lambda i: D(0), raws, "rank", lambda i: D(0))
    # below + (equal - 1) / 2 over the 3 others: 0/3, (1 + 0.5)/3, 3/3
    assert [rank.rescale(r) for r in (D("0.1"), D("0.2"), D("0.5"))] == [D(0), D("0.5"), D(1)]
    assert Normalised(lambda i: D(0), [D("0.3")] * 3, "minmax", lambda i: D(0)).rescale(D("0.3")) == D("0.5")


def test_declared_and_effective_weights_of_the_bundled_example(capsys):
    doc = evaluate_json(capsys)
    weights = {w["criterion"]: (w["declared"], w["spread"], w["effective"]) for w in doc["evidence"]["weights"]}
    # sum of weight x spread = 0.4 x 0.125 + 0.15 x 0.6 + 0.15 x 0.8 + 3 x 0.1 x 0.8 = 0.5
    assert weights["impact"] == ("0.4", "0.125", "0.1")
    assert weights["feasibility"] == ("0.15", "0.6", "0.18")
    assert weights["alignment"] == ("0.15", "0.8", "0.24")
    assert sum(D(w[2]) for w in weights.values()) == 1


def test_normalising_impact_gives_it_its_weight_back(capsys, tmp_path):
    policy = policy_variant(tmp_path, "norm.toml", ('scorer = "expected_value"\n', 'scorer = "expected_value"\nnormalise = "minmax"\n'))
    weights = {w["criterion"]: w for w in evaluate_json(capsys, policy)["evidence"]["weights"]}
    assert weights["impact"]["spread"] == "1" and weights["impact"]["normalise"] == "minmax"
    # 0.4 x 1 / (0.4 + 0.09 + 0.12 + 0.24) = 0.4 / 0.85
    assert weights["impact"]["effective"] == "0.4706"
    code, out, _ = run(capsys, "evaluate", "-P", policy, "-i", INITIATIVES, "--evaluated-at", "2026-01-15T09:00:00+00:00")
    assert "criterion weights, declared -> effective: impact 0.4 -> 0.4706" in out


def test_an_evaluation_binds_normalised_criteria_once_even_when_evaluated_again(tmp_path):
    policy = policy_variant(tmp_path, "norm.toml", ('scorer = "expected_value"\n', 'scorer = "expected_value"\nnormalise = "rank"\n'))
    compiled = api.open_policy(str(policy))
    first = api.evaluate(compiled, _csat_bets(), evaluated_at=AT)
    again = first.compiled.evaluate(first.initiatives, first.context)  # a what-if evaluates the bound policy
    assert [d.score for d in again.decisions] == [d.score for d in first.decisions]
    assert [_impact(first, i) for i in "ABC"] == [D(1), D("0.5"), D(0)]


def test_funded_forecasts_over_a_gap_are_a_warning_on_stderr_and_in_json(capsys):
    code, out, err = run(capsys, "evaluate", "-P", POLICY, "-i", INITIATIVES, "--evaluated-at", "2026-01-15T09:00:00+00:00",
                         "-f", "json")
    assert code == 0
    assert (f"{POLICY}: priorities[3].kpi: BP677 warning: funded forecasts claim 3.5 defects on 'defect-rate', 2.33x "
            "its gap of 1.5 defects") in err
    import json
    doc = json.loads(out)
    gaps = {g["priority"]: (g["claimed"], g["gap"], g["ratio"]) for g in doc["evidence"]["gaps"]}
    assert gaps == {"win-rate": ("8.4", "5", "1.68"), "time-to-competence": ("53", "30", "1.77"),
                    "csat": ("7.2", "7", "1.03"), "defect-rate": ("3.5", "1.5", "2.33")}
    assert len(doc["evidence"]["warnings"]) == 4


def test_gap_claims_scale_with_partial_funding():
    compiled = api.open_policy(str(POLICY))
    evaluation = api.evaluate(compiled, _csat_bets(), evaluated_at=AT)
    claims = {c.priority: c.claimed for c in gap_claims(evaluation)}
    funded = sum(d.allocation / 10000 * lift for d, lift in zip(evaluation.decisions, (5, 4, 3)))
    assert claims["csat"] == funded
    assert effective_weights(evaluation)[0].criterion == "impact"


def test_csv_keeps_its_shape_and_still_warns(capsys):
    code, out, err = run(capsys, "evaluate", "-P", POLICY, "-i", INITIATIVES, "--evaluated-at", "2026-01-15T09:00:00+00:00",
                         "-f", "csv")
    assert code == 0
    assert out.splitlines()[0] == "id,outcome,score,expected_value,requested,allocated,approvers,flags,reasons,title,department,kind,funding"
    assert err.count("BP677 warning") == 4
