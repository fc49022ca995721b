"""`budgetpolicy approve`, `refuse` and `ledger positions` in a subprocess: output, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest
from year_helpers import AT, INITIATIVES, POLICY, cli, one_line_error, sha256

import budgetpolicy as bp
from budgetpolicy.year.render import positions_json

WHEN = ("--at", "2026-01-20T10:00:00+00:00")


def test_evaluate_then_approve_then_positions(tmp_path):
    ledger = str(tmp_path / "audit.db")
    planned = cli("evaluate", "-P", POLICY, "-i", INITIATIVES, "--evaluated-at", "2026-01-15T09:00:00+00:00",
                  "--ledger", ledger, "-f", "csv")
    assert planned.returncode == 0, planned.stderr
    first = cli("approve", ledger, "INI-009", "--role", "vp", "--by", "e1042", "--note", "sales plan", *WHEN)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ("INI-009: vp signed by e1042 (record 46, plan at record 2); awaiting finance: "
                            "USD 52,000 stays earmarked\n")
    last = cli("approve", ledger, "INI-009", "--role", "finance", "--by", "e2210", "--at", "2026-01-21T08:30:00Z")
    assert last.stdout == ("INI-009: finance signed by e2210 (record 47, plan at record 2); every required role "
                           "has signed: USD 52,000 allocated\n")
    refused = cli("refuse", ledger, "INI-001", "--role", "vp", "--by", "e1187", "--reason", "no sales hires", *WHEN)
    assert refused.stdout == ("INI-001: refused by e1187 for vp (record 48, plan at record 2); USD 48,000 "
                              "returned to the pool\n")
    table = cli("ledger", "positions", ledger)
    assert table.returncode == 0, table.stderr
    assert ("\npool USD 480,000: allocated 337,500, earmarked 94,000, returned 48,000, leftover 500\n"
            in table.stdout)
    # The sign-offs table: every initiative that requires a role, with who signed, who is awaited, who refused.
    signoffs = table.stdout.split("\nSign-offs and flags (", 1)[1].splitlines()
    assert signoffs[0] == "5 initiatives; the other 39 owe none)"
    assert signoffs[2].split() == ["ID", "STATE", "REQUIRED", "SIGNED", "AWAITING", "REFUSED", "BY", "FLAGS"]
    rows = {line.split()[0]: line.split() for line in signoffs[4:]}
    assert rows["INI-009"] == ["INI-009", "funded", "vp;finance", "vp;finance", "-", "-", "-"]
    assert rows["INI-001"] == ["INI-001", "refused", "vp", "-", "-", "vp", "-"]
    assert max(len(line) for line in table.stdout.splitlines()[1:]) <= 100  # fits a pipe's 100 columns
    assert cli("ledger", "verify", ledger).returncode == 0
    replay = cli("replay", "--ledger", ledger)  # sign-offs do not disturb the decisions' replay
    assert replay.returncode == 0 and "44 of 44 reproduced (100%)" in replay.stdout


def test_positions_as_json_and_csv_to_a_file(ledger, tmp_path):
    as_json = cli("ledger", "positions", str(ledger), "--format", "json")
    assert as_json.returncode == 0 and as_json.stdout == positions_json(bp.positions(ledger))
    assert json.loads(as_json.stdout)["pool"]["leftover"] == "500"
    out = tmp_path / "positions.csv"
    written = cli("ledger", "positions", str(ledger), "-f", "csv", "-o", str(out))
    assert written.returncode == 0 and written.stdout == ""
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("initiative_id,outcome,state,planned,")


def _signed(ledger):
    bp.approve(ledger, "INI-009", role="vp", by="e1042", at=AT)
    bp.refuse(ledger, "INI-001", role="vp", by="e1042", reason="no", at=AT)


@pytest.mark.parametrize("args, code, text", [
    (("approve", "{ledger}", "INI-09", "--role", "vp", "--by", "e1042"), "BP851",
     "no initiative 'INI-09' in the plan (did you mean 'INI-039'?)"),
    (("approve", "{ledger}", "INI-003", "--role", "vp", "--by", "e1042"), "BP852",
     "INI-003 is approved in the plan, not pending approval"),
    (("approve", "{ledger}", "INI-011", "--role", "finance", "--by", "e2210"), "BP853",
     "INI-011 does not require a 'finance' sign-off (it requires: vp)"),
    (("approve", "{ledger}", "INI-011", "--role", "vp", "--by", "e9999"), "BP854",
     "'e9999' does not hold role 'vp' in policy acme-people-dev 2026.1 (the holders of vp in [roles]: e1042, e1187)"),
    (("approve", "{ledger}", "INI-009", "--role", "vp", "--by", "e1187"), "BP855",
     "INI-009 already has the vp sign-off (record 46, by e1042 at 2026-01-20T10:00:00+00:00)"),
    (("refuse", "{ledger}", "INI-001", "--role", "vp", "--by", "e1187", "--reason", "r"), "BP856",
     "INI-001 was refused by vp (e1042) at record 47"),
    (("approve", "{ledger}", "INI-011", "--role", "vp", "--by", "e1042", "--at", "2026-01-01T00:00:00Z"), "BP857",
     "is before the plan was made (2026-01-15T09:00:00+00:00)"),
])
def test_refused_signoffs_are_one_line_and_write_nothing(ledger, args, code, text):
    _signed(ledger)
    before = sha256(ledger)
    argv = [a.format(ledger=ledger) for a in args]
    result = cli(*argv, *(() if "--at" in argv else WHEN))
    line = one_line_error(result, code)
    assert line.startswith(f"{ledger}: plan at record 2: {code} error: ") and text in line
    assert sha256(ledger) == before


@pytest.mark.parametrize("args, code, text", [
    (("approve", "{ledger}", "INI-011", "--role", "vp", "--by", "e1042", "--at", "soon"), "BP001",
     "--at: BP001 error: --at 'soon' is not an ISO 8601 timestamp"),
    (("approve", "{ledger}", "INI-011", "--role", "vp", "--by", ""), "BP001", "--by must not be empty"),
    (("refuse", "{ledger}", "INI-011", "--role", "vp", "--by", "e1042", "--reason", " "), "BP001",
     "a refusal needs a reason"),
    (("approve", "{missing}", "INI-011", "--role", "vp", "--by", "e1042"), "BP801", "does not exist"),
    (("approve", "{policy}", "INI-011", "--role", "vp", "--by", "e1042"), "BP802", "is not a readable ledger"),
    (("ledger", "positions", "{policy}"), "BP802", "is not a readable ledger"),
])
def test_bad_arguments_and_files_are_one_line(ledger, tmp_path, args, code, text):
    before = sha256(ledger)
    argv = [a.format(ledger=ledger, missing=tmp_path / "missing.db", policy=POLICY) for a in args]
    line = one_line_error(cli(*argv), code)
    assert text in line
    assert sha256(ledger) == before and not (tmp_path / "missing.db").exists()


def test_a_refusal_without_reason_is_a_usage_error(ledger):
    before = sha256(ledger)
    result = cli("refuse", str(ledger), "INI-011", "--role", "vp", "--by", "e1042")
    assert result.returncode == 2 and "the following arguments are required: --reason" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and sha256(ledger) == before


def test_positions_of_a_ledger_without_a_plan(tmp_path):
    from budgetpolicy.audit.ledger import Ledger

    path = tmp_path / "empty.db"
    Ledger(path).close()
    line = one_line_error(cli("ledger", "positions", str(path)), "BP850")
    assert "the ledger holds no funding plan" in line and "budgetpolicy evaluate" in line
