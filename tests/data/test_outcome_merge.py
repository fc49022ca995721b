"""data.merge: the readings of several outcome sources, merged per initiative and quarter."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

import budgetpolicy
from budgetpolicy.data.merge import merge_readings
from budgetpolicy.errors import DataError, Location
from budgetpolicy.model import OutcomeReading


def at(file: str, row: int) -> Location:
    return Location(file=file, row=row)


def test_one_source_passes_through_unchanged():
    readings = [OutcomeReading("A", "2026-Q1", completion_rate=D("0.5"), location=at("a.csv", 2))]
    (same,) = merge_readings([readings])
    assert same is readings[0]


def test_fields_of_several_sources_make_one_reading_in_first_seen_order():
    lms = [OutcomeReading("A", "2026-Q1", completion_rate=D("0.50"), pass_rate=D("0.8"), location=at("lms.csv", 2)),
           OutcomeReading("B", "2026-Q1", completion_rate=D("0.3"), location=at("lms.csv", 3))]
    ops = [OutcomeReading("C", "2026-Q1", kpis={"csat": D("1")}, location=at("ops.csv", 2)),
           OutcomeReading("A", "2026-Q1", kpis={"win-rate": D("1.2")}, completion_rate=D("0.5"),
                          spend_to_date=D("100"), finished=True, location=at("ops.csv", 3))]
    survey = [OutcomeReading("A", "2026-Q1", kpis={"csat": D("0.4")}, satisfaction=D("4.2"), participants=12,
                             location=at("survey.csv", 2))]
    merged = merge_readings([lms, ops, survey])
    assert [(r.initiative_id, r.period) for r in merged] == [("A", "2026-Q1"), ("B", "2026-Q1"), ("C", "2026-Q1")]
    a = merged[0]
    # 0.50 and 0.5 agree (the first spelling is kept); the KPI maps merge per priority.
    assert (a.completion_rate, a.pass_rate, a.spend_to_date, a.finished, a.satisfaction, a.participants) == \
        (D("0.50"), D("0.8"), D("100"), True, D("4.2"), 12)
    assert dict(a.kpis) == {"win-rate": D("1.2"), "csat": D("0.4")}
    # Its own row, and where each field from another source came from.
    assert a.location == at("lms.csv", 2)
    assert a.origin("spend_to_date") == Location(file="ops.csv", row=3, field="spend_to_date")
    assert a.origin("kpi.csat") == Location(file="survey.csv", row=2, field="kpi.csat")
    assert a.origin("completion_rate") == Location(file="lms.csv", row=2, field="completion_rate")


def test_finished_is_true_when_any_source_says_so():
    first = [OutcomeReading("A", "2026-Q1", finished=True, location=at("a.csv", 2))]
    second = [OutcomeReading("A", "2026-Q1", finished=False, location=at("b.csv", 2))]
    assert merge_readings([first, second])[0].finished is True
    assert merge_readings([second, first])[0].finished is True


def test_every_conflicting_field_is_one_line_naming_both_places():
    first = [OutcomeReading("A", "2026-Q1", kpis={"win-rate": D("1.2")}, hours=D("10"), participants=4,
                            location=at("a.csv", 2))]
    second = [OutcomeReading("A", "2026-Q1", kpis={"win-rate": D("1.3")}, hours=D("10.0"), participants=5,
                             location=at("b.json", 7))]
    with pytest.raises(DataError) as raised:
        merge_readings([first, second])
    lines = [d.format() for d in raised.value.diagnostics]
    assert lines == [
        "b.json: row 7: field 'participants': BP660 error: participants of 'A' in 2026-Q1 is 5 here but 4 in "
        "a.csv: row 2 (two sources disagree: correct the wrong one, or drop the field from one source)",
        "b.json: row 7: field 'kpi.win-rate': BP660 error: kpi.win-rate of 'A' in 2026-Q1 is 1.3 here but 1.2 in "
        "a.csv: row 2 (two sources disagree: correct the wrong one, or drop the field from one source)",
    ]


def test_a_third_source_is_checked_against_the_first_that_gave_the_field():
    sources = [[OutcomeReading("A", "2026-Q1", observation=D("3"), location=at("a.csv", 2))],
               [OutcomeReading("A", "2026-Q1", observation=D("3.0"), location=at("b.csv", 2))],
               [OutcomeReading("A", "2026-Q1", observation=D("2.5"), location=at("c.csv", 4))]]
    with pytest.raises(DataError) as raised:
        merge_readings(sources)
    (only,) = raised.value.diagnostics
    assert (only.location, only.code) == (Location(file="c.csv", row=4, field="observation"), "BP660")
    assert "is 2.5 here but 3 in a.csv: row 2" in only.message


def test_the_api_reads_several_specs_into_merged_readings(registry, write):
    kpis = write("kpis.csv", "initiative_id,period,kpi.win-rate,spend_to_date\nINI-001,2026-Q1,1.2,12000\n")
    lrs = write("lrs.json", '[{"initiative_id": "INI-001", "period": "2026-Q1", "pass_rate": "0.75", '
                            '"participants": 5}]')
    (reading,) = budgetpolicy.read_outcomes([kpis, lrs], registry, initiative_ids=["INI-001"])
    assert (reading.kpis["win-rate"], reading.spend_to_date, reading.pass_rate, reading.participants) == \
        (D("1.2"), D("12000"), D("0.75"), 5)
    assert budgetpolicy.read_outcomes(kpis, registry) == budgetpolicy.read_outcomes([kpis], registry)
