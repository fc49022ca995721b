"""Rows checked against the policy they are evaluated under (issue #18 item 1), through the CLI.

Each bad input is the bundled example with one cell or header changed: exit 2, one located line
naming the file, row and column and the fix, nothing written (the ledger's bytes unchanged).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
OUTCOMES = ROOT / "policies" / "acme-2026.outcomes.csv"
AT = "2026-01-15T09:00:00+00:00"


def bp(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def edited(tmp_path: Path, name: str, source: Path, change) -> Path:
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    change(rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def cell(column: str, value: str, row: int = 1):
    def change(rows):
        rows[row][rows[0].index(column)] = value
    return change


def header(old: str, new: str):
    def change(rows):
        rows[0][rows[0].index(old)] = new
    return change


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger holding the example's plan: a refused input must leave it byte for byte as it was."""
    where = tmp_path_factory.mktemp("ledger")
    path = where / "l.db"
    done = bp("evaluate", "-P", str(POLICY), "-i", str(INITIATIVES), "--evaluated-at", AT, "--ledger", str(path),
              cwd=where)
    assert done.returncode == 0, done.stderr
    return path


BAD_INITIATIVES = [
    # name, change, column, code, message part, hint part
    ("header-typo", header("forecast.win-rate", "forecast.win-rat"), "forecast.win-rat", "BP430",
     "unknown column 'forecast.win-rat': 'win-rat' is not one of the policy's priorities (and 15 more row(s))",
     "did you mean 'win-rate'?"),
    ("attribute", header("attr.team_size", "attr.team_sise"), "attr.team_sise", "BP430",
     "unknown column 'attr.team_sise': 'team_sise' is not one of the policy's [attributes]",
     "did you mean 'team_size'?"),
    ("milestone", header("milestone.2026-Q1.win-rate", "milestone.2026-Q1.winrate"), "milestone.2026-Q1.winrate",
     "BP430", "'winrate' in 'milestone.2026-Q1.winrate' is not a priority of the policy", "did you mean 'win-rate'?"),
    ("priority-id", cell("priorities", "win-rat"), "priorities", "BP431",
     "'win-rat' is not a priority of the policy", "did you mean 'win-rate'?"),
    ("currency", cell("currency", "EUR"), "currency", "BP432", "the cost is in EUR, the policy's amounts in USD",
     "declare the rate under [currency] rates"),
    ("arabic-digit", cell("cost", "4٣000"), "cost", "BP420", "\"4٣000\" has the digit '٣' (U+0663), not one of 0-9",
     "ASCII digits 0-9"),
    ("fullwidth-digit", cell("cost", "５000"), "cost", "BP420", "\"５000\" has the digit '５' (U+FF15), not one of 0-9",
     "ASCII digits 0-9"),
    ("huge-cost", cell("cost", "1e400"), "cost", "BP420", "1E+400 is out of range", "check the value"),
]


@pytest.mark.parametrize("name, change, column, code, says, fix", BAD_INITIATIVES,
                         ids=[case[0] for case in BAD_INITIATIVES])
def test_a_row_the_policy_does_not_declare_is_refused(tmp_path, ledger, name, change, column, code, says, fix):
    data = edited(tmp_path, f"{name}.csv", INITIATIVES, change)
    before = digest(ledger)
    done = bp("evaluate", "-P", str(POLICY), "-i", str(data), "--evaluated-at", AT, "--ledger", str(ledger),
              cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    assert done.stdout == "" and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"{data}: row 2: field '{column}': {code} error: {says}"), line
    assert fix in line
    assert digest(ledger) == before


def test_an_outcome_kpi_the_policy_does_not_declare_is_refused(tmp_path):
    outcomes = edited(tmp_path, "outcomes.csv", OUTCOMES, header("kpi.csat", "kpi.cast"))
    done = bp("review", "-P", str(POLICY), "-i", str(INITIATIVES), "-O", str(outcomes), "--period", "2026-Q3",
              cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"{outcomes}: row ") and "field 'kpi.cast': BP430 error: unknown column 'kpi.cast': " \
        "'cast' is not one of the policy's priorities or KPI metrics" in line, line
    assert "did you mean 'csat'?" in line


def test_a_kpi_metric_name_is_a_known_outcome_column(tmp_path):
    # kpi.days_to_competence (a metric, not a priority id) is in the bundled outcomes: accepted.
    assert "kpi.days_to_competence" in OUTCOMES.read_text(encoding="utf-8").splitlines()[0]
    done = bp("review", "-P", str(POLICY), "-i", str(INITIATIVES), "-O", str(OUTCOMES), "--period", "2026-Q3",
              cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def with_rates(tmp_path: Path, rates: str) -> Path:
    text = POLICY.read_text(encoding="utf-8").replace('currency = "USD"\n', "")
    path = tmp_path / "rates.toml"
    path.write_text(text + f'\n[currency]\ncode = "USD"\n\n[currency.rates]\n{rates}\n', encoding="utf-8")
    return path


def test_a_declared_rate_converts_exactly_and_provenance_says_so(tmp_path):
    policy = with_rates(tmp_path, 'EUR = "1.0825"')
    data = edited(tmp_path, "eur.csv", INITIATIVES, cell("currency", "EUR"))  # INI-001, EUR 48000
    done = bp("evaluate", "-P", str(policy), "-i", str(data), "--evaluated-at", AT, "-f", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    decisions = {d["initiative_id"]: d for d in json.loads(done.stdout)["decisions"]}
    first = decisions["INI-001"]
    assert first["provenance"]["conversion"] == {"currency": "EUR", "amount": "48000", "rate": "1.0825"}
    assert D(first["funding"]["requested"]) == D("51960.0000")  # 48000 x 1.0825, exactly
    assert "conversion" not in decisions["INI-002"]["provenance"]  # only where a rate applied


def test_a_converted_cost_is_recorded_in_the_ledger_and_replays(tmp_path):
    policy = with_rates(tmp_path, 'EUR = "1.0825"')
    data = edited(tmp_path, "eur.csv", INITIATIVES, cell("currency", "EUR"))
    ledger = tmp_path / "l.db"
    done = bp("evaluate", "-P", str(policy), "-i", str(data), "--evaluated-at", AT, "--ledger", str(ledger),
              cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    replay = bp("replay", "--ledger", str(ledger), cwd=tmp_path)
    assert replay.returncode == 0, replay.stdout + replay.stderr


def test_a_rate_out_of_bounds_is_a_schema_error(tmp_path):
    done = bp("validate", str(with_rates(tmp_path, "EUR = 0")), cwd=tmp_path)
    assert done.returncode == 1
    assert ": currency.rates.EUR: BP114 error: expected exchange rate, got number 0" in done.stderr, done.stderr


def test_a_conversion_column_is_not_accepted_from_input(tmp_path):
    data = tmp_path / "i.json"
    row = {"id": "X-1", "title": "t", "kind": "training", "department": "Sales", "cost": "100",
           "priorities": ["win-rate"], "conversion": {"currency": "EUR", "amount": "1", "rate": "100"}}
    data.write_text(json.dumps([row]), encoding="utf-8")
    done = bp("evaluate", "-P", str(POLICY), "-i", str(data), "--evaluated-at", AT, cwd=tmp_path)
    assert done.returncode == 2
    assert "field 'conversion': BP412 error: unknown field 'conversion'" in done.stderr, done.stderr


def test_a_json_key_given_twice_is_refused_with_its_place(tmp_path):
    data = tmp_path / "dup.json"
    data.write_text('[{"id": "X-1", "title": "a", "kind": "training", "department": "Sales", "cost": "10"},\n'
                    ' {"id": "X-2", "title": "b", "kind": "training",\n'
                    '  "department": "Sales", "cost": "10", "cost": "90000"}]\n', encoding="utf-8")
    done = bp("evaluate", "-P", str(POLICY), "-i", str(data), "--evaluated-at", AT, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (f"{data}:2:2: BP403 error: malformed JSON: key 'cost' is given twice in one object "
                           "(keep one 'cost' (a JSON reader would silently take the last))\n")



def test_initiatives_read_without_the_policy_are_checked_when_evaluated():
    from budgetpolicy.api import evaluate, open_policy, read_initiatives
    from budgetpolicy.errors import DataError

    compiled = open_policy(str(POLICY))
    initiatives = read_initiatives(str(INITIATIVES), compiled.registry)  # no policy: nothing checked yet
    typo = [initiatives[0].__class__(**{**{f: getattr(initiatives[0], f) for f in ("id", "title", "kind",
                                         "department", "cost", "location")}, "forecast": {"win-rat": D(2)},
                                         "currency": "EUR"}), *initiatives[1:]]
    with pytest.raises(DataError) as err:
        evaluate(compiled, typo)
    assert [d.format() for d in err.value.diagnostics] == [
        f"{INITIATIVES}: row 2: field 'forecast.win-rat': BP430 error: unknown column 'forecast.win-rat': 'win-rat' is "
        "not one of the policy's priorities (did you mean 'win-rate'? declared priorities: win-rate, "
        "time-to-competence, csat, defect-rate)",
        f"{INITIATIVES}: row 2: field 'currency': BP432 error: the cost is in EUR, the policy's amounts in USD (give the "
        "cost in USD, or declare the rate under [currency] rates (EUR = \"...\") in the policy)"]
