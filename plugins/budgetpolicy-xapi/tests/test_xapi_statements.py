"""Statement-level rules and bad input: formats, retakes, time zones, and errors with row and field."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from budgetpolicy.errors import DataError
from budgetpolicy_xapi import ASSESSMENT_EXT, INITIATIVE_EXT, xapi_source

V = "http://adlnet.gov/expapi/verbs/"


def stmt(who, verb, ts, ini="INI-7", phase=None, score=None, **extra):
    ext = {INITIATIVE_EXT: ini} if ini is not None else {}
    if phase:
        ext[ASSESSMENT_EXT] = phase
    s = {"actor": {"mbox": f"mailto:{who}@x.example"}, "verb": {"id": V + verb},
         "object": {"id": "https://lms.x.example/c"}, "context": {"extensions": ext}, "timestamp": ts}
    if score is not None:
        s["result"] = {"score": score}
    s.update(extra)
    return s


def run(tmp_path, statements, text=None):
    path = tmp_path / "export.json"
    path.write_text(text if text is not None else json.dumps(statements))
    return [r for _, r in xapi_source(str(path), "outcomes")]


def test_plain_array_and_json_lines_give_the_same_records(tmp_path):
    statements = [stmt("a", "registered", "2026-07-01T00:00:00Z"), stmt("a", "completed", "2026-07-02T00:00:00Z"),
                  stmt("b", "launched", "2026-07-03T00:00:00+02:00")]
    expected = [{"initiative_id": "INI-7", "period": "2026-Q3", "completion_rate": D("0.5000"), "participants": 2}]
    assert run(tmp_path, statements) == expected
    assert run(tmp_path, None, "\n".join(json.dumps(s) for s in statements) + "\n") == expected


def test_latest_attempt_wins_whatever_the_file_order(tmp_path):
    later = stmt("a", "scored", "2026-02-10T00:00:00Z", phase="post", score={"scaled": 0.9})
    earlier = stmt("a", "scored", "2026-02-01T00:00:00Z", phase="post", score={"scaled": 0.5})
    other = stmt("b", "scored", "2026-02-01T00:00:00Z", phase="post", score={"raw": 7, "min": 5, "max": 9})
    (record,) = run(tmp_path, [later, earlier, other])
    assert record["post_assessment"] == D("70.00")  # (90 + (7-5)/(9-5)*100) / 2
    assert "pre_assessment" not in record


def test_mbox_case_and_missing_timestamp_fall_back_to_stored(tmp_path):
    a = stmt("a", "registered", "2026-01-01T00:00:00Z")
    a_upper = stmt("A", "completed", None, stored="2026-03-31T23:59:59Z")
    del a_upper["timestamp"]
    assert run(tmp_path, [a, a_upper])[0]["completion_rate"] == D("1.0000")


def test_every_bad_statement_is_reported_at_once_with_row_and_field(tmp_path):
    statements = [
        stmt("a", "registered", "2026-01-01T00:00:00Z"),                             # 1 fine
        {"actor": {"name": "nobody"}, "verb": {"id": V + "completed"}, "object": {},
         "context": {"extensions": {INITIATIVE_EXT: "INI-7"}}, "timestamp": "2026-01-02T00:00:00Z"},  # 2
        stmt("b", "completed", "2026-01-02 noon"),                                   # 3
        stmt("c", "scored", "2026-01-02T00:00:00Z", phase="mid", score={"scaled": 0.5}),  # 4
        stmt("d", "scored", "2026-01-02T00:00:00Z", phase="pre", score={"scaled": 1.5}),  # 5
        stmt("e", "scored", "2026-01-02T00:00:00Z", phase="pre", score={"scaled": -0.5}),  # 6 negative
        stmt("f", "completed", "2026-01-02T00:00:00"),                              # 7 no zone
        "not a statement",                                                           # 8
        stmt("g", "completed", "2026-01-02T00:00:00Z", ini=42),                      # 9
        stmt("h", "completed", "2026-01-02T00:00:00Z", ini=None),                    # 10 unmapped: fine
    ]
    with pytest.raises(DataError) as info:
        run(tmp_path, statements)
    got = [(d.code, d.location.row, d.location.field) for d in info.value.diagnostics]
    assert got == [
        ("BP490", 2, "actor"), ("BP490", 3, "timestamp"), ("BP490", 4, f"context.extensions.{ASSESSMENT_EXT}"),
        ("BP490", 5, "result.score"), ("BP490", 6, "result.score"), ("BP490", 7, "timestamp"),
        ("BP490", 8, "statement"), ("BP490", 9, f"context.extensions.{INITIATIVE_EXT}"),
    ]
    assert all(d.location.file.endswith("export.json") for d in info.value.diagnostics)
    assert "outside -1..1" in info.value.diagnostics[3].message
    assert "no time zone" in info.value.diagnostics[5].message
    assert "-0.5 is negative" in info.value.diagnostics[4].message


def test_initiatives_are_not_an_xapi_kind(tmp_path):
    path = tmp_path / "e.json"
    path.write_text("[]")
    with pytest.raises(DataError, match="reads outcomes, not initiatives") as info:
        xapi_source(str(path), "initiatives")
    assert info.value.diagnostics[0].code == "BP491"


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(DataError, match="cannot read xAPI export") as info:
        xapi_source(str(tmp_path / "missing.json"), "outcomes")
    assert info.value.diagnostics[0].location.file.endswith("missing.json")
    with pytest.raises(DataError, match="not valid JSON") as info:
        run(tmp_path, None, '{"statements": [\n  {"actor": }\n]}')
    assert info.value.diagnostics[0].location.line == 2
    with pytest.raises(DataError, match="must be a list of statements"):
        run(tmp_path, None, '{"more": ""}')


def test_numbers_stay_decimal_and_rates_round_half_even(tmp_path):
    statements = [stmt(w, "registered", "2026-01-01T00:00:00Z") for w in "abcdef"]
    statements += [stmt("a", "completed", "2026-01-02T00:00:00Z")]
    statements += [stmt(w, "scored", "2026-01-01T00:00:00Z", phase="pre", score={"scaled": s})
                   for w, s in zip("abc", (0.1, 0.2, 0.2))]
    (record,) = run(tmp_path, statements)
    assert record["completion_rate"] == D("0.1667")
    assert record["pre_assessment"] == D("16.67")  # 50/3, exact decimal arithmetic, not float noise
    assert all(isinstance(v, D) for k, v in record.items() if k not in ("initiative_id", "period", "participants"))
    assert record["participants"] == 6  # a count of people, a whole number


@pytest.mark.parametrize("text, line, column", [
    ('[{"actor": {"mbox": "mailto:a@x"},\n  "verb": {"id": "v", "id": "w"}}]', 2, 11),          # a JSON array
    ('{"actor": {"mbox": "mailto:a@x"}}\n{"verb": {"id": "v"}, "verb": {"id": "w"}}\n', 2, 1),  # JSON Lines
])
def test_a_key_given_twice_is_refused_not_silently_the_last(tmp_path, text, line, column):
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        list(xapi_source(str(path), "outcomes"))
    key = "id" if line == 2 and column == 11 else "verb"
    assert str(err.value) == (f"{path}:{line}:{column}: BP491 error: not valid xAPI JSON: key '{key}' is given "
                              f"twice in one object (keep one '{key}' (a JSON reader would silently take the last))")
