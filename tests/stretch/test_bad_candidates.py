"""Bad candidates and a bad [stretch]: one located line each (file, row, column, fix), exit 2, nothing recorded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.cli import main

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "stretch" / "acme-2026-stretch.toml"
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
HEADER = ("person,assignment,department,mentor,rating.learning_agility,rating.collaboration,rating.risk_tolerance,"
          "rating.impact,rating.likelihood,rating.support,time_commitment,status,group.location")
GOOD = "Ava Chen,INI-006,Sales,Dana Whitfield,5,4,4,5,4,4,0.3,,Berlin"


def _select(tmp_path, capsys, rows, header=HEADER, policy=POLICY):
    candidates = tmp_path / "c.csv"
    candidates.write_text("\n".join([header, GOOD, *rows]) + "\n", encoding="utf-8")
    ledger = tmp_path / "l.db"
    with Ledger(ledger) as opened:  # an existing ledger: its head must not move
        before = opened.head()
    code = main(["stretch", "select", "-P", str(policy), "-i", INITIATIVES, "-c", str(candidates),
                 "--ledger", str(ledger)])
    _, err = capsys.readouterr()
    with Ledger(ledger, create=False, readonly=True) as opened:
        assert opened.head() == before
    assert code == 2 and "Traceback" not in err
    return err.strip().splitlines(), str(candidates)


@pytest.mark.parametrize("row, code, column, words", [
    ("Ben Okafor,INI-999,Sales,Dana Whitfield,4,4,3,4,4,3,0.3,,Austin", "BP442", "assignment", "no initiative 'INI-999'"),
    ("Ben Okafor,INI-008,Sales,Dana Whitfield,4,4,3,4,4,3,0.3,,Austin", "BP443", "assignment", "of kind mentoring"),
    ("Ben Okafor,INI-006,Sales,Dana Whitfeld,4,4,3,4,4,3,0.3,,Austin", "BP444", "mentor", "did you mean 'Dana Whitfield'"),
    ("Ben Okafor,INI-006,Sales,Dana Whitfield,4,7,3,4,4,3,0.3,,Austin", "BP445", "rating.collaboration", "outside 0..5"),
    ("Ben Okafor,INI-006,Sales,Dana Whitfield,4,-1,3,4,4,3,0.3,,Austin", "BP414", "rating.collaboration", ">= 0"),
    ("Ben Okafor,INI-006,Sales,Dana Whitfield,4,,3,4,4,3,0.3,,Austin", "BP445", "rating.collaboration", "no collaboration rating"),
    ("Ben Okafor,INI-006,Sales,Dana Whitfield,4,4,3,4,4,3,1.5,,Austin", "BP414", "time_commitment", "<= 1"),
    ("Ben Okafor,INI-006,Sales,Dana Whitfield,4,4,3,4,4,3,lots,,Austin", "BP413", "time_commitment", "expected a number"),
    ("Ben Okafor,INI-006,Sales,Dana Whitfield,4,4,3,4,4,3,0.3,maybe,Austin", "BP416", "status", "maybe"),
    ("Ava Chen,INI-006,Sales,Dana Whitfield,5,4,4,5,4,4,0.3,,Berlin", "BP447", "person", "given twice"),
])
def test_one_located_line_per_bad_row(tmp_path, capsys, row, code, column, words):
    lines, path = _select(tmp_path, capsys, [row])
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: row 3: field '{column}': {code} error:"), lines[0]
    assert words in lines[0]
    assert "(" in lines[0] or code == "BP413"  # the fix (a wrong type's message says what is expected)


def test_a_mentor_already_over_capacity(tmp_path, capsys):
    ongoing = ["Lena Novak,INI-025,Sales,Priya Raman,,,,,,,0.2,ongoing,Berlin",
               "Omar Haddad,INI-031,Product,Priya Raman,,,,,,,0.2,ongoing,Austin"]
    lines, path = _select(tmp_path, capsys, ongoing)
    assert lines == [f"{path}: row 4: field 'mentor': BP446 error: mentor 'Priya Raman' already has 2 ongoing "
                     f"mentees, over their capacity of 1 (correct the ongoing rows, or raise their capacity in "
                     f"[[stretch.mentors]])"]


def test_unknown_and_undeclared_columns(tmp_path, capsys):
    lines, path = _select(tmp_path, capsys, [], header=HEADER.replace("rating.impact", "rating.impakt")
                          .replace("group.location", "group.gender"))
    assert len(lines) == 2
    assert "field 'rating.impakt': BP441" in lines[0] and "did you mean 'rating.impact'" in lines[0]
    assert "field 'group.gender': BP441" in lines[1] and 'groups = ["gender"]' in lines[1]


def test_json_candidates_are_located_by_record(tmp_path, capsys):
    candidates = tmp_path / "c.json"
    candidates.write_text('{"candidates": [{"person": "A", "assignment": "INI-006", "department": "Sales", '
                          '"mentor": "Dana Whitfield", "time_commitment": 0.3, "ratings": {"learning_agility": 9, '
                          '"collaboration": 1, "risk_tolerance": 1, "impact": 1, "likelihood": 1, "support": 1}}]}')
    code = main(["stretch", "select", "-P", str(POLICY), "-i", INITIATIVES, "-c", str(candidates)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == (f"{candidates}: record 1: field 'rating.learning_agility': BP445 error: rating 9 is outside "
                           f"0..5 (ratings run from 0 to the policy's [stretch] scale (5))")


def test_missing_file_and_unknown_suffix(tmp_path, capsys):
    for target, words in ((tmp_path / "nope.csv", "BP440 error: candidates file not found"),
                          (tmp_path / "c.xlsx", "BP440 error: cannot read candidates from a '.xlsx' file")):
        code = main(["stretch", "select", "-P", str(POLICY), "-i", INITIATIVES, "-c", str(target)])
        _, err = capsys.readouterr()
        assert code == 2 and words in err


@pytest.mark.parametrize("edit, code, key", [
    ("[[stretch.mentors]]\nname = \"Jonas Berg\"\ncapacity = 3\n", "BP251", "stretch.mentors[5].name"),
    ("[[stretch.assignments]]\nid = \"INI-006\"\nseats = 1\n", "BP252", "stretch.assignments[1].id"),
])
def test_policy_duplicates_are_located(tmp_path, capsys, edit, code, key):
    policy = tmp_path / "p.toml"
    policy.write_text(POLICY.read_text(encoding="utf-8") + "\n" + edit, encoding="utf-8")
    assert main(["validate", str(policy)]) == 1
    out, err = capsys.readouterr()
    assert f"{key}: {code} error" in out + err


def test_policy_with_all_weights_zero(tmp_path, capsys):
    text = re.sub(r"(?m)^(learning_agility|collaboration|risk_tolerance|impact|likelihood|support) = .*$",
                  r"\1 = 0", POLICY.read_text(encoding="utf-8"))
    policy = tmp_path / "p.toml"
    policy.write_text(text, encoding="utf-8")
    assert main(["validate", str(policy)]) == 1
    out, err = capsys.readouterr()
    assert "stretch.weights: BP250 error: every candidate rubric weight is 0" in out + err
