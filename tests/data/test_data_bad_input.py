"""Bad input: every problem is a one-line DataError naming file, row/record and field, never a traceback."""

from __future__ import annotations

import sqlite3

import pytest

from budgetpolicy.errors import DataError
from budgetpolicy.data.load import MAX_REPORTED, load_initiatives, load_outcomes

HEADER = "id,title,kind,department,cost,probability,headcount,pilot\n"
GOOD = "A1,Good,training,Ops,100,0.5,2,false\n"


def fail(spec, registry, **kw):
    with pytest.raises(DataError) as info:
        load_initiatives(spec, registry, **kw)
    diags = info.value.diagnostics
    assert all("\n" not in d.format() for d in diags)
    return diags


def one(spec, registry):
    diags = fail(spec, registry)
    assert len(diags) == 1, [d.format() for d in diags]
    return diags[0]


def where(d):
    return (d.location.row, d.location.field, d.code)


# -- files -------------------------------------------------------------------------


def test_missing_file(registry, tmp_path):
    d = one(str(tmp_path / "nope.csv"), registry)
    assert (d.code, d.message, d.location.file) == ("BP401", "file not found", str(tmp_path / "nope.csv"))


@pytest.mark.parametrize("name,content", [("e.csv", ""), ("e.json", "  \n"), ("e.toml", "\n\n")])
def test_empty_file(registry, write, name, content):
    d = one(write(name, content), registry)
    assert (d.code, d.message) == ("BP404", "file is empty")


def test_non_utf8_names_line_and_byte(registry, write):
    path = write("latin1.csv", HEADER.encode() + GOOD.encode() + "A2,Caf\xe9,training,Ops,1,0.5,1,no\n".encode("latin-1"))
    d = one(path, registry)
    assert d.code == "BP402" and (d.location.line, d.location.column) == (3, 7)
    assert "byte 0xE9 at line 3, column 7" in d.message and "UTF-8" in d.hint


def test_utf8_bom_is_fine(registry, write):
    assert len(load_initiatives(write("bom.csv", "\ufeff" + HEADER + GOOD), registry).items) == 1


def test_malformed_csv_names_the_line(registry, write):
    d = one(write("q.csv", HEADER + GOOD + 'A2,"unclosed,training,Ops,1,0.5,1,no\n'), registry)
    assert d.code == "BP403" and d.message.startswith("malformed CSV") and d.location.line == 3


def test_malformed_json_names_line_and_column(registry, write):
    d = one(write("bad.json", '[\n  {"id": "A1",\n   "cost": 10,,\n]'), registry)
    assert (d.code, d.location.line, d.location.column) == ("BP403", 3, 15)
    assert d.message.startswith("malformed JSON")


def test_malformed_toml_names_the_line(registry, write):
    d = one(write("bad.toml", '[[initiatives]]\nid = "A1"\ncost = = 5\n'), registry)
    assert (d.code, d.location.line) == ("BP403", 3) and d.message.startswith("malformed TOML")


def test_json_of_the_wrong_shape(registry, write):
    d = one(write("shape.json", '{"initiative": []}'), registry)
    assert d.code == "BP405" and d.hint == "did you mean 'initiatives'?"


# -- header ------------------------------------------------------------------------


def test_missing_required_columns(registry, write):
    d = one(write("m.csv", "id,title,kind\nA1,x,training\n"), registry)
    assert (d.code, d.location.line) == ("BP411", 1)
    assert d.message == "missing required column(s): department, cost"


def test_unknown_columns_get_did_you_mean(registry, write):
    diags = fail(write("u.csv", "id,titel,kind,department,cost,forcast.win-rate\nA1,x,training,Ops,1,2\n"), registry)
    assert [(d.code, d.location.field, d.hint) for d in diags[:2]] == [
        ("BP412", "titel", "did you mean 'title'?"),
        ("BP412", "forcast.win-rate", "did you mean 'forecast.win-rate'?")]
    assert diags[2].message == "missing required column(s): title"


def test_semicolon_separated_file_gets_a_hint(registry, write):
    d = one(write("semi.csv", "id;title;kind;department;cost\nA1;x;training;Ops;1\n"), registry)
    assert (d.code, d.location.line) == ("BP403", 1) and "';'-separated" in d.message


def test_unknown_json_field_gets_did_you_mean(registry, write):
    d = one(write("u.json", '[{"id": "A1", "title": "x", "kind": "training", "department": "Ops", '
                            '"cost": 1, "probabilty": 0.5}]'), registry)
    assert (d.location.key, d.location.field, d.hint) == ("record 1", "probabilty", "did you mean 'probability'?")


# -- values ------------------------------------------------------------------------


@pytest.mark.parametrize("cost,code,text", [
    ("-14000", "BP414", "must be >= 0, got -14000"),
    ("abc", "BP420", '"abc" is not a number'),
    ('"25,000.00"', "BP420", '"25,000.00" has a thousands separator'),
    ("NaN", "BP420", '"NaN" is not a finite number'),
    ("inf", "BP420", '"inf" is not a finite number'),
    ("1e400", "BP420", "1E+400 is out of range"),
    ("$500", "BP420", '"$500" has a currency symbol'),
])
def test_bad_costs(registry, write, cost, code, text):
    d = one(write("c.csv", HEADER + GOOD + f"A2,x,training,Ops,{cost},0.5,1,no\n"), registry)
    assert where(d) == (3, "cost", code) and d.message.startswith(text)


def test_thousands_separator_hint_says_what_to_write(registry, write):
    d = one(write("c.csv", HEADER + 'A2,x,training,Ops,"25,000.00",0.5,1,no\n'), registry)
    assert d.hint.startswith("write 25000.00")


def test_json_nan_and_huge_numbers(registry, write):
    diags = fail(write("n.json", '[{"id": "A1", "title": "x", "kind": "training", "department": "Ops", '
                                 '"cost": NaN}, {"id": "A2", "title": "x", "kind": "training", '
                                 '"department": "Ops", "cost": 1e400}]'), registry)
    assert [(d.location.key, d.location.field, d.code) for d in diags] == [
        ("record 1", "cost", "BP420"), ("record 2", "cost", "BP420")]


def test_probability_over_one_and_wrong_types(registry, write):
    diags = fail(write("p.csv", HEADER + "A1,x,training,Ops,1,1.2,many,maybe\n"), registry)
    assert sorted(where(d) for d in diags) == [(2, "headcount", "BP420"), (2, "pilot", "BP413"),
                                               (2, "probability", "BP414")]
    prob = next(d for d in diags if d.location.field == "probability")
    assert prob.message == "must be <= 1, got 1.2"


def test_wrong_json_types(registry, write):
    diags = fail(write("t.json", '[{"id": 7, "title": "x", "kind": "training", "department": "Ops", '
                                 '"cost": 1, "priorities": 5, "headcount": 1.5, "ratings": {"fit": 9}}]'), registry)
    got = {d.location.field: (d.code, d.message) for d in diags}
    assert got == {"id": ("BP413", "expected text, got number 7"),
                   "priorities": ("BP413", "expected a list, got number 5"),
                   "headcount": ("BP413", "expected a whole number, got number 1.5"),
                   "ratings.fit": ("BP414", "must be <= 5, got 9")}


def test_unknown_kind_did_you_mean(registry, write):
    d = one(write("k.csv", HEADER + "A1,x,trainig,Ops,1,0.5,1,no\n"), registry)
    assert where(d) == (2, "kind", "BP416") and d.hint.startswith("did you mean 'training'?")


def test_unknown_evaluation_method_and_bad_period(registry, write):
    d = fail(write("e.csv", "id,title,kind,department,cost,evaluation_plan,start\n"
                            "A1,x,training,Ops,1,kpi_tracking;pre_post_asessment,2026-Q5\n"), registry)
    got = {x.location.field: x for x in d}
    assert got["evaluation_plan"].code == "BP416" and "did you mean 'pre_post_assessment'?" in got["evaluation_plan"].hint
    assert got["start"].code == "BP415" and "2026-Q5" in got["start"].message


def test_missing_required_value_in_a_row(registry, write):
    d = one(write("r.csv", HEADER + "A1,,training,Ops,1,0.5,1,no\n"), registry)
    assert where(d) == (2, "title", "BP411") and d.message == "missing required field 'title'"


def test_wrong_cell_count(registry, write):
    d = one(write("w.csv", HEADER + GOOD + "A2,x,training,Ops,1,0.5\n"), registry)
    assert where(d) == (3, None, "BP421") and d.message == "row has 6 cells but the header has 8"


def test_duplicate_ids_name_both_rows(registry, write):
    d = one(write("d.csv", HEADER + GOOD + GOOD.replace("A1", "A2") + GOOD), registry)
    assert where(d) == (4, "id", "BP410") and d.message == "duplicate initiative id 'A1' (also at row 2)"


def test_declared_attribute_types_are_checked(registry, write):
    path = write("a.csv", HEADER.strip() + ",attr.team_size\n" + GOOD.strip() + ",twelve\n")
    diags = fail(path, registry, attribute_types={"team_size": "number"})
    assert [where(d) for d in diags] == [(2, "attr.team_size", "BP420")]


# -- all at once, or skipped -------------------------------------------------------


def test_every_row_problem_is_reported_at_once(registry, write):
    rows = "".join(f"B{n},x,training,Ops,-1,0.5,1,no\n" for n in range(3))
    diags = fail(write("all.csv", HEADER + GOOD + rows), registry)
    assert [where(d) for d in diags] == [(3, "cost", "BP414"), (4, "cost", "BP414"), (5, "cost", "BP414")]


def test_many_problems_are_capped(registry, write):
    rows = "".join(f"B{n},x,training,Ops,-1,0.5,1,no\n" for n in range(MAX_REPORTED + 7))
    diags = fail(write("many.csv", HEADER + rows), registry)
    assert len(diags) == MAX_REPORTED + 1
    assert diags[-1].message == "and 7 more problems"


def test_skip_invalid_returns_valid_rows_and_reports_the_rest(registry, write):
    path = write("s.csv", HEADER + GOOD + "A2,x,training,Ops,-5,0.5,1,no\n" + GOOD.replace("A1", "A3") + GOOD)
    result = load_initiatives(path, registry, skip_invalid=True)
    assert [i.id for i in result.items] == ["A1", "A3"]
    assert [where(d) for d in result.skipped] == [(3, "cost", "BP414"), (5, "id", "BP410")]
    assert all(d.location.file == path for d in result.skipped)
    clean = load_initiatives(write("ok.csv", HEADER + GOOD), registry, skip_invalid=True)
    assert clean.skipped == ()


def test_header_problems_are_not_skippable(registry, write):
    with pytest.raises(DataError, match="unknown column 'bogus'"):
        load_initiatives(write("h.csv", HEADER.strip() + ",bogus\n" + GOOD.strip() + ",1\n"), registry,
                         skip_invalid=True)


# -- sources -----------------------------------------------------------------------


def test_unknown_source_lists_the_available_ones(registry, write):
    d = one("lms:export.json", registry)
    assert d.code == "BP406" and d.message == "unknown data source 'lms'"
    assert d.hint == "available: csv, json, sqlite, toml"
    assert one("jsn:x.json", registry).hint.startswith("did you mean 'json'?")


def test_unknown_suffix(registry, write):
    d = one(write("data.xlsx", "x"), registry)
    assert d.code == "BP406" and "'.xlsx'" in d.message and ".csv" in d.hint


def test_forced_source_ignores_the_suffix(registry, write):
    path = write("data.txt", HEADER + GOOD)
    assert [i.id for i in load_initiatives(f"csv:{path}", registry).items] == ["A1"]


def test_sqlite_refuses_unsafe_table_names(registry, tmp_path):
    db = tmp_path / "d.db"
    sqlite3.connect(db).close()
    d = one(f"{db}?table=x;DROP TABLE y", registry)
    assert d.code == "BP407" and "is not a table name" in d.message


def test_sqlite_missing_table_lists_tables(registry, tmp_path):
    db = tmp_path / "d.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE initiative (id TEXT)")
    conn.close()
    d = one(str(db), registry)
    assert d.message == "no table 'initiatives'" and d.hint.startswith("did you mean 'initiative'?")


def test_sqlite_not_a_database(registry, write):
    d = one(write("fake.db", "this is not sqlite"), registry)
    assert d.code == "BP403" and "not a database" in d.message


# -- outcomes ----------------------------------------------------------------------

OUT = "initiative_id,period,completion_rate,kpi.p\n"


def test_duplicate_outcomes_name_both_rows(registry, write):
    with pytest.raises(DataError) as info:
        load_outcomes(write("o.csv", OUT + "A1,2026-Q1,0.5,1\nA1,2026-Q2,0.5,1\nA1,2026-Q1,0.6,1\n"), registry)
    (d,) = info.value.diagnostics
    assert where(d) == (4, "period", "BP418") and "(also at row 2)" in d.message


def test_outcomes_for_unknown_initiatives(registry, write):
    with pytest.raises(DataError) as info:
        load_outcomes(write("o.csv", OUT + "A1,2026-Q1,0.5,1\nA7,2026-Q1,0.5,1\n"), registry,
                      initiative_ids=["A1", "A2"])
    (d,) = info.value.diagnostics
    assert where(d) == (3, "initiative_id", "BP419") and d.message == "outcome for unknown initiative 'A7'"


def test_bad_outcome_values(registry, write):
    with pytest.raises(DataError) as info:
        load_outcomes(write("o.csv", OUT + "A1,2026-Q5,1.5,x\n"), registry)
    assert sorted(where(d) for d in info.value.diagnostics) == [
        (2, "completion_rate", "BP414"), (2, "kpi.p", "BP420"), (2, "period", "BP415")]


def test_toml_records_are_located_at_their_header_line(registry, write):
    text = '[[initiatives]]\nid = "A"\ntitle = "t"\nkind = "training"\ndepartment = "D"\ncost = 1\n\n' \
           '[[initiatives]]\nid = "B"\ntitle = "t"\nkind = "training"\ndepartment = "D"\ncost = nan\nheadcount = 0\n'
    diags = fail(write("b.toml", text), registry)
    assert [(d.location.line, d.location.key, d.location.field, d.code) for d in diags] == [
        (8, "record 2", "cost", "BP420"), (8, "record 2", "headcount", "BP414")]


def test_bad_map_keys_name_the_column(registry, write):
    d = one(write("k.csv", "id,title,kind,department,cost,rating.Fit\nA1,x,training,Ops,1,3\n"), registry)
    assert where(d) == (2, "rating.Fit", "BP415") and d.message == "'Fit' is not a valid key for ratings"
