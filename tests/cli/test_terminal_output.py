"""Terminal output as a user meets it (issue 21, item 1): tables that fit the width and never cut a cell,
colour only on a terminal (a real pseudo-terminal) and never with NO_COLOR, and every --format parses."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from terminal_run import run_on_terminal

import budgetpolicy
from budgetpolicy.cli import main
from budgetpolicy.output import Screen, column_widths, table

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = str(ROOT / "policies" / "acme-2026.outcomes.csv")
AT = "2026-01-15T09:00:00+00:00"
PLAN = ("-P", POLICY, "-i", INITIATIVES, "--evaluated-at", AT)
REVIEW = ("-P", POLICY, "-i", INITIATIVES, "-O", OUTCOMES, "--period", "2026-Q3")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, "PYTHONPATH": path, **extra}


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=ROOT, env=_env(**env), timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def table_block(text: str) -> list[str]:
    """The first table of ``text``: its header line(s), rule and rows, up to the first blank line."""
    lines = text.splitlines()
    end = lines.index("") if "" in lines else len(lines)
    return lines[:end]


def cells(block: list[str]) -> list[list[str]]:
    """Each row's cells, read back by the columns the dashed rule marks, wrapped lines joined."""
    rule = next(i for i, line in enumerate(block) if line.startswith("-"))
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", block[rule])]
    rows: list[list[list[str]]] = []
    for line in block[rule + 1:]:
        parts = [line[a:b + 1].strip() for a, b in spans]
        if parts[0]:  # a new row starts where its first (id) column has text
            rows.append([[p] for p in parts])
        else:
            for cell, part in zip(rows[-1], parts):
                cell.append(part)
    return [[" ".join(p for p in cell if p) for cell in row] for row in rows]


def squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def evaluation_json() -> dict:
    return json.loads(cli("evaluate", *PLAN, "-f", "json").stdout)


@pytest.mark.parametrize("width", [80, 200])
def test_the_evaluate_table_fits_the_width_and_every_cell_is_there_in_full(width, evaluation_json):
    out = cli("evaluate", *PLAN, COLUMNS=str(width)).stdout
    block = table_block(out)
    assert max(len(line) for line in block) <= width
    rows = cells(block)
    by_id = {d["initiative_id"]: d for d in evaluation_json["decisions"]}
    assert [r[0] for r in rows] == list(by_id)
    for row in rows:
        d = by_id[row[0]]
        assert row[1] == d["outcome"].replace("_", " ")
        assert Decimal(row[2]) == Decimal(d["score"]) and len(row[2].split(".")[1]) == 6  # the policy's precision
        funding = d["funding"]
        if d["outcome"] == "rejected":
            want = "; ".join(f"{r['code']}: {r['message']}" for r in d["reasons"] if r["code"] not in d["flags"])
        else:
            want = funding["explanation"]
        # Wrapped at spaces, or folded inside a long word: the whole text is there, nothing cut.
        assert squeezed(row[7]) == squeezed(want)
        assert "…" not in row[7]
        if funding is not None:
            assert row[5] == f"{Decimal(funding['amount']):,}"
    if width == 200:  # headers on one line; a row whose reason fits the WHY column is one line
        assert block[0].split()[:8] == ["ID", "OUTCOME", "SCORE", "EV", "ASKED", "USD", "FUNDED", "USD"]
        why = len(block[1].split()[-1])
        assert len(block) == 2 + len(rows) + sum(1 for r in rows if len(r[7]) > why)
        assert why >= 100


def test_number_columns_have_one_format():
    out = cli("evaluate", *PLAN).stdout
    rows = cells(table_block(out))
    for col in (2, 3):  # score and EV: the policy's six places, right-aligned
        assert {len(r[col]) for r in rows} == {8}
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", r[4]) for r in rows)  # money: thousands separated
    assert "EV/cost" not in out and "per 1,000" in out
    assert "0.0000015" not in out


def test_pipes_and_no_color_have_no_ansi_codes():
    assert not ANSI.search(cli("evaluate", *PLAN).stdout)
    assert not ANSI.search(cli("review", *REVIEW, NO_COLOR="1").stdout)


def _pty_run(*args: str, **env: str) -> str:
    """Run the CLI with stdout on a pseudo-terminal (as in a shell) and return what it wrote."""
    code, written, errors = run_on_terminal([sys.executable, "-m", "budgetpolicy", *args], terminal="stdout",
                                            env=_env(**env), cwd=ROOT)
    assert code == 0, errors.decode("utf-8", "replace")
    return written.decode("utf-8").replace("\r\n", "\n")


def test_a_terminal_gets_colour_and_its_width_and_no_color_switches_colour_off():
    out = _pty_run("evaluate", *PLAN, COLUMNS="120")
    assert ANSI.search(out), "a terminal gets colour"
    plain = ANSI.sub("", out)
    assert max(len(line) for line in table_block(plain)) <= 120
    assert "\x1b[32mapproved" in out or "approved\x1b" in out or re.search(r"\x1b\[[0-9;]*mapproved", out)
    assert not ANSI.search(_pty_run("evaluate", *PLAN, COLUMNS="120", NO_COLOR="1"))
    # The same table off a terminal is the same text without the codes (same width).
    assert [line.rstrip() for line in table_block(plain)] == table_block(cli("evaluate", *PLAN, COLUMNS="120").stdout)


def test_output_files_are_fixed_width_whatever_the_terminal(tmp_path):
    cli("evaluate", *PLAN, "-o", str(tmp_path / "a.txt"), COLUMNS="100")
    text = (tmp_path / "a.txt").read_text()
    assert not ANSI.search(text)
    assert text == cli("evaluate", *PLAN).stdout  # the suite's COLUMNS is 100, like a file's default


def test_evaluate_formats_parse(evaluation_json):
    lines = cli("evaluate", *PLAN, "-f", "jsonl").stdout.splitlines()
    *records, summary = [json.loads(line) for line in lines]  # the last line sums up (docs/cli.md)
    assert summary["summary"]["decisions"] == len(records)
    assert [r["initiative_id"] for r in records] == [d["initiative_id"] for d in evaluation_json["decisions"]]
    assert records[0] == evaluation_json["decisions"][0]
    rows = list(csv.DictReader(io.StringIO(cli("evaluate", *PLAN, "-f", "csv").stdout)))
    assert list(rows[0])[:9] == ["id", "outcome", "score", "expected_value", "requested", "allocated", "approvers",
                                 "flags", "reasons"]
    ini019 = next(r for r in rows if r["id"] == "INI-019")
    assert (ini019["title"], ini019["department"], ini019["outcome"]) == (
        "Staff engineer leadership programme", "Engineering", "deferred")
    assert ini019["funding"].startswith("unfunded: department cap Engineering (200,000) binds")


def test_json_writes_decimals_without_trailing_zeros(evaluation_json):
    review = json.loads(cli("review", *REVIEW, "-f", "json").stdout)

    def decimals(data):
        if isinstance(data, dict):
            for v in data.values():
                yield from decimals(v)
        elif isinstance(data, list):
            for v in data:
                yield from decimals(v)
        elif isinstance(data, str) and re.fullmatch(r"-?\d+\.\d+", data):
            yield data

    found = list(decimals(review)) + list(decimals(evaluation_json))
    assert found and not [v for v in found if v.endswith("0")]
    history = [g["realised"] for q in review["history"] for g in q["calibrations"]]
    assert "55.8" in history  # was 55.80000000000000000000000000


def test_review_csv_and_jsonl():
    rows = list(csv.DictReader(io.StringIO(cli("review", *REVIEW, "-f", "csv").stdout)))
    assert {r["section"] for r in rows} >= {"calibration", "forecast", "realisation", "completion", "release",
                                            "reallocation"}
    assert all(r["period"] == "2026-Q3" for r in rows)
    moved = {r["id"]: r for r in rows if r["section"] == "reallocation"}
    assert moved["INI-032"]["amount"] == "40000" and moved["INI-032"]["after"] == "40000"
    lines = cli("review", *REVIEW, "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [r["id"] for r in rows]


def test_plugins_diff_and_ledger_formats(tmp_path):
    plugins = list(csv.DictReader(io.StringIO(cli("plugins", "-f", "csv").stdout)))
    assert any(p["name"] == "budgetpolicy.builtins.scorers" and "expected_value" in p["registered"] for p in plugins)
    assert [json.loads(line)["name"] for line in cli("plugins", "-f", "jsonl").stdout.splitlines()] == [
        p["name"] for p in plugins]
    ledger = tmp_path / "l.db"
    cli("evaluate", *PLAN, "--ledger", str(ledger), "-f", "csv")
    shown = [json.loads(line) for line in cli("ledger", "show", str(ledger), "-f", "jsonl").stdout.splitlines()]
    assert len(shown) == 45 and shown[-1]["initiative_id"] == "INI-044"  # a policy record, then 44 decisions
    rows = list(csv.DictReader(io.StringIO(cli("ledger", "show", str(ledger), "-f", "csv").stdout)))
    assert len(rows) == 45
    positions = [json.loads(line) for line in cli("ledger", "positions", str(ledger), "-f", "jsonl").stdout.splitlines()]
    assert len(positions) == 44 and positions[18]["initiative_id"] == "INI-019"
    table_text = cli("ledger", "show", str(ledger)).stdout
    assert table_text.splitlines()[0].split()[:3] == ["SEQ", "KIND", "INITIATIVE"] and "45 records" in table_text
    head = tmp_path / "head.toml"
    head.write_text(Path(POLICY).read_text().replace("pool = 480000", "pool = 530000"))
    diff = ("diff", "--base", POLICY, "--head", str(head), "-i", INITIATIVES)
    changes = list(csv.DictReader(io.StringIO(cli(*diff, "-f", "csv").stdout)))
    assert {c["id"] for c in changes} >= {"INI-005", "INI-031"}
    lines = cli(*diff, "-f", "jsonl").stdout.splitlines()
    assert sorted(json.loads(line)["initiative_id"] for line in lines) == sorted(c["id"] for c in changes)


def test_a_format_a_command_does_not_have_is_one_line_exit_2():
    done = subprocess.run([sys.executable, "-m", "budgetpolicy", "explain", *PLAN, "INI-019", "-f", "csv"],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "invalid choice: 'csv'" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_explain_jsonl_is_one_line(capsys):
    assert main(["explain", *PLAN, "INI-019", "-f", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out)["initiative_id"] == "INI-019"


# -- the table itself ---------------------------------------------------------------------------


def test_a_long_word_folds_only_in_the_long_column_and_numbers_never_split():
    rows = [["a-very-long-identifier", "1,234,567", "word " * 30 + "an-extremely-long-token-that-must-fold"]]
    text = table(["ID", "AMOUNT", "WHY"], rows, screen=Screen(width=50))
    block = text.splitlines()
    assert max(len(line) for line in block) <= 50
    [row] = cells(block)
    assert row[0] == "a-very-long-identifier" and row[1] == "1,234,567"
    assert squeezed(row[2]) == squeezed(rows[0][2])


def test_words_that_cannot_fit_widen_the_table_rather_than_split():
    headers = [f"COLUMN{i}" for i in range(12)]
    widths = column_widths(headers, [["x" * 9] * 12], [False] * 12, 40)
    assert widths == [9] * 12  # every word whole; the table is wider than 40


def test_colour_marks_outcomes_only_on_a_colour_screen():
    rows = [["INI-1", "approved"], ["INI-2", "rejected"]]
    styles = {"approved": "green", "rejected": "red"}
    assert not ANSI.search(table(["ID", "OUTCOME"], rows, styles=styles, screen=Screen(60)))
    coloured = table(["ID", "OUTCOME"], rows, styles=styles, screen=Screen(60, colour=True, terminal=True))
    assert "\x1b[32mapproved" in coloured and "\x1b[31mrejected" in coloured
