"""KPI actuals: the file's checks, the observed change, and the attributed lifts (docs/evidence.md)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from bets_helpers import INITIATIVES, KPIS, OUTCOMES, POLICY, POLICY_FILE
from hypothesis import given
from hypothesis import strategies as st

from budgetpolicy.cli import main
from budgetpolicy.errors import DataError
from budgetpolicy.evidence.kpis import attribute, change, kpi_evidence, read_kpis


def test_the_bundled_actuals_read_by_priority_and_by_metric():
    actuals = read_kpis(KPIS, POLICY)
    assert len(actuals) == 12
    days = [a for a in actuals if a.priority == "time-to-competence"]  # given by metric in the file
    assert [(a.period, a.value) for a in days] == [("2026-Q1", D(86)), ("2026-Q2", D(80)), ("2026-Q3", D(76))]
    assert days[0].location.row == 5


def test_the_observed_change_is_in_the_kpis_good_direction():
    by_id = {p.id: p for p in POLICY.priorities}
    assert change(by_id["win-rate"], D("23.6")) == D("1.6")  # higher is better: 23.6 - 22
    assert change(by_id["time-to-competence"], D(76)) == D(14)  # lower is better: 90 - 76


def test_claims_that_fit_are_attributed_in_full():
    assert attribute({"A": D("0.5"), "B": D("0.3")}, D(1)) == {"A": D("0.5"), "B": D("0.3")}


def test_overclaims_are_scaled_down_in_proportion_and_rounded_down():
    # docs/evidence.md: win-rate to 2026-Q3, observed 23.6 - 22 = 1.6, claims add to 7.31;
    # INI-001 claims 2.2: 2.2 * 1.6 / 7.31 = 0.48153... -> 0.4815 (4 places, rounded down).
    claims = {"INI-001": D("2.2"), "rest": D("5.11")}
    given_ = attribute(claims, D("1.6"))
    assert given_["INI-001"] == D("0.4815")
    assert given_["rest"] == D("1.1184")  # 5.11 * 1.6 / 7.31 = 1.11846...
    assert sum(given_.values()) <= D("1.6")


def test_nothing_is_attributed_when_the_kpi_did_not_improve_and_negative_claims_get_nothing():
    assert attribute({"A": D(1), "B": D(-1)}, D(0)) == {"A": D(0), "B": D(0)}
    assert attribute({"A": D(1), "B": D(-1)}, D(5)) == {"A": D(1), "B": D(0)}


amounts = st.decimals(min_value=D("-50"), max_value=D("500"), places=4, allow_nan=False, allow_infinity=False)


@given(claims=st.dictionaries(st.text("ABCDEFGH", min_size=1, max_size=3), amounts, max_size=12),
       observed=amounts)
def test_attributed_lifts_never_exceed_the_observed_change(claims, observed):
    given_ = attribute(claims, observed)
    total = sum(given_.values(), D(0))
    assert total <= max(observed, D(0))
    for key, value in given_.items():
        assert isinstance(value, D) and value.is_finite()
        assert D(0) <= value <= max(claims[key], D(0))
        assert value == value.quantize(D("0.0001"))  # exact to 4 places, never a float's tail
    if sum((c for c in claims.values() if c > 0), D(0)) <= observed:
        assert given_ == {k: max(c, D(0)) if c > 0 else D(0) for k, c in claims.items()}


def test_kpi_evidence_notes_forecasts_and_claims_that_overclaim():
    actuals = read_kpis(KPIS, POLICY)
    claims = {"win-rate": {"INI-001": ("2026-Q3", D("2.2")), "INI-002": ("2026-Q2", D("5.11"))}}
    (win, days, *_) = kpi_evidence(POLICY, actuals, claims, {"win-rate": D("8.4")}, "2026-Q3")
    assert (win.period, win.actual, win.observed, win.share_of_gap) == ("2026-Q3", D("23.6"), D("1.6"), D("0.32"))
    assert [a.attributed for a in win.attributions] == [D("0.4815"), D("1.1184")]
    assert win.notes == ("Funded forecasts add to 8.4 %, 1.68x the gap of 5 %: they overclaim.",
                         "The initiatives' realised lifts add to 7.31 %, more than the observed change of 1.6 %: "
                         "each is scaled by 1.6/7.31.")
    assert (days.observed, days.share_of_gap, days.notes) == (D(14), D("0.4666"), ())


def test_an_earlier_period_reads_the_actual_of_that_quarter():
    (win, *_) = kpi_evidence(POLICY, read_kpis(KPIS, POLICY), {}, {}, "2026-Q1")
    assert (win.period, win.actual, win.observed) == ("2026-Q1", D("22.4"), D("0.4"))


def _problems(tmp_path, text):
    path = tmp_path / "kpis.csv"
    path.write_text(text)
    with pytest.raises(DataError) as exc:
        read_kpis(str(path), POLICY)
    return [(d.code, d.location.row or d.location.line, d.location.field, d.hint) for d in exc.value.diagnostics]


def test_every_bad_row_is_reported_at_once_with_its_line_and_field(tmp_path):
    found = _problems(tmp_path, "priority,period,value\nwin-rat,2026-Q1,22\nwin-rate,2026Q1,22\n"
                                "csat,2026-Q1,high\ncsat,2026-Q2,79\ncsat,2026-Q2,80\n")
    assert found == [("BP682", 2, "priority", "did you mean 'win-rate'?"),
                     ("BP683", 3, "period", "write quarters as YYYY-Qn, e.g. 2026-Q2"),
                     ("BP684", 4, "value", "give a plain decimal such as 1500.00"),
                     ("BP685", 6, None, "keep one row per priority and quarter")]


def test_header_problems(tmp_path):
    assert _problems(tmp_path, "priorty,period,value\n") == [
        ("BP680", 1, "priorty", "did you mean 'priority'?"),
        ("BP680", 1, None, "the header is priority,period,value (or metric,period,value)")]
    assert _problems(tmp_path, "") == [("BP680", None, None,
                                        "the header is priority,period,value (or metric,period,value)")]


def test_a_priority_and_a_metric_that_disagree(tmp_path):
    assert _problems(tmp_path, "priority,metric,period,value\nwin-rate,csat,2026-Q1,1\n,,2026-Q1,1\n") == [
        ("BP682", 2, None, "fill in one of the two"), ("BP682", 3, None, "fill in one of the two")]


@pytest.mark.parametrize("text", ["nan", "inf", "1e999999999", "", "\"1,5\"", "0.0000000000001"])
def test_values_that_are_not_numbers(tmp_path, text):
    (problem,) = _problems(tmp_path, f"priority,period,value\ncsat,2026-Q1,{text}\n")
    assert problem[0] == "BP684"


def test_the_cli_says_one_line_per_problem_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "kpis.csv"
    bad.write_text("priority,period,value\nwin-rat,2026-Q1,22\n")
    out = tmp_path / "report.md"
    code = main(["report", "-P", POLICY_FILE, "-i", INITIATIVES, "-O", OUTCOMES, "--kpis", str(bad), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert f"{bad}: row 2: field 'priority': BP682 error: unknown priority 'win-rat'" in err
    assert "did you mean 'win-rate'?" in err and "Traceback" not in err


def test_kpis_need_outcomes_and_a_missing_file_is_named(tmp_path, capsys):
    assert main(["report", "-P", POLICY_FILE, "-i", INITIATIVES, "--kpis", KPIS]) == 2
    assert "--kpis needs --outcomes" in capsys.readouterr().err
    missing = str(tmp_path / "nope.csv")
    assert main(["review", "-P", POLICY_FILE, "-i", INITIATIVES, "-O", OUTCOMES, "--period", "2026-Q2",
                 "--kpis", missing]) == 2
    err = capsys.readouterr().err
    assert f"{missing}: BP680 error: cannot read the KPI actuals file" in err


def test_the_bundled_rows_meet_the_shipped_schema_and_bad_rows_do_not():
    import csv
    import json

    from jsonschema import Draft202012Validator

    from budgetpolicy.schema_errors import shipped_schema

    validator = Draft202012Validator(json.loads(shipped_schema("kpi-actual.schema.json").read_text()))
    with open(KPIS, newline="") as handle:
        rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]  # a blank cell is absent
    assert rows and all(validator.is_valid(row) for row in rows)
    for bad in ({"period": "2026-Q1", "value": "1"}, {"priority": "csat", "period": "2026Q1", "value": "1"},
                {"priority": "csat", "period": "2026-Q1", "value": "1,5"},
                {"priority": "csat", "period": "2026-Q1", "value": "1", "note": "x"}):
        assert not validator.is_valid(bad), bad
