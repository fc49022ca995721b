"""The budget year's events as recorded in the ledger: the plan, and each sign-off or refusal of it.

The **plan** is the latest batch of ``decision`` records: the records one ``evaluate --ledger`` run
appended together (consecutive, one policy sha256, one ``evaluated_at``, each initiative once; the
same rule replay uses to find an evaluation, :mod:`budgetpolicy.audit.batches`). It is named by the
seq of its first record. It is found by reading back from the head, so a long ledger is not read from
its start.

A **sign-off** (kind ``signoff``) or **refusal** (kind ``refusal``) is one record about one initiative:
``period`` null, the plan's policy id, version and sha256, ``evaluated_at`` the time of signing, and
the payload ``{"plan": <first seq>, "role": ..., "by": ..., "note": ...}`` (a refusal holds
``"reason"`` instead of ``"note"``). Only events that name the plan count towards its positions.

A **reading** (kind ``reading``) is one accepted outcome reading of one initiative and quarter, recorded
by ``review --ledger`` with the quarter it belongs to: ``period`` the quarter, ``evaluated_at`` the time
of the review, the payload ``{"plan": <first seq>, "reading": <the reading as outcome_to_record gives
it>, "flags": [{"code", "message"}, ...]}`` (flags only when its spend did not reconcile and the policy's
``[spend] on_mismatch`` is ``"flag"``, :mod:`budgetpolicy.year.spend`). A **quarter** (kind ``quarter``, ``initiative_id`` empty) is one reviewed quarter: the payload
``{"plan": <first seq>, "period": ..., "review": <that quarter's moves>}`` (realisations, calibrations,
completions, sunsets, releases, reallocations, scale-ups and the money summary, as canonical JSON).

A **request** (kind ``request``) is one new initiative reviewed with a quarter: an initiative of the
``--initiatives`` file that the plan does not decide, decided under the plan's policy when the quarter is
recorded. ``period`` the quarter, the payload ``{"plan": <first seq>, "period": ..., "input": <the
initiative as the engine saw it>, "decision": <what the policy decided: outcome, score, expected value,
required approvers, flags, reasons>}``; what it was given is in the quarter's record (a ``request``
reallocation). A request recorded with quarter P never changes a quarter before P.

Reading needs no snapshot: records are only ever appended, so events appended while the plan is read
are simply read too, as if the read had started later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from attrs import evolve, frozen

from budgetpolicy.audit.batches import iter_batches
from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.errors import Location, PolicyLoadError, YearError
from budgetpolicy.model import Policy
from budgetpolicy.policy.load import load_policy_text

SIGNOFF, REFUSAL = "signoff", "refusal"
EVENT_KINDS = (SIGNOFF, REFUSAL)
READING, QUARTER, REQUEST = "reading", "quarter", "request"


@frozen
class PlannedDecision:
    """What the plan settled for one initiative: the outcome, the roles that must sign, the funding."""

    initiative_id: str
    outcome: str
    required_approvers: tuple[str, ...]
    funding: Decimal  # 0 when the plan gives it nothing
    seq: int
    department: str = ""  # from the recorded input: burn rates per department
    start: str | None = None  # the initiative's start quarter, from the recorded input
    title: str = ""  # from the recorded input, for the report of the year


@frozen
class Plan:
    """The funding plan: one recorded evaluation, named by the seq of its first record."""

    seq: int
    policy_id: str
    policy_version: str
    policy_sha256: str
    evaluated_at: str
    decisions: tuple[PlannedDecision, ...]

    def decision(self, initiative_id: str) -> PlannedDecision | None:
        return next((d for d in self.decisions if d.initiative_id == initiative_id), None)

    @property
    def where(self) -> str:
        return f"plan at record {self.seq}"


@frozen
class SignOff:
    """One recorded sign-off (``kind == "signoff"``) or refusal (``"refusal"``) of a plan's decision."""

    seq: int
    kind: str
    initiative_id: str
    plan: int
    role: str
    by: str
    at: str
    note: str | None = None
    reason: str | None = None

    @property
    def refused(self) -> bool:
        return self.kind == REFUSAL


@frozen
class RecordedReading:
    """One outcome reading recorded with a reviewed quarter; ``record`` as ``outcome_to_record`` gave it."""

    seq: int
    initiative_id: str
    period: str
    plan: int
    record: dict[str, Any]
    flags: tuple[dict[str, str], ...] = ()  # spend that did not reconcile, under [spend] on_mismatch = "flag"


@frozen
class RecordedQuarter:
    """One reviewed quarter as recorded: its moves (``review``: canonical JSON of the quarter's review)."""

    seq: int
    period: str
    plan: int
    at: str
    review: dict[str, Any]


@frozen
class RecordedRequest:
    """One new request recorded with a quarter: the initiative's input and the decision, as recorded."""

    seq: int
    initiative_id: str
    period: str
    plan: int
    input: dict[str, Any]
    decision: dict[str, Any]

    @property
    def required_approvers(self) -> tuple[str, ...]:
        return tuple(str(r) for r in self.decision.get("required_approvers", ()))

    @property
    def outcome(self) -> str:
        return str(self.decision.get("outcome", ""))


@frozen
class BudgetYear:
    """What a ledger holds about the year so far: the plan, its policy, and the events that name it."""

    plan: Plan
    policy: Policy
    events: tuple[SignOff, ...]
    path: str | None = None  # the ledger it was read from, for messages
    readings: tuple[RecordedReading, ...] = ()
    quarters: tuple[RecordedQuarter, ...] = ()  # in chain order, which is quarter order
    requests: tuple[RecordedRequest, ...] = ()  # new requests, in chain order

    def request(self, initiative_id: str) -> RecordedRequest | None:
        return next((r for r in self.requests if r.initiative_id == initiative_id), None)

    def before(self, seq: int) -> BudgetYear:
        """The year as it stood before record ``seq`` was appended."""
        return evolve(self, events=tuple(e for e in self.events if e.seq < seq),
                      readings=tuple(r for r in self.readings if r.seq < seq),
                      quarters=tuple(q for q in self.quarters if q.seq < seq),
                      requests=tuple(r for r in self.requests if r.seq < seq))

    def ids(self) -> list[str]:
        """Every initiative of the year: the plan's, then the requests'."""
        return [d.initiative_id for d in self.plan.decisions] + [r.initiative_id for r in self.requests]


def read_year(ledger: Ledger, plan: Plan | None = None) -> BudgetYear:
    """The latest plan of ``ledger`` (or ``plan``, one of :func:`plans`) with its policy (from the ledger's
    store) and its events; BP850 when the ledger holds no plan."""
    plan = plan or latest_plan(ledger)
    if plan is None:
        raise YearError("the ledger holds no funding plan (no decision records)", Location(file=ledger.path),
                        hint="record one first: budgetpolicy evaluate --policy POLICY --initiatives SOURCE "
                             f"--ledger {ledger.path}", code="BP850")
    found: dict[str, list[Any]] = {group: [] for group, _ in _PARSERS.values()}
    for record in ledger.iter_records_from(plan.seq):
        parser = _PARSERS.get(record.entry.kind)
        if parser is not None:
            group, parse = parser
            item = parse(record, ledger.path)
            if item.plan == plan.seq:  # only the events that name this plan count for it
                found[group].append(item)
    return BudgetYear(plan, plan_policy(ledger, plan), tuple(found["events"]), ledger.path,
                      tuple(found["readings"]), tuple(found["quarters"]), tuple(found["requests"]))


def plans(ledger: Ledger) -> list[Plan]:
    """Every plan of ``ledger``, oldest first: each batch of decision records one ``evaluate --ledger``
    appended (the grouping replay uses, :func:`budgetpolicy.audit.batches.iter_batches`)."""
    return [Plan(batch.records[0].seq, batch.records[0].entry.policy_id, batch.records[0].entry.policy_version,
                 batch.policy_sha256, batch.evaluated_at, tuple(_planned(r, ledger.path) for r in batch.records))
            for batch in iter_batches(ledger.iter_records()) if batch.kind == "decision"]


def latest_plan(ledger: Ledger) -> Plan | None:
    """The latest batch of decision records, or None when the ledger has none."""
    members: list[LedgerRecord] = []
    key: tuple[str, str, str | None] | None = None
    ids: set[str] = set()
    for record in ledger.iter_newest_first():
        entry = record.entry
        if entry.kind != "decision":
            if members:
                break
            continue
        this = (entry.policy_sha256, entry.evaluated_at, entry.period)
        if members and (this != key or entry.initiative_id in ids):
            break
        key = this
        members.append(record)
        ids.add(entry.initiative_id)
    if not members:
        return None
    members.reverse()
    first = members[0].entry
    return Plan(members[0].seq, first.policy_id, first.policy_version, first.policy_sha256, first.evaluated_at,
                tuple(_planned(record, ledger.path) for record in members))


def _planned(record: LedgerRecord, path: str) -> PlannedDecision:
    payload = record.entry.data()
    decision = payload.get("decision")
    snapshot = payload.get("input")
    given: dict[str, Any] = snapshot if isinstance(snapshot, dict) else {}
    start = given.get("start")
    try:
        funding = decision.get("funding") or {}
        amount = Decimal(funding.get("amount", "0"))
        return PlannedDecision(record.entry.initiative_id, str(decision["outcome"]),
                               tuple(str(r) for r in decision.get("required_approvers", ())), amount, record.seq,
                               str(given.get("department") or ""), start if isinstance(start, str) else None,
                               str(given.get("title") or ""))
    except (AttributeError, KeyError, TypeError, InvalidOperation):
        raise _bad_record(record, path, "is a decision without a readable outcome, approvers or funding") from None


def plan_policy(ledger: Ledger, plan: Plan) -> Policy:
    """The plan's policy, loaded from the text the ledger stores for its sha256 (BP806 when missing)."""
    stored = ledger.stored_policy(plan.policy_sha256)
    try:
        return load_policy_text(stored.text, f"{ledger.path} (policy {plan.policy_sha256[:12]})")
    except PolicyLoadError as exc:
        raise YearError(f"the policy of the {plan.where} ({plan.policy_id} {plan.policy_version}) no longer "
                        f"loads: {exc.diagnostics[0].message}", Location(file=ledger.path, key=plan.where),
                        hint="read it with an older budgetpolicy, or record a new plan", code="BP858") from exc


def _event(record: LedgerRecord, path: str) -> SignOff:
    entry = record.entry
    data = entry.data()
    text_key = "reason" if entry.kind == REFUSAL else "note"
    values: dict[str, Any] = data if isinstance(data, dict) else {}
    plan, role, by, text = (values.get(k) for k in ("plan", "role", "by", text_key))
    if not (isinstance(plan, int) and isinstance(role, str) and isinstance(by, str)
            and (text is None or isinstance(text, str))):
        raise _bad_record(record, path, f"is a {entry.kind} without a plan seq, role and signer")
    return SignOff(record.seq, entry.kind, entry.initiative_id, plan, role, by, entry.evaluated_at,
                   **{text_key: text})


def _reading(record: LedgerRecord, path: str) -> RecordedReading:
    entry = record.entry
    data = entry.data()
    values: dict[str, Any] = data if isinstance(data, dict) else {}
    plan, reading, flags = values.get("plan"), values.get("reading"), values.get("flags", [])
    if not (isinstance(plan, int) and isinstance(reading, dict) and isinstance(entry.period, str)
            and reading.get("initiative_id") == entry.initiative_id and reading.get("period") == entry.period):
        raise _bad_record(record, path, "is a reading without a plan seq and a reading of its initiative and period")
    if not (isinstance(flags, list) and all(isinstance(f, dict) and isinstance(f.get("code"), str)
                                            and isinstance(f.get("message"), str) for f in flags)):
        raise _bad_record(record, path, "is a reading whose flags are not a list of codes and messages")
    return RecordedReading(record.seq, entry.initiative_id, entry.period, plan, reading, tuple(flags))


def _quarter(record: LedgerRecord, path: str) -> RecordedQuarter:
    entry = record.entry
    data = entry.data()
    values: dict[str, Any] = data if isinstance(data, dict) else {}
    plan, period, moves = values.get("plan"), values.get("period"), values.get("review")
    if not (isinstance(plan, int) and isinstance(period, str) and period == entry.period and isinstance(moves, dict)):
        raise _bad_record(record, path, "is a quarter without a plan seq, its period and its review")
    return RecordedQuarter(record.seq, period, plan, entry.evaluated_at, moves)


def _request(record: LedgerRecord, path: str) -> RecordedRequest:
    entry = record.entry
    data = entry.data()
    values: dict[str, Any] = data if isinstance(data, dict) else {}
    plan, period, given, decision = (values.get(k) for k in ("plan", "period", "input", "decision"))
    if not (isinstance(plan, int) and isinstance(period, str) and period == entry.period
            and isinstance(given, dict) and isinstance(decision, dict)
            and given.get("id") == entry.initiative_id and decision.get("initiative_id") == entry.initiative_id):
        raise _bad_record(record, path, "is a request without a plan seq, its period, input and decision")
    return RecordedRequest(record.seq, entry.initiative_id, period, plan, given, decision)


# Each year event kind: the BudgetYear field it goes to (sign-offs and refusals together, in chain order)
# and its reader.
_PARSERS: dict[str, tuple[str, Callable[[LedgerRecord, str], Any]]] = {
    SIGNOFF: ("events", _event), REFUSAL: ("events", _event), READING: ("readings", _reading),
    QUARTER: ("quarters", _quarter), REQUEST: ("requests", _request)}


def _bad_record(record: LedgerRecord, path: str, problem: str) -> YearError:
    return YearError(f"record {record.seq} ({record.entry.initiative_id}) {problem}",
                     Location(file=path, key=f"record {record.seq}"), code="BP858",
                     hint="the record was not written by budgetpolicy; check the ledger with 'budgetpolicy "
                          "ledger verify'")


def event_entry(plan: Plan, kind: str, initiative_id: str, role: str, by: str, at: dt.datetime,
                text: str | None) -> LedgerEntry:
    """The ledger entry of a sign-off (``text``: its note) or refusal (``text``: its reason)."""
    text_key = "reason" if kind == REFUSAL else "note"
    return LedgerEntry.of(kind, initiative_id, None, plan.policy_id, plan.policy_version, plan.policy_sha256,
                          at.isoformat(), {"plan": plan.seq, "role": role, "by": by, text_key: text})


def reading_entry(plan: Plan, record: dict[str, Any], at: str,
                  flags: list[dict[str, str]] | None = None) -> LedgerEntry:
    """The ledger entry of one accepted reading (``record``: as ``outcome_to_record`` gives it), with its
    spend flags when there are any (a reading without flags is recorded as before they existed)."""
    payload: dict[str, Any] = {"plan": plan.seq, "reading": record}
    if flags:
        payload["flags"] = flags
    return LedgerEntry.of(READING, record["initiative_id"], record["period"], plan.policy_id, plan.policy_version,
                          plan.policy_sha256, at, payload)


def quarter_entry(plan: Plan, period: str, moves: dict[str, Any], at: str) -> LedgerEntry:
    """The ledger entry of one reviewed quarter (``moves``: canonical JSON of its review)."""
    return LedgerEntry.of(QUARTER, "", period, plan.policy_id, plan.policy_version, plan.policy_sha256, at,
                          {"plan": plan.seq, "period": period, "review": moves})


def request_entry(plan: Plan, period: str, given: dict[str, Any], decision: dict[str, Any], at: str) -> LedgerEntry:
    """The ledger entry of one new request reviewed with ``period`` (``given``: the initiative as the
    engine saw it, ``decision``: what the policy decided; both as canonical JSON data)."""
    return LedgerEntry.of(REQUEST, decision["initiative_id"], period, plan.policy_id, plan.policy_version,
                          plan.policy_sha256, at, {"plan": plan.seq, "period": period, "input": given,
                                                   "decision": decision})


def recorded_time(text: str) -> dt.datetime | None:
    """A time a record holds (ISO 8601; UTC when it has no offset), or None when it is not one."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
