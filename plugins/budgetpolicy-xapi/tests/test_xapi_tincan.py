"""Statements made by Rustici's tincan library, mapped by activity id, checked against a plain count.

The cohort (xapi_cohort.py) has every verb and edge case of the issue; the expected numbers come from
``xapi_cohort.count``, plain Python over the same statements, never from the plugin.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from decimal import Decimal as D
from pathlib import Path

import pytest
from tincan import Activity, Agent, Result, Score, Statement, Verb
from xapi_cohort import ADL, MAPPING, SALES, UNKNOWN_VERB, as_json, cohort, count

from budgetpolicy import cli
from budgetpolicy.errors import DataError
from budgetpolicy.plugins import PINNED_ENV
from budgetpolicy_xapi import xapi_source

ROOT = Path(__file__).resolve().parents[3]
POLICY, INITIATIVES = ROOT / "policies" / "acme-2026.toml", ROOT / "policies" / "acme-2026.initiatives.csv"


@pytest.fixture()
def export(tmp_path, monkeypatch):
    # The core suite pins third-party plugins out (BUDGETPOLICY_PLUGINS=""); xapi-report is this plugin's.
    monkeypatch.setenv(PINNED_ENV, "xapi")
    statements = cohort()
    (tmp_path / "export.json").write_text(as_json(statements))
    (tmp_path / "map.toml").write_text(MAPPING)
    return tmp_path, json.loads(as_json(statements), parse_float=D)


def spec(tmp_path, extra=""):
    return f"xapi:{tmp_path / 'export.json'}?mapping={tmp_path / 'map.toml'}{extra}"


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["-p", "xapi", *argv])
    return code, out.getvalue(), err.getvalue()


def test_outcome_records_equal_the_plain_count(export):
    tmp_path, docs = export
    expected = count(docs)
    got = {(r["initiative_id"], r["period"]): r for _, r in xapi_source(spec(tmp_path)[5:], "outcomes")}
    assert got == expected["records"]
    # The cohort has both quarters, both initiatives, failures, voids, unknown verbs and raw-only scores.
    assert set(got) == {("INI-001", "2026-Q1"), ("INI-001", "2026-Q2"), ("INI-010", "2026-Q1"), ("INI-010", "2026-Q2")}
    assert all(expected[k] for k in ("voided", "unknown", "unmapped", "raw_only"))


def test_failed_is_never_a_completion_though_tincan_says_completion_true(tmp_path):
    who = Agent(mbox="mailto:f@example.org")
    failed = Statement(actor=who, verb=Verb(id=ADL + "failed"), object=Activity(id=SALES + "/post-test"),
                       result=Result(score=Score(scaled=0.2), success=False, completion=True),
                       timestamp="2026-02-01T10:00:00Z")
    assert json.loads(failed.to_json())["result"]["completion"] is True
    (tmp_path / "export.json").write_text(as_json([failed]))
    (tmp_path / "map.toml").write_text(MAPPING)
    (record,) = [r for _, r in xapi_source(spec(tmp_path)[5:], "outcomes")]
    assert record == {"initiative_id": "INI-001", "period": "2026-Q1", "completion_rate": D("0.0000"),
                      "post_assessment": D("20.00"), "pass_rate": D("0.0000"), "participants": 1}


def test_per_course_totals_pass_rate_and_mean_scaled_score(export):
    tmp_path, docs = export
    code, out, err = run_cli("xapi-report", spec(tmp_path), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    got = {(c["initiative_id"], c["course"], c["period"]):
           {k: (D(v) if isinstance(v, str) and k not in ("initiative_id", "course", "period") else v)
            for k, v in c.items() if k not in ("initiative_id", "course", "period")}
           for c in report["courses"]}
    assert got == count(docs)["courses"]
    assert any(c["pass_rate"] not in (None, D("1.0000")) for c in got.values())   # fails are in the rate
    assert report["unknown_verbs"] == {UNKNOWN_VERB: count(docs)["unknown"]}
    code, table, _ = run_cli("xapi-report", spec(tmp_path))
    # Tables wrap to the width (100 off a terminal): a two-word header may take two lines.
    # A long course id folds inside its column: read the COURSE column top to bottom.
    lines = table.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("-"))
    start = lines[rule - 1].index("COURSE") if "COURSE" in lines[rule - 1] else lines[rule - 2].index("COURSE")
    stop = lines[rule].index(" ", start)
    course = "".join(line[start:stop].strip() for line in lines[rule + 1:])
    words = table.split()
    assert code == 0 and all(w in words for w in ("PASS", "RATE", "MEAN", "SCALED")) and SALES + "*" in course


def test_review_reads_the_mapped_export_and_says_what_it_did_not_count(export):
    tmp_path, docs = export
    expected = count(docs)
    env = {k: v for k, v in os.environ.items() if k != PINNED_ENV}
    done = subprocess.run([sys.executable, "-m", "budgetpolicy", "review", "--policy", str(POLICY), "--initiatives",
                           str(INITIATIVES), "--outcomes", spec(tmp_path), "--period", "2026-Q2", "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["period"] == "2026-Q2"
    summary = (f"{len(docs)} statements -> 4 outcome records ({len(expected['courses'])} course-quarters); not counted: "
               f"{expected['voided']} voided, {expected['unmapped']} on unmapped activities, "
               f"{len(expected['unknown'])} with unknown verbs, 0 skipped")
    assert summary in done.stderr
    assert f"{len(expected['unknown'])} statement(s) with unknown verb {UNKNOWN_VERB} not counted" in done.stderr
    # Each raw-only score is named with its statement id: counted for its verb, score not used.
    for sid in expected["raw_only"]:
        assert f"statement {sid}: score.raw" in done.stderr
    assert done.stderr.count("BP494 warning") == len(expected["raw_only"]) + 2  # + unknown verb + unmapped lines
    assert "Traceback" not in done.stderr


def bad_statements():
    who = Agent(mbox="mailto:bad@example.org")
    negative = Statement(id="00000000-0000-4000-8000-000000000001", actor=who, verb=Verb(id=ADL + "scored"),
                         object=Activity(id=SALES + "/post-test"), result=Result(score=Score(scaled=-0.5)),
                         timestamp="2026-02-01T10:00:00Z")
    no_zone = Statement(id="00000000-0000-4000-8000-000000000002", actor=who, verb=Verb(id=ADL + "completed"),
                        object=Activity(id=SALES), timestamp="2026-02-01T10:00:00Z")
    docs = [json.loads(negative.to_json()), json.loads(no_zone.to_json())]
    docs[1]["timestamp"] = "2026-02-01T10:00:00"  # what a careless exporter writes: no time zone
    return docs


def test_unreadable_statements_fail_the_file_on_their_rows_or_are_skipped_and_named(export):
    tmp_path, docs = export
    good = len(docs)
    bad = bad_statements()
    (tmp_path / "export.json").write_text(json.dumps([*json.loads((tmp_path / "export.json").read_text()), *bad]))
    with pytest.raises(DataError) as info:
        list(xapi_source(spec(tmp_path)[5:], "outcomes"))
    got = [(d.location.row, d.location.field, d.message.split(":")[0]) for d in info.value.diagnostics]
    assert got == [(good + 1, "result.score", f"statement {bad[0]['id']}"),
                   (good + 2, "timestamp", f"statement {bad[1]['id']}")]
    assert "-0.5 is negative" in info.value.diagnostics[0].message
    assert "skip-invalid=1" in info.value.diagnostics[-1].hint

    code, out, err = run_cli("xapi-report", spec(tmp_path, "&skip-invalid=1"), "--format", "json")
    assert code == 0
    skipped = [line for line in err.splitlines() if "BP490 warning: skipped statement" in line]
    assert len(skipped) == 2
    assert f"row {good + 1}: field 'result.score'" in skipped[0] and bad[0]["id"] in skipped[0]
    assert f"row {good + 2}: field 'timestamp'" in skipped[1] and "no time zone" in skipped[1]
    # Skipping leaves exactly the good statements' numbers.
    records = {(r["initiative_id"], r["period"]): r
               for _, r in xapi_source(spec(tmp_path, "&skip-invalid=1")[5:], "outcomes")}
    assert records == count(docs)["records"]
    assert [d["location"]["row"] for d in json.loads(out)["skipped"]] == [good + 1, good + 2]


def test_a_mapping_to_an_unknown_initiative_is_one_located_line_and_nothing_recorded(export):
    tmp_path, _ = export
    (tmp_path / "map.toml").write_text(MAPPING.replace('= "INI-010"', '= "INI-0100"', 1))
    ledger = tmp_path / "ledger.db"
    code, out, err = run_cli("review", "--policy", str(POLICY), "--initiatives", str(INITIATIVES),
                             "--outcomes", spec(tmp_path), "--period", "2026-Q2", "--ledger", str(ledger))
    assert code == 2 and out == ""
    errors = [line for line in err.splitlines() if " error: " in line]
    line = MAPPING.splitlines().index(next(l for l in MAPPING.splitlines() if "INI-010" in l)) + 1
    assert errors == [f"{tmp_path / 'map.toml'}:{line}: activities.\"https://lms.example.org/programmes/buddy/*\": "
                      "field 'initiative_id': BP419 error: outcome for unknown initiative 'INI-0100' "
                      "(did you mean 'INI-010'?)"]
    assert not ledger.exists()


def test_no_mapping_is_a_clear_error_not_a_silent_nothing(export):
    tmp_path, docs = export
    code, out, err = run_cli("xapi-report", f"xapi:{tmp_path / 'export.json'}")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert f"BP493 error: none of the {len(docs)} statements is about a mapped activity" in err
    assert "[activities]" in err


@pytest.mark.parametrize("text, key, message", [
    ('[activities]\n"https://x/*" = "INI-001"\n[assessments]\n"https://x/pre" = "middle"\n',
     'assessments."https://x/pre"', "'middle' is not one of pre, post"),
    ('[activities]\n"*" = "INI-001"\n', 'activities."*"', "an empty id or a bare '*' would map every activity"),
    ('[activites]\n"https://x" = "INI-001"\n', "activites", "unknown table 'activites'"),
    ('[activities]\n"https://x" = 7\n', 'activities."https://x"', "the value must be a non-empty string, got 7"),
])
def test_bad_mappings_are_located(export, text, key, message):
    tmp_path, _ = export
    (tmp_path / "map.toml").write_text(text)
    code, _, err = run_cli("xapi-report", spec(tmp_path))
    assert code == 2
    assert f"{key}: BP492 error: {message}" in err and str(tmp_path / "map.toml") in err
    assert err.count("\n") == 1
