"""Sign-offs and refusals: the checks a sign-off must pass, and its record appended in the same transaction.

A sign-off is accepted only when all of these hold, checked in this order (each failure is one
:class:`~budgetpolicy.errors.YearError` naming the ledger, the plan and the fix, and nothing is written):

BP850 the ledger holds a plan; BP851 the initiative is in it, or is a new request recorded with a quarter
(did-you-mean from their ids); BP857 the time of signing is not before the plan was made; BP852 something
of it awaits a sign-off: its decision is ``pending_approval``, or a reallocation to it awaits one (the
approval rules on its new amount); BP864 what awaited the role has not lapsed ([signoff]
release_unsigned_at released it); BP853 the role is one it requires; BP854 the signer holds the role in the
plan's policy ``[roles]`` (the policy text the ledger stores, never a file); BP856 nobody has refused the
initiative's plan decision; BP855 the role has not signed or refused it already.

The plan and its events are read, checked and the record appended inside one write transaction
(:meth:`budgetpolicy.audit.ledger.Ledger.append_checked`), so two people signing for the same role at
the same moment cannot both pass the check: the second waits for the lock, then sees the first. The
same checks run read-only first, so refused input leaves the file untouched even where opening it for
writing would change it (a version-1 ledger is upgraded on its first writable open).
"""

from __future__ import annotations

import datetime as dt
import os

from attrs import evolve, frozen

from budgetpolicy.audit.entry import LedgerEntry
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.errors import Location, UsageError, YearError, did_you_mean
from budgetpolicy.year.events import (REFUSAL, SIGNOFF, BudgetYear, PlannedDecision, SignOff, event_entry, read_year,
                                      recorded_time)
from budgetpolicy.year.positions import (Claim, InitiativePosition, claims, lapses, positions,
                                        requested_decision)


@frozen
class SignOffResult:
    """What a sign-off or refusal recorded (``event``, with its seq) and the initiative's position after it."""

    event: SignOff
    position: InitiativePosition
    currency: str


def record_event(ledger_path: str | os.PathLike[str], kind: str, initiative_id: str, *, role: str, by: str,
                 at: dt.datetime, text: str | None = None) -> SignOffResult:
    """Check and append one sign-off (``kind`` ``"signoff"``, ``text`` its note) or refusal (``"refusal"``,
    ``text`` its reason) of ``initiative_id`` in the ledger's latest plan."""
    _check_arguments(kind, role, by, text)
    at = at if at.tzinfo is not None else at.replace(tzinfo=dt.timezone.utc)
    # Refused input never opens the file for writing (which upgrades a version-1 ledger): checked
    # read-only first, then again under the write lock, where it counts.
    with Ledger(ledger_path, create=False, readonly=True) as reader:
        check_event(read_year(reader), reader.path, initiative_id, role, by, at)
    read: list[BudgetYear] = []  # what the transaction saw (its last attempt, should a busy file retry it)
    with Ledger(ledger_path, create=False) as ledger:
        def entries() -> list[LedgerEntry]:
            year = read_year(ledger)
            decision = check_event(year, ledger.path, initiative_id, role, by, at)
            read[:] = [year]
            return [event_entry(year.plan, kind, decision.initiative_id, role, by, at, text)]
        (seq,) = ledger.append_checked(entries)
    (year,) = read
    event = SignOff(seq, kind, initiative_id, year.plan.seq, role, by, at.isoformat(),
                    **{"reason" if kind == REFUSAL else "note": text})
    after = positions(evolve(year, events=(*year.events, event)))
    return SignOffResult(event, after.initiative(initiative_id), year.policy.currency)


def _check_arguments(kind: str, role: str, by: str, text: str | None) -> None:
    if kind not in (SIGNOFF, REFUSAL):
        raise UsageError(f"unknown event kind '{kind}'", hint=f"use '{SIGNOFF}' or '{REFUSAL}'")
    for option, value in (("--role", role), ("--by", by)):
        if not value.strip():
            raise UsageError(f"{option} must not be empty", Location(key=option),
                             hint="--role names the role signing, --by the person holding it")
    if kind == REFUSAL and not (text or "").strip():
        raise UsageError("a refusal needs a reason", Location(key="--reason"),
                         hint="say why in --reason, e.g. --reason \"no budget line for travel this year\"")


def check_event(year: BudgetYear, path: str, initiative_id: str, role: str, by: str,
                at: dt.datetime) -> PlannedDecision:
    """The decision the event is about (the plan's, or a request's), once every check in the module
    docstring has passed."""
    plan = year.plan
    where = Location(file=path, key=plan.where)
    request = year.request(initiative_id)
    decision = plan.decision(initiative_id) or (requested_decision(request) if request is not None else None)
    if decision is None:
        ids = year.ids()
        raise YearError(f"no initiative '{initiative_id}' in the plan{' or its requests' if year.requests else ''}",
                        where, code="BP851",
                        hint=did_you_mean(initiative_id, ids) or
                        f"the plan decides {len(ids)} initiative(s); list them with 'budgetpolicy ledger "
                        f"positions {path}'")
    planned_at = recorded_time(plan.evaluated_at)
    if planned_at is not None and at < planned_at:
        raise YearError(f"{initiative_id}: the time of signing {at.isoformat()} is before the plan was made "
                        f"({plan.evaluated_at})", where, code="BP857",
                        hint="give the time it was signed with --at, after the plan")
    claimed = claims(year, year.quarters).get(initiative_id, [])
    required = _required(decision, claimed)
    if not required:
        raise YearError(f"{initiative_id} is {decision.outcome} {'in the plan' if request is None else 'as a request'}"
                        f", not pending approval, and no reallocation to it awaits a sign-off: it takes none",
                        where, code="BP852",
                        hint=f"only pending_approval decisions and reallocations awaiting a role take sign-offs; "
                             f"'budgetpolicy ledger positions {path}' lists them (AWAITING)")
    _check_not_lapsed(year, where, decision, claimed, role)
    if role not in required:
        raise YearError(f"{initiative_id} does not require a '{role}' sign-off (it requires: "
                        f"{', '.join(required)})", where, code="BP853",
                        hint=did_you_mean(role, required) or f"sign for one of: {', '.join(required)}")
    _check_holder(year, where, role, by)
    _check_not_settled(year, where, decision, role)
    return decision


def _required(decision: PlannedDecision, claimed: list[Claim]) -> tuple[str, ...]:
    """The roles that sign for it: its pending plan decision's, and those its reallocations await."""
    own = decision.required_approvers if decision.outcome == "pending_approval" else ()
    return tuple(dict.fromkeys((*own, *(r for c in claimed for r in c.awaiting))))


def _check_not_lapsed(year: BudgetYear, where: Location, decision: PlannedDecision, claimed: list[Claim],
                      role: str) -> None:
    """BP864: a review released unsigned everything that awaited ``role``."""
    lapsed_plan = decision.outcome == "pending_approval" and role in decision.required_approvers and \
        decision.initiative_id in lapses(year.quarters) and not any(
            c.status != "lapsed" and role in c.awaiting for c in claimed)
    waiting = [c for c in claimed if role in c.awaiting]
    lapsed_moves = bool(waiting) and all(c.status == "lapsed" for c in waiting) and not (
        decision.outcome == "pending_approval" and role in decision.required_approvers)
    if lapsed_plan or lapsed_moves:
        setting = year.policy.signoff.release_unsigned_at if year.policy.signoff is not None else "?"
        raise YearError(f"{decision.initiative_id}: what awaited the {role} sign-off was released unsigned at the "
                        f"review of {setting} ([signoff] release_unsigned_at)", where, code="BP864",
                        hint="the money went back to the year's reallocation; it is not earmarked any more, so "
                             "there is nothing left to sign")


def _check_holder(year: BudgetYear, where: Location, role: str, by: str) -> None:
    policy = year.policy
    label = f"policy {policy.id} {policy.version}"
    holders = policy.roles.get(role)
    if holders is None:
        raise YearError(f"'{by}' cannot sign for role '{role}': {label} lists no holders for it in [roles]",
                        where, code="BP854",
                        hint=f'add {role} = ["..."] to the policy\'s [roles] and record a new plan with '
                             f"'budgetpolicy evaluate --ledger'")
    if by not in holders:
        raise YearError(f"'{by}' does not hold role '{role}' in {label}", where, code="BP854",
                        # No did-you-mean: a close id is another person, not a typo to correct to.
                        hint=f"the holders of {role} in [roles]: {', '.join(holders)}")


def _check_not_settled(year: BudgetYear, where: Location, decision: PlannedDecision, role: str) -> None:
    initiative_id = decision.initiative_id
    events = [e for e in year.events if e.initiative_id == initiative_id]
    refusal = next((e for e in events if e.refused and e.role in decision.required_approvers
                    and decision.outcome == "pending_approval"), None)
    if refusal is not None:
        raise YearError(f"{initiative_id} was refused by {refusal.role} ({refusal.by}) at record {refusal.seq}: "
                        "it takes no further sign-off or refusal", where, code="BP856",
                        hint="a refusal is final for this plan; to decide it again, record a new plan with "
                             "'budgetpolicy evaluate --ledger'")
    earlier = next((e for e in events if e.role == role), None)
    if earlier is not None:
        what = "refusal" if earlier.refused else "sign-off"
        raise YearError(f"{initiative_id} already has the {role} {what} (record {earlier.seq}, by {earlier.by} "
                        f"at {earlier.at})", where, code="BP855",
                        hint=f"each required role signs once; {initiative_id} awaits "
                             f"{_awaiting(year, initiative_id) or 'no other role'}")


def _awaiting(year: BudgetYear, initiative_id: str) -> str:
    return ", ".join(positions(year).initiative(initiative_id).awaiting)

