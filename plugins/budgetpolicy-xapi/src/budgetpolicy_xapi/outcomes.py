"""Turn xAPI statements into outcome records, one per initiative and quarter.

The rules, in the order they apply:

- A statement belongs to an initiative through the extension
  :data:`INITIATIVE_EXT` in ``context.extensions`` (or, failing that, in
  ``object.definition.extensions``). Statements without it are about other
  activities in the LRS and are not outcomes of any initiative; they are
  counted in :attr:`Aggregate.unmapped`, never reported as outcomes.
- Voiding statements (verb ``voided``) remove the statement they reference,
  as the xAPI spec requires; voided statements are not counted at all.
- The period is the quarter of ``timestamp`` in UTC (``stored`` when the
  statement has no timestamp, which is what the LRS would have used).
- Enrolled learners: distinct actors with any statement for the initiative in
  the quarter. Completed learners: those with a ``completed`` statement or a
  ``result.completion`` of true on a statement that is not an assessment (a
  finished pre-test is not a finished programme).
  ``completion_rate`` = completed / enrolled, to 4 decimal places.
- Assessments: statements with a ``result.score`` and the extension
  :data:`ASSESSMENT_EXT` = ``"pre"`` or ``"post"``. A score is
  ``scaled`` x 100, or ``(raw - min) / (max - min)`` x 100, i.e. a percentage.
  Each learner's latest score per phase counts once (retakes replace earlier
  attempts); ``pre_assessment``/``post_assessment`` are the learners' mean.

Malformed statements that do belong to an initiative are reported all at
once with the file, the statement's position (row, 1-based) and the field.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from attrs import define, field

from budgetpolicy.errors import Diagnostic, Location

VERBS = "http://adlnet.gov/expapi/verbs/"
COMPLETED, VOIDED = VERBS + "completed", VERBS + "voided"
INITIATIVE_EXT = "https://budgetpolicy.dev/xapi/extensions/initiative"
ASSESSMENT_EXT = "https://budgetpolicy.dev/xapi/extensions/assessment"
RATE_QUANTUM, SCORE_QUANTUM = Decimal("0.0001"), Decimal("0.01")
HUNDRED = Decimal(100)


@define
class _Bucket:
    """What one initiative's statements in one quarter add up to."""

    first_row: int
    enrolled: set[str] = field(factory=set)
    completed: set[str] = field(factory=set)
    # phase -> actor -> (timestamp, score): the latest attempt wins.
    scores: dict[str, dict[str, tuple[dt.datetime, Decimal]]] = field(factory=lambda: {"pre": {}, "post": {}})


@define
class Aggregate:
    records: list[tuple[Location, dict[str, Any]]]
    problems: list[Diagnostic]
    unmapped: int = 0
    voided: int = 0


def aggregate(statements: Iterable[Any], file: str) -> Aggregate:
    """Outcome records (sorted by initiative, then period) and every problem found."""
    statements = list(statements)
    problems: list[Diagnostic] = []
    voided_ids = {_get(s, "object", "id") for s in statements
                  if isinstance(s, Mapping) and _get(s, "verb", "id") == VOIDED}
    buckets: dict[tuple[str, str], _Bucket] = {}
    unmapped = voided = 0
    for row, statement in enumerate(statements, start=1):
        def problem(message: str, where: str, hint: str | None = None, _row: int = row) -> None:
            problems.append(Diagnostic("BP490", message, Location(file=file, row=_row, field=where), hint))

        if not isinstance(statement, Mapping):
            problem(f"a statement must be a JSON object, got {type(statement).__name__}", "statement")
            continue
        if _get(statement, "verb", "id") == VOIDED or statement.get("id") in voided_ids:
            voided += 1
            continue
        initiative = _get(statement, "context", "extensions", INITIATIVE_EXT)
        if initiative is None:
            initiative = _get(statement, "object", "definition", "extensions", INITIATIVE_EXT)
        if initiative is None:
            unmapped += 1
            continue
        if not isinstance(initiative, str) or not initiative.strip():
            problem(f"initiative id must be a non-empty string, got {initiative!r}",
                    f"context.extensions.{INITIATIVE_EXT}")
            continue
        actor = _actor(statement.get("actor"))
        if actor is None:
            problem("actor has no mbox, mbox_sha1sum, openid or account", "actor",
                    "an xAPI actor needs exactly one inverse functional identifier")
            continue
        when = _timestamp(statement)
        if isinstance(when, str):
            problem(when, "timestamp", "use ISO 8601 with a time zone, e.g. 2026-02-03T09:30:00Z")
            continue
        bucket = buckets.setdefault((initiative.strip(), quarter(when)), _Bucket(first_row=row))
        bucket.enrolled.add(actor)
        phase = _get(statement, "context", "extensions", ASSESSMENT_EXT)
        if phase is None:
            phase = _get(statement, "object", "definition", "extensions", ASSESSMENT_EXT)
        if phase is None:
            # Only the programme's own activities count: finishing the pre-test
            # (result.completion on an assessment) is not finishing the course.
            if _get(statement, "verb", "id") == COMPLETED or _get(statement, "result", "completion") is True:
                bucket.completed.add(actor)
            continue
        if phase not in ("pre", "post"):
            problem(f"assessment phase must be \"pre\" or \"post\", got {phase!r}",
                    f"context.extensions.{ASSESSMENT_EXT}")
            continue
        score = _score(_get(statement, "result", "score"))
        if isinstance(score, str):
            problem(score, "result.score", "give result.score.scaled (-1..1) or raw with min and max")
            continue
        previous = bucket.scores[phase].get(actor)
        if previous is None or when >= previous[0]:
            bucket.scores[phase][actor] = (when, score)
    records = [(Location(file=file, row=b.first_row), _record(initiative, period, b))
               for (initiative, period), b in sorted(buckets.items())]
    return Aggregate(records, problems, unmapped, voided)


def quarter(when: dt.datetime) -> str:
    return f"{when.year}-Q{(when.month - 1) // 3 + 1}"


def _record(initiative: str, period: str, bucket: _Bucket) -> dict[str, Any]:
    rate = (Decimal(len(bucket.completed)) / Decimal(len(bucket.enrolled))).quantize(RATE_QUANTUM, ROUND_HALF_EVEN)
    record: dict[str, Any] = {"initiative_id": initiative, "period": period, "completion_rate": rate}
    for phase in ("pre", "post"):
        scores = [score for _, score in bucket.scores[phase].values()]
        if scores:
            mean = sum(scores, Decimal(0)) / Decimal(len(scores))
            record[f"{phase}_assessment"] = mean.quantize(SCORE_QUANTUM, ROUND_HALF_EVEN)
    return record


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _actor(actor: Any) -> str | None:
    """The actor's inverse functional identifier, the one key xAPI guarantees is stable."""
    if not isinstance(actor, Mapping):
        return None
    for key in ("mbox", "mbox_sha1sum", "openid"):
        if isinstance(actor.get(key), str) and actor[key]:
            return f"{key}:{actor[key].lower() if key == 'mbox' else actor[key]}"
    account = actor.get("account")
    if isinstance(account, Mapping) and account.get("homePage") and account.get("name"):
        return f"account:{account['homePage']}|{account['name']}"
    return None


def _timestamp(statement: Mapping[str, Any]) -> dt.datetime | str:
    raw = statement.get("timestamp") or statement.get("stored")
    if not isinstance(raw, str):
        return "statement has neither timestamp nor stored"
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        return f"timestamp {raw!r} is not ISO 8601"
    if when.tzinfo is None:
        return f"timestamp {raw!r} has no time zone, so its quarter is ambiguous"
    return when.astimezone(dt.timezone.utc)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    number = Decimal(value)
    return number if number.is_finite() else None


def _score(score: Any) -> Decimal | str:
    if not isinstance(score, Mapping):
        return "an assessment statement needs result.score"
    scaled = _number(score.get("scaled"))
    if scaled is not None:
        if not -1 <= scaled <= 1:
            return f"result.score.scaled {scaled} is outside -1..1"
        return scaled * HUNDRED
    raw, low, high = (_number(score.get(k)) for k in ("raw", "min", "max"))
    if raw is None or low is None or high is None:
        return f"result.score has no usable scaled, or raw with min and max: {dict(score)!r}"
    if high <= low or not low <= raw <= high:
        return f"result.score raw {raw} is not within min {low} .. max {high}"
    return (raw - low) / (high - low) * HUNDRED
