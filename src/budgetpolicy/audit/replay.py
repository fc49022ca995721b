"""Replay: re-evaluate recorded decisions from their stored inputs (the audit stage's proof).

Each ``decision`` record holds the initiative as the engine saw it, the
outcomes used, the evaluation time and as-of date, and the sha256 of the
policy version, whose text the ledger stores. Replay rebuilds those inputs,
compiles the stored policy (or another version given by the caller) and
evaluates again; against its own version every decision must come back
identical, field for field (:mod:`budgetpolicy.audit.diff`, exact mode).

Batches. Allocation depends on the whole portfolio, so decisions cannot be
replayed one at a time: the records of one evaluation are replayed together.
``record_evaluation`` appends an evaluation in one transaction, so its records
are contiguous; a batch is a maximal run of consecutive decision records with
the same kind, policy sha256, evaluation time and period, cut early when an
initiative id repeats (the same evaluation run again). Two evaluations with
the same policy and time over disjoint initiatives, appended back to back,
cannot be told apart and would be replayed as one portfolio: record runs at
distinct ``--evaluated-at`` times. Records stream from a cursor batch by batch,
so memory is bounded by the largest batch (plus the differences found), not by
the ledger.

What the context is rebuilt from: ``evaluated_at`` and ``as_of`` from
provenance, calibration factors from each decision's recorded calibration,
counterfactuals on when any recorded decision of the batch carries some (a run
without them gives none either way). A what-if ``pool_delta`` is not recorded:
runs recorded with one do not reproduce.

Modes. ``live`` re-scores with the scorer plugins installed now; a score that
differs is traced to its criterion, scorer and plugin, with the plugin's
recorded and installed versions; a plugin expression function whose recorded
call (the record's ``functions``: function, plugin, arguments, result) gives
another result now is named the same way, and in exact mode such a call is a
difference (``functions``) even when the decision's outcome did not move.
``hermetic`` reuses each recorded scorer output (the ``ScoreLine``) wherever
the criterion is unchanged (same id, scorer and parameters as in the recorded
policy) and the initiative is the recorded one, and each recorded function
result for the same call (function and arguments), so plugin upgrades cannot
change the result; rules and allocation still run. Replay never calls decision sinks: a replay is not a new decision.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from attrs import define, evolve, field

from budgetpolicy.audit.batches import Batch, iter_batches
from budgetpolicy.audit.diff import DecisionChange, MoneyMoved, compared_record, decision_change, summary
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.audit.replayrun import BatchRunner
from budgetpolicy.engine.collector import collector_paused
from budgetpolicy.errors import LedgerError, LedgerTamperedError, Location
from budgetpolicy.model import Policy
from budgetpolicy.policy.load import load_policy_text

MODES = ("live", "hermetic")


@define
class ReplayReport:
    """What a replay found. ``exact`` when every batch was replayed under its own recorded policy."""

    ledger: str
    mode: str
    target: str | None  # None: each decision's own policy version; else the other policy's label
    exact: bool
    replayed: int = 0
    batches: int = 0
    changes: list[DecisionChange] = field(factory=list)
    money: MoneyMoved = field(factory=MoneyMoved)
    # Plugins whose installed version differs from the recorded one: name -> (recorded, installed).
    plugin_drift: dict[str, tuple[str, str]] = field(factory=dict)
    policies: dict[str, str] = field(factory=dict)  # sha256 -> "id version" of every policy replayed
    currency: str = ""

    @property
    def reproduced(self) -> int:
        return self.replayed - len(self.changes)


def function_change(change: DecisionChange | None, recorded: dict[str, Any], replayed: dict[str, Any],
                    calls: tuple[Any, Any], record: Any) -> DecisionChange:
    """``change`` (None: the decision itself reproduced) with its plugin-function calls as one more difference."""
    if change is None:
        change = DecisionChange(record.entry.initiative_id, summary(recorded), summary(replayed), (), record.seq)
    return evolve(change, changed=(*change.changed, "functions"), values={**change.values, "functions": calls})


def open_ledger(path: str, *, verify: bool = True) -> Ledger:
    """Open a ledger for replay, refusing one that fails verification."""
    ledger = Ledger(path, create=False, readonly=True)
    if verify:
        report = ledger.verify()
        if not report.ok:
            ledger.close()
            raise LedgerTamperedError(
                f"ledger failed verification"
                f"{'' if report.first_bad is None else f' at record {report.first_bad}'}: {report.problem}; replay refused",
                Location(file=path), code=report.code or None,
                hint=f"run 'budgetpolicy ledger verify {path}' and restore the file from a copy")
    return ledger


LEDGER_PREFIX = "ledger:"


def stored_policy(path: str, sha256: str) -> Policy:
    """``replay --policy ledger:SHA256``: a policy copy stored in the ledger at ``path`` (a unique prefix of
    8+ hex digits works; BP806 naming how to list them when none matches)."""
    with Ledger(path, create=False, readonly=True) as ledger:
        stored = ledger.stored_policy(sha256)
    return load_policy_text(stored.text, f"{path}#policy-{stored.sha256[:12]}")


def _replay_batch(runner: BatchRunner, batch: Batch, report: ReplayReport,
                  on_progress: Callable[[int, int], None] | None, total: int) -> None:
    """Re-evaluate one batch and compare each decision, with its explanation, to its record (``report``)."""
    exact = report.exact
    initiatives, evaluation, causes = runner.run(batch)
    report.batches += 1
    # keep=False: each explanation is compared once; a difference's causes build it again.
    for record, payload, initiative, (decision, explanation) in zip(
            batch.records, batch.payloads, initiatives, evaluation.explained(keep=False)):
        recorded = payload["decision"]
        if not exact:
            before = Decimal((recorded.get("funding") or {}).get("amount", "0"))
            report.money.add(initiative, before, decision.allocation)
        replayed = compared_record(decision, explanation)
        change = decision_change(recorded, replayed, exact=exact, initiative_id=record.entry.initiative_id,
                                 seq=record.seq)
        calls = runner.function_difference(payload, decision) if exact else None
        if calls is not None:  # a plugin function answers differently, whether or not the outcome moved
            change = function_change(change, recorded, replayed, calls, record)
        if change is not None:
            report.changes.append(evolve(change, causes=causes(payload, decision)))
        if on_progress is not None:
            on_progress(record.seq, total)
    report.replayed += len(batch.records)


def replay(path: str, *, policy: Policy | None = None, mode: str = "live", registry: Any = None,
           verify: bool = True, on_progress: Callable[[int, int], None] | None = None) -> ReplayReport:
    """Replay every decision in the ledger at ``path``.

    ``policy``: replay under this policy (a loaded Policy, e.g. from
    ``api.load_policy``) instead of each decision's own version.
    ``on_progress(done, total)`` is called as each decision is compared: ``done`` is the seq of its record
    and ``total`` the number of records (counting the decisions alone would take a scan of the ledger), so
    both count every record, and the last call is ``(total, total)``.
    """
    if mode not in MODES:
        raise LedgerError(f"unknown replay mode '{mode}'", hint=f"use one of: {', '.join(MODES)}", code="BP840")
    with open_ledger(path, verify=verify) as ledger:
        runner = BatchRunner(ledger, policy, mode, registry)
        exact = policy is None
        label = None if policy is None else f"{policy.id} {policy.version}"
        report = ReplayReport(path, mode, label, exact)
        total, _ = ledger.head()
        batches = iter_batches(ledger.iter_records())
        while True:
            # A batch is a hundred thousand small acyclic objects (payloads, decisions, explanations): the
            # cyclic collector would walk them again and again for nothing while they live, so it waits
            # until reference counting has freed them, and finds little left.
            with collector_paused():
                batch = next(batches, None)
                if batch is None:
                    break
                _replay_batch(runner, batch, report, on_progress, total)
                del batch
        if on_progress is not None:
            on_progress(total, total)
        report.plugin_drift = runner.drift
        report.policies = runner.labels
        compiled = runner.target or next(iter(runner.compiled.values()), None)
        report.currency = compiled.policy.currency if compiled is not None else ""
    return report
