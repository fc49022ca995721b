"""Replay against the recorded policy versions: exact reproduction, batching, refusal of bad ledgers."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest
from attrs import evolve
from replay_helpers import (AT, EXAMPLE_INITIATIVES, EXAMPLE_POLICY, SMALL_HEAD, SMALL_INITIATIVES, SMALL_POLICY,
                            cli, record)

from budgetpolicy.api import evaluate, open_policy, read_initiatives
from budgetpolicy.audit.batches import iter_batches
from budgetpolicy.audit.entry import entry_for_decision
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.audit.replay import replay
from budgetpolicy.errors import LedgerError
from budgetpolicy.policy.load import load_policy_text


@pytest.fixture(scope="module")
def example_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("example") / "audit.db"
    record(path, EXAMPLE_POLICY, EXAMPLE_INITIATIVES, AT, "--as-of", "2026-01-15")
    return path


@pytest.mark.parametrize("mode", ["live", "hermetic"])
def test_example_reproduces_every_decision(example_ledger: Path, mode: str) -> None:
    report = replay(str(example_ledger), mode=mode)
    assert (report.replayed, report.reproduced, report.batches) == (44, 44, 1)
    assert report.changes == []
    assert report.exact and report.plugin_drift == {}
    assert list(report.policies.values()) == ["acme-people-dev 2026.1"]


def test_cli_reports_100_percent(example_ledger: Path) -> None:
    done = cli("replay", "--ledger", str(example_ledger))
    assert done.returncode == 0, done.stderr
    assert "44 of 44 reproduced (100%)" in done.stdout
    assert done.stderr == ""  # not a terminal: no progress unless forced
    data = json.loads(cli("replay", "--ledger", str(example_ledger), "--format", "json").stdout)
    assert (data["replayed"], data["reproduced"], data["changed"], data["exact"]) == (44, 44, 0, True)


def test_progress_is_forced_with_the_flag(example_ledger: Path) -> None:
    done = cli("replay", "--ledger", str(example_ledger), "--progress")
    assert done.returncode == 0
    # Every record counts, done and total alike: 44 decisions and the policy copy (45 records).
    assert re.search(r"replaying records .* 45/45 \d+:\d\d:\d\d$", done.stderr.strip()), done.stderr


def _tamper(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER records_append_only_update")
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_a_tampered_ledger_is_refused(tmp_path: Path) -> None:
    """An edited allocation is caught by the verification replay runs first, naming the record."""
    path = tmp_path / "audit.db"
    record(path, SMALL_POLICY, SMALL_INITIATIVES)
    _tamper(path, "UPDATE records SET payload = replace(payload, '\"amount\":\"20000\"', '\"amount\":\"21000\"') "
                  "WHERE initiative_id = 'INI-A'")
    with pytest.raises(LedgerError) as caught:
        replay(str(path))
    assert caught.value.diagnostics[0].code == "BP810"
    assert "replay refused" in str(caught.value)
    done = cli("replay", "--ledger", str(path))
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "BP810" in lines[0] and "failed verification at record 2" in lines[0]


def test_a_real_difference_is_listed_and_exits_1(tmp_path: Path) -> None:
    """A difference that verify cannot see: a recorded decision whose stored policy text means otherwise.

    Built by recording a decision from an evaluation under one policy while storing
    it under another version's sha (what a buggy writer could do): the chain is intact,
    the replay is not.
    """
    base = open_policy(str(SMALL_POLICY))
    head = load_policy_text(SMALL_HEAD.read_text(), str(SMALL_HEAD))
    evaluation = evaluate(base, str(SMALL_INITIATIVES), evaluated_at=dt.datetime.fromisoformat(AT))
    initiatives = {i.id: i for i in read_initiatives(str(SMALL_INITIATIVES), base.registry)}
    sha = head.source.sha256
    decisions = [evolve(d, provenance=evolve(d.provenance, policy_sha256=sha)) for d in evaluation.decisions]
    path = tmp_path / "audit.db"
    with Ledger(path) as ledger:
        ledger.put_policy(head.source.text, sha, head.id, head.version)
        ledger.append([entry_for_decision(d, initiatives[d.initiative_id],
                                          explanation=evaluation.explanation(d.initiative_id)) for d in decisions])
    report = replay(str(path))
    assert report.replayed == 5 and report.reproduced == 3
    changed = {c.initiative_id: c for c in report.changes}
    assert sorted(changed) == ["INI-B", "INI-C"]
    assert (changed["INI-B"].before.outcome, changed["INI-B"].after.outcome) == ("pending_approval", "approved")
    assert str(changed["INI-C"].after.allocation) == "40000"
    done = cli("replay", "--ledger", str(path))
    assert done.returncode == 1
    assert "3 of 5 reproduced (60%)" in done.stdout
    assert "seq 3 INI-B outcome: pending_approval -> approved" in done.stdout


def test_batches_follow_evaluations(tmp_path: Path) -> None:
    """Two runs at different times and the same run twice: four batches, each replayed whole."""
    path = tmp_path / "audit.db"
    record(path, SMALL_POLICY, SMALL_INITIATIVES, AT)
    record(path, SMALL_POLICY, SMALL_INITIATIVES, "2026-02-01T00:00:00+00:00")
    record(path, SMALL_POLICY, SMALL_INITIATIVES, "2026-02-01T00:00:00+00:00")  # same key: split on repeat id
    record(path, EXAMPLE_POLICY, EXAMPLE_INITIATIVES, AT)
    with Ledger(path, create=False, readonly=True) as ledger:
        sizes = [len(b.records) for b in iter_batches(ledger.iter_records())]
    assert sizes == [5, 5, 5, 44]
    report = replay(str(path))
    assert (report.replayed, report.reproduced, report.batches) == (59, 59, 4)
    assert sorted(report.policies.values()) == ["acme-people-dev 2026.1", "replay-test 1"]


def test_replay_calls_no_decision_sink(tmp_path: Path) -> None:
    from budgetpolicy import hookimpl
    from budgetpolicy.plugins import get_plugin_manager
    from budgetpolicy.registry import Registry

    seen: list[str] = []

    class Sink:
        @hookimpl
        def process_decision(self, decision, policy, context):
            seen.append(decision.initiative_id)

    path = tmp_path / "audit.db"
    record(path, SMALL_POLICY, SMALL_INITIATIVES)
    pm = get_plugin_manager(entry_points=False)
    pm.register(Sink(), name="sink")
    report = replay(str(path), registry=Registry.build(pm))
    assert report.reproduced == 5 and seen == []


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    missing = cli("replay", "--ledger", str(tmp_path / "nope.db"))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "BP801" in missing.stderr
    notledger = tmp_path / "x.db"
    notledger.write_text("not sqlite at all, just text " * 100)
    bad = cli("replay", "--ledger", str(notledger))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "BP802" in bad.stderr
    path = tmp_path / "audit.db"
    record(path, SMALL_POLICY, SMALL_INITIATIVES)
    other = cli("replay", "--ledger", str(path), "--policy", str(tmp_path / "missing.toml"))
    assert other.returncode == 2 and other.stderr.count("\n") == 1 and "BP101" in other.stderr
    mode = cli("replay", "--ledger", str(path), "--mode", "psychic")
    assert mode.returncode == 2 and "invalid choice" in mode.stderr


def test_a_snapshot_that_does_not_rebuild_the_input_is_refused(tmp_path: Path) -> None:
    """A record whose stored input is not what the engine hashed (a buggy writer): BP842, not a silent pass."""
    compiled = open_policy(str(SMALL_POLICY))
    evaluation = evaluate(compiled, str(SMALL_INITIATIVES), evaluated_at=dt.datetime.fromisoformat(AT))
    initiatives = {i.id: i for i in read_initiatives(str(SMALL_INITIATIVES), compiled.registry)}
    wrong = evolve(initiatives["INI-A"], title="Not the bootcamp")
    path = tmp_path / "audit.db"
    with Ledger(path) as ledger:
        ledger.record(compiled.policy, [entry_for_decision(evaluation.decision("INI-A"), wrong)])
    with pytest.raises(LedgerError) as caught:
        replay(str(path))
    assert caught.value.diagnostics[0].code == "BP842"
    assert "record 2 (INI-A)" in str(caught.value)
