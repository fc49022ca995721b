"""``budgetpolicy report --ledger L``: the budget year's report from the ledger alone, through the CLI.

The ledger holds the bundled example's plan (under its policy with ``[spend] on_mismatch = "flag"``, so the
year goes on with bets left unsigned), two sign-offs (INI-009 by vp, then finance), a refusal of INI-001 and the
2026-Q1..Q3 reviews, Q3 with the example's three new requests; every number the report shows is checked
against ``ledger positions --format json`` and the recorded quarters.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_helpers import INITIATIVES, OUTCOMES, POLICY, REPO

REQUESTS = str(REPO / "policies" / "acme-2026.requests.csv")

import budgetpolicy

PLANNED_AT = "2026-01-15T09:00:00+00:00"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "BUDGETPOLICY_PLUGINS": "", "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120)


def ok(*args: str) -> str:
    result = cli(*args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("year")
    path, policy = folder / "year.db", folder / "acme-flag.toml"
    policy.write_text(Path(POLICY).read_text(encoding="utf-8") + '\n[spend]\non_mismatch = "flag"\n', encoding="utf-8")
    ok("evaluate", "-P", str(policy), "-i", INITIATIVES, "--ledger", str(path), "--evaluated-at", PLANNED_AT)
    ok("approve", str(path), "INI-009", "--role", "vp", "--by", "e1042", "--at", "2026-01-20T10:00:00+00:00")
    ok("approve", str(path), "INI-009", "--role", "finance", "--by", "e2210", "--at", "2026-01-21T10:00:00+00:00")
    ok("refuse", str(path), "INI-001", "--role", "vp", "--by", "e1187", "--reason", "no sales hires this year",
       "--at", "2026-01-22T10:00:00+00:00")
    for quarter in ("2026-Q1", "2026-Q2", "2026-Q3"):
        requests = ("-i", REQUESTS) if quarter == "2026-Q3" else ()
        ok("review", "--ledger", str(path), "-O", OUTCOMES, "--period", quarter, *requests,
           "--evaluated-at", f"2026-{3 * int(quarter[-1]) + 1:02d}-05T09:00:00+00:00")
    return path


def positions(ledger: Path, *period: str) -> dict:
    return json.loads(ok("ledger", "positions", str(ledger), *period, "--format", "json"))


def quarters(ledger: Path) -> dict[str, dict]:
    shown = json.loads(ok("ledger", "show", str(ledger), "--kind", "quarter", "--format", "json"))
    return {r["period"]: r["payload"]["review"] for r in shown}


def money(text: str) -> str:
    value = Decimal(text)
    return f"{value.quantize(Decimal(1)) if value == value.to_integral_value() else value:,}"


def section(markdown: str, title: str) -> str:
    """The text of one ``## `` section."""
    start = markdown.index(f"## {title}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:] if end < 0 else markdown[start:end]


def row(text: str, initiative_id: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {initiative_id} |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_markdown_sections_hold_the_positions_numbers(year):
    markdown = ok("report", "--ledger", str(year))
    want = positions(year)
    pool = want["pool"]
    assert markdown.startswith("# The budget year: acme-people-dev 2026.1, after 2026-Q3\n")
    assert f"planned {PLANNED_AT}" in markdown and "Latest recorded quarter: 2026-Q3." in markdown
    stands = section(markdown, "Where the money stands")
    assert (f"Pool USD {money(pool['pool'])}: allocated USD {money(pool['allocated'])}, earmarked "
            f"USD {money(pool['earmarked'])}, returned USD {money(pool['returned'])}, leftover "
            f"USD {money(pool['leftover'])}; spent USD {money(pool['spent'])}") in stands
    assert pool["allocated"] != "0" and "," in money(pool["allocated"])
    for d in want["departments"]:
        cells = row(stands.replace(f"| {d['department']} |", f"| D-{d['department']} |"), f"D-{d['department']}")
        assert cells[1:3] == [money(d["allocated"]), money(d["spent"])]
    bets = section(markdown, "Every bet")
    # the plan's 44 initiatives and the three requests of Q3
    assert len([line for line in bets.splitlines() if line.startswith("| INI-")]) == len(want["initiatives"]) == 47
    for p in want["initiatives"]:
        cells = row(bets, p["initiative_id"])
        assert cells[2:7] == [p["state"], money(p["planned"]), money(p["allocated"]), money(p["earmarked"]),
                              money(p["spent"])], cells
        burn = "-" if p["burn"] is None else f"{Decimal(p['burn']) * 100:.1f}%"
        assert cells[7] == burn
    assert row(bets, "INI-009")[1] == "Engineering onboarding academy"


def test_what_changed_is_the_latest_quarter_and_earlier_quarters_by_initiative(year):
    markdown = ok("report", "--ledger", str(year))
    recorded = quarters(year)
    changed = section(markdown, "What changed in 2026-Q3")
    q3 = recorded["2026-Q3"]
    assert q3["releases"] and q3["reallocations"]
    for release in q3["releases"]:
        assert row(changed[changed.index("### Releases"):], release["initiative_id"])[2] == money(release["amount"])
    for move in q3["reallocations"]:
        assert row(changed[changed.index("### Reallocations"):], move["initiative_id"])[2] == money(move["amount"])
    for done in q3["completions"]:
        assert f"| {done['initiative_id']} |" in changed[changed.index("### Completions"):]
    summary = q3["summary"]
    assert f"Released USD {money(summary['released'])} = redistributed USD {money(summary['redistributed'])}" in changed
    # The sign-offs and the refusal were recorded before Q1: not Q3's, but Q1's moves.
    assert "### Sign-offs\n\nNone." in changed and "### Refusals\n\nNone." in changed
    earlier = section(markdown, "Earlier quarters")
    assert "### 2026-Q1" in earlier and "### 2026-Q2" in earlier and "2026-Q3" not in earlier
    q1 = earlier[earlier.index("### 2026-Q1"):earlier.index("### 2026-Q2")]
    assert "vp signed by e1042" in row(q1, "INI-009")[2] and "finance signed by e2210" in row(q1, "INI-009")[2]
    assert "refused by e1187 for vp" in row(q1, "INI-001")[2]
    q2 = earlier[earlier.index("### 2026-Q2"):]
    for release in recorded["2026-Q2"]["releases"]:
        assert f"released USD {money(release['amount'])} (" in row(q2, release["initiative_id"])[2]
    for move in recorded["2026-Q2"]["reallocations"]:
        assert f"received USD {money(move['amount'])} (" in row(q2, move["initiative_id"])[2]


def test_period_reports_that_quarter(year):
    markdown = ok("report", "--ledger", str(year), "--period", "2026-Q2")
    want = positions(year, "--period", "2026-Q2")
    assert "after 2026-Q2" in markdown.splitlines()[0]
    assert "(the latest recorded quarter is 2026-Q3)" in markdown
    assert "## What changed in 2026-Q2" in markdown and "## What changed in 2026-Q3" not in markdown
    assert f"allocated USD {money(want['pool']['allocated'])}," in markdown
    assert money(want["pool"]["allocated"]) != money(positions(year)["pool"]["allocated"])
    earlier = section(markdown, "Earlier quarters")
    assert "### 2026-Q1" in earlier and "### 2026-Q2" not in earlier
    for p in want["initiatives"]:
        assert row(section(markdown, "Every bet"), p["initiative_id"])[4] == money(p["allocated"])


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.fetched: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.fetched += [v for k, v in attrs if k in ("src", "href") and v]
        if tag in ("script", "link", "img"):
            self.fetched.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_parses_and_holds_the_same_numbers(year, tmp_path):
    out = tmp_path / "year.html"
    assert ok("report", "--ledger", str(year), "-o", str(out)) == ""
    page = out.read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(page)
    parser.close()
    assert parser.fetched == []  # self-contained: nothing fetched
    text = "\n".join(parser.text)
    pool = positions(year)["pool"]
    for name in ("pool", "allocated", "earmarked", "returned", "leftover", "spent"):
        assert f"USD {money(pool[name])}" in text
    for title in ("Where the money stands", "What changed in 2026-Q3", "Every bet", "Earlier quarters"):
        assert title in text
    cells = re.search(r"<tr><td>INI-009</td>(.*?)</tr>", page.split("Every bet")[1]).group(1)
    want = next(p for p in positions(year)["initiatives"] if p["initiative_id"] == "INI-009")
    assert f'<td class="n">{money(want["allocated"])}</td>' in cells and "<td>funded</td>" in cells
    markdown = ok("report", "--ledger", str(year))
    assert ok("report", "--ledger", str(year), "-f", "html") == page
    for figure in re.findall(r"\d{1,3}(?:,\d{3})+", markdown):
        assert figure in text


def test_a_ledger_without_a_plan_is_one_located_line(tmp_path):
    empty = tmp_path / "empty.db"
    from budgetpolicy.audit.ledger import Ledger

    with Ledger(empty):
        pass
    result = cli("report", "--ledger", str(empty))
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{empty}: ") and " BP850 error: " in line


def test_ledger_with_file_inputs_is_refused(year):
    result = cli("report", "--ledger", str(year), "--policy", POLICY)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "BP001" in line and "--ledger" in line
