"""Turn xAPI statements into outcome records (one per initiative and quarter) and per-course totals.

The rules, in the order they apply to each statement:

1. Voiding statements (verb ``voided``) remove the statement they reference,
   as the xAPI spec requires; neither is counted (:attr:`Aggregate.voided`).
2. The initiative: the budgetpolicy extension :data:`INITIATIVE_EXT` in
   ``context.extensions`` (or ``object.definition.extensions``) when a system
   sets it, else the mapping (:mod:`budgetpolicy_xapi.mapping`) of the
   statement's activity id. Statements on activities that are not mapped are
   other LRS traffic: counted per activity id and reported, never outcomes.
3. The verb: ``completed``, ``passed`` and ``failed`` mean what they say; any
   other ADL verb (registered, launched, scored...) is activity; a verb
   declared in the mapping's ``[verbs]`` has the role declared there. Any
   other verb is unknown: the statement is not counted, and the verb is
   counted and reported with the statements' ids.
4. The period is the quarter of ``timestamp`` in UTC (``stored`` when the
   statement has no timestamp, which is what the LRS would have used).
5. Enrolled learners: distinct actors with a counted statement for the
   initiative in the quarter. Completed: a ``completed`` or ``passed``
   statement, or ``result.completion: true`` on a statement that is not an
   assessment, unless its verb is ``failed`` or ``result.success`` is false
   (tincan's failed statements carry ``completion: true``); never on a
   pre-assessment (finishing the pre-test is not finishing the programme).
   ``completion_rate`` = completed / enrolled, 4 decimal places;
   ``participants`` = enrolled.
6. Pass rate: each learner's latest ``passed``/``failed`` verdict (outside
   pre-assessments); ``pass_rate`` = passed / learners with a verdict, 4
   decimal places (left out when no learner has a verdict).
7. Scores: ``scaled``, else ``(raw - min) / (max - min)``; a raw score alone
   cannot be scaled, so the statement counts for its verb and its score is
   noted as unused. A learner's latest score counts (retakes replace earlier
   attempts). ``pre_assessment``/``post_assessment`` = the learners' mean
   score x 100 on statements whose activity is a pre- or post-assessment
   (extension :data:`ASSESSMENT_EXT`, or the mapping's ``[assessments]``);
   the mean scaled score of a course is over its non-pre statements.

A statement that cannot be read (no actor, a bad timestamp, a contradictory
or negative score...) is a problem located by file, row (its position in the
stream, 1-based) and field, naming the statement's id. The source fails on
them, or with ``skip-invalid`` leaves them out and reports each.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from attrs import define, field, frozen

from budgetpolicy.errors import Diagnostic, Location
from budgetpolicy_xapi.fields import ADL, ADL_VERBS, Score, actor_key, get, quarter, score_of, timestamp_of
from budgetpolicy_xapi.mapping import ActivityMapping

__all__ = ["ASSESSMENT_EXT", "Aggregate", "INITIATIVE_EXT", "Totals", "aggregate", "quarter"]

COMPLETED, PASSED, FAILED, VOIDED = (ADL + v for v in ("completed", "passed", "failed", "voided"))
INITIATIVE_EXT = "https://budgetpolicy.dev/xapi/extensions/initiative"
ASSESSMENT_EXT = "https://budgetpolicy.dev/xapi/extensions/assessment"
RATE_QUANTUM, SCORE_QUANTUM = Decimal("0.0001"), Decimal("0.01")
HUNDRED = Decimal(100)
_ROLES = {COMPLETED: "completed", PASSED: "passed", FAILED: "failed"}


@frozen
class Totals:
    """What one course (or one initiative, ``course`` = ``"*"``) adds up to in one quarter."""

    initiative_id: str
    course: str
    period: str
    statements: int
    learners: int
    completed: int
    passed: int
    failed: int
    completion_rate: Decimal
    pass_rate: Decimal | None
    mean_scaled: Decimal | None


@frozen
class Aggregate:
    """The outcome records and everything the statements said besides them."""

    records: tuple[tuple[Location, dict[str, Any]], ...]
    problems: tuple[Diagnostic, ...]        # statements that could not be read, each located
    courses: tuple[Totals, ...]             # per course (mapping key or activity id) and quarter
    initiatives: tuple[Totals, ...]         # per initiative and quarter
    statements: int = 0
    voided: int = 0
    unmapped_activities: Mapping[str, int] = field(factory=dict)      # activity id -> statements
    unknown_verbs: Mapping[str, tuple[str, ...]] = field(factory=dict)  # verb id -> statement ids
    unscored: tuple[Diagnostic, ...] = ()   # notes: scores that could not be scaled (statement counted)

    @property
    def unmapped(self) -> int:
        return sum(self.unmapped_activities.values())


@frozen
class _Read:
    """One counted statement, reduced to what the tallies need."""

    actor: str
    when: dt.datetime
    role: str
    phase: str | None
    score: Decimal | None
    completion: bool


@define
class _Tally:
    location: Location
    statements: int = 0
    enrolled: set[str] = field(factory=set)
    completed: set[str] = field(factory=set)
    verdicts: dict[str, tuple[dt.datetime, bool]] = field(factory=dict)
    # "pre" / "post" / "other" -> learner -> (when, scaled): the latest attempt wins.
    scores: dict[str, dict[str, tuple[dt.datetime, Decimal]]] = field(
        factory=lambda: {"pre": {}, "post": {}, "other": {}})

    def add(self, s: _Read) -> None:
        self.statements += 1
        self.enrolled.add(s.actor)
        if s.completion:
            self.completed.add(s.actor)
        if s.role in ("passed", "failed") and s.phase != "pre":
            _latest(self.verdicts, s.actor, s.when, s.role == "passed")
        if s.score is not None:
            _latest(self.scores[s.phase or "other"], s.actor, s.when, s.score)

    def totals(self, initiative: str, course: str, period: str) -> Totals:
        passed = sum(1 for _, ok in self.verdicts.values() if ok)
        non_pre = dict(self.scores["other"])
        for actor, (when, score) in self.scores["post"].items():
            _latest(non_pre, actor, when, score)
        return Totals(initiative, course, period, self.statements, len(self.enrolled), len(self.completed),
                      passed, len(self.verdicts) - passed, _share(len(self.completed), len(self.enrolled)),
                      _share(passed, len(self.verdicts)) if self.verdicts else None,
                      _mean([s for _, s in non_pre.values()], RATE_QUANTUM))

    def record(self, initiative: str, period: str) -> dict[str, Any]:
        record: dict[str, Any] = {"initiative_id": initiative, "period": period,
                                  "completion_rate": _share(len(self.completed), len(self.enrolled))}
        for phase in ("pre", "post"):
            mean = _mean([s * HUNDRED for _, s in self.scores[phase].values()], SCORE_QUANTUM)
            if mean is not None:
                record[f"{phase}_assessment"] = mean
        # The learning chain's readings the statements carry: the share of verdicts that passed, and
        # the people enrolled. Training hours are not derived (see the README).
        if self.verdicts:
            passed = sum(1 for _, ok in self.verdicts.values() if ok)
            record["pass_rate"] = _share(passed, len(self.verdicts))
        record["participants"] = len(self.enrolled)
        return record


def _latest(table: dict[str, tuple[dt.datetime, Any]], actor: str, when: dt.datetime, value: Any) -> None:
    previous = table.get(actor)
    if previous is None or when >= previous[0]:
        table[actor] = (when, value)


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(RATE_QUANTUM, ROUND_HALF_EVEN)


def _mean(values: list[Decimal], quantum: Decimal) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / Decimal(len(values))).quantize(quantum, ROUND_HALF_EVEN)


class _Reader:
    """Reads statements one at a time into the tallies; problems and notes are collected, not raised."""

    def __init__(self, file: str, mapping: ActivityMapping | None) -> None:
        self.file, self.mapping = file, mapping or ActivityMapping()
        self.problems: list[Diagnostic] = []
        self.unscored: list[Diagnostic] = []
        self.unmapped: Counter[str] = Counter()
        self.unknown: dict[str, list[str]] = {}
        self.initiatives: dict[tuple[str, str], _Tally] = {}
        self.courses: dict[tuple[str, str, str], _Tally] = {}
        self.voided = 0

    def problem(self, row: int, statement: Any, message: str, where: str, hint: str | None = None) -> None:
        sid = statement.get("id") if isinstance(statement, Mapping) else None
        prefix = f"statement {sid}: " if isinstance(sid, str) and sid else ""
        self.problems.append(Diagnostic("BP490", prefix + message, Location(file=self.file, row=row, field=where),
                                        hint))

    def read(self, row: int, statement: Any, voided_ids: set[Any]) -> None:
        if not isinstance(statement, Mapping):
            self.problem(row, statement, f"a statement must be a JSON object, got {type(statement).__name__}",
                         "statement")
            return
        if get(statement, "verb", "id") == VOIDED or statement.get("id") in voided_ids:
            self.voided += 1
            return
        target = self._initiative(row, statement)
        if target is None:
            return
        initiative, course, location, phase = target
        role = self._role(row, statement)
        if role is None:
            return
        counted = self._counted(row, statement, role, phase)
        if counted is None:
            return
        key = (initiative, quarter(counted.when))
        self.initiatives.setdefault(key, _Tally(location)).add(counted)
        self.courses.setdefault((initiative, course, key[1]), _Tally(location)).add(counted)

    def _initiative(self, row: int, statement: Mapping[str, Any]) -> tuple[str, str, Location, str | None] | None:
        activity = get(statement, "object", "id")
        activity = activity if isinstance(activity, str) else ""
        tagged = _extension(statement, INITIATIVE_EXT)
        if tagged is not None:
            if not isinstance(tagged, str) or not tagged.strip():
                self.problem(row, statement, f"initiative id must be a non-empty string, got {tagged!r}",
                             f"context.extensions.{INITIATIVE_EXT}")
                return None
            initiative, course, location = tagged.strip(), activity, Location(file=self.file, row=row)
        else:
            entry = self.mapping.initiative(activity) if activity else None
            if entry is None:
                self.unmapped[activity or "(no activity id)"] += 1
                return None
            initiative, course, location = entry.value, entry.key, entry.location
        phase = _extension(statement, ASSESSMENT_EXT)
        if phase is None and activity:
            phase = self.mapping.phase(activity)
        if phase not in (None, "pre", "post"):
            self.problem(row, statement, f"assessment phase must be \"pre\" or \"post\", got {phase!r}",
                         f"context.extensions.{ASSESSMENT_EXT}")
            return None
        return initiative, course, location, phase

    def _role(self, row: int, statement: Mapping[str, Any]) -> str | None:
        verb = get(statement, "verb", "id")
        if not isinstance(verb, str) or not verb:
            self.problem(row, statement, "the statement has no verb id", "verb.id",
                         "an xAPI statement needs verb.id, an IRI")
            return None
        declared = self.mapping.verb_role(verb)
        if declared is not None:
            return declared
        if verb in ADL_VERBS:
            return _ROLES.get(verb, "activity")
        sid = statement.get("id")
        self.unknown.setdefault(verb, []).append(sid if isinstance(sid, str) else f"row {row}")
        return None

    def _counted(self, row: int, statement: Mapping[str, Any], role: str, phase: str | None) -> _Read | None:
        actor = actor_key(statement.get("actor"))
        if actor is None:
            self.problem(row, statement, "actor has no mbox, mbox_sha1sum, openid or account", "actor",
                         "an xAPI actor needs exactly one inverse functional identifier")
            return None
        when = timestamp_of(statement)
        if isinstance(when, str):
            self.problem(row, statement, when, "timestamp", "use ISO 8601 with a time zone, e.g. 2026-02-03T09:30:00Z")
            return None
        score = score_of(get(statement, "result", "score"))
        if isinstance(score, str):
            self.problem(row, statement, score, "result.score",
                         "give result.score.scaled (0..1) or raw with min and max")
            return None
        if isinstance(score, Score) and score.note is not None:
            sid = statement.get("id")
            self.unscored.append(Diagnostic("BP494", f"statement {sid}: {score.note}; counted for its verb, "
                                            "score not used", Location(file=self.file, row=row, field="result.score"),
                                            "give score.min and score.max, or score.scaled", severity="warning"))
        finished = role in ("completed", "passed") or (
            get(statement, "result", "completion") is True and phase is None and role != "failed"
            and get(statement, "result", "success") is not False)
        return _Read(actor, when, role, phase, score.scaled if isinstance(score, Score) else None,
                     finished and phase != "pre")

    def result(self, statements: int) -> Aggregate:
        records = tuple((t.location, t.record(i, p)) for (i, p), t in sorted(self.initiatives.items()))
        return Aggregate(
            records, tuple(self.problems),
            tuple(t.totals(i, c, p) for (i, c, p), t in sorted(self.courses.items())),
            tuple(t.totals(i, "*", p) for (i, p), t in sorted(self.initiatives.items())),
            statements, self.voided, dict(sorted(self.unmapped.items())),
            {verb: tuple(ids) for verb, ids in sorted(self.unknown.items())}, tuple(self.unscored))


def _extension(statement: Mapping[str, Any], key: str) -> Any:
    value = get(statement, "context", "extensions", key)
    return get(statement, "object", "definition", "extensions", key) if value is None else value


def aggregate(statements: Iterable[Any], file: str, mapping: ActivityMapping | None = None) -> Aggregate:
    """Outcome records (sorted by initiative, then period), per-course totals, and every problem found."""
    statements = list(statements)
    voided_ids = {get(s, "object", "id") for s in statements
                  if isinstance(s, Mapping) and get(s, "verb", "id") == VOIDED}
    reader = _Reader(file, mapping)
    for row, statement in enumerate(statements, start=1):
        reader.read(row, statement, voided_ids)
    return reader.result(len(statements))
