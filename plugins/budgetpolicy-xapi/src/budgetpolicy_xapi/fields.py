"""Reading the parts of one xAPI statement: who, when, which verb, what score.

Each reader returns the value, or a message (``str``) saying what is wrong
with the statement, which the caller turns into a located problem. Numbers are
``Decimal`` (statements are parsed with ``parse_float=Decimal``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from attrs import frozen

__all__ = ["ADL", "ADL_VERBS", "Score", "actor_key", "get", "quarter", "score_of", "timestamp_of"]

ADL = "http://adlnet.gov/expapi/verbs/"
# The ADL vocabulary (xAPI 1.0.3 and its ADL registry): verbs a learning system emits in practice.
# Anything else is an unknown verb: counted and reported, never guessed at (see outcomes.py).
ADL_VERBS = frozenset(ADL + name for name in (
    "answered", "asked", "attempted", "attended", "commented", "completed", "exited", "experienced",
    "failed", "imported", "initialized", "interacted", "launched", "mastered", "passed", "preferred",
    "progressed", "registered", "responded", "resumed", "scored", "shared", "suspended", "terminated",
    "voided"))


@frozen
class Score:
    """A usable score as a scaled value in 0..1 (``None`` with a note when it cannot be scaled)."""

    scaled: Decimal | None
    note: str | None = None


def get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def quarter(when: dt.datetime) -> str:
    return f"{when.year}-Q{(when.month - 1) // 3 + 1}"


def actor_key(actor: Any) -> str | None:
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


def timestamp_of(statement: Mapping[str, Any]) -> dt.datetime | str:
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


def score_of(score: Any) -> Score | str | None:
    """The statement's ``result.score`` scaled to 0..1: ``scaled``, else ``(raw - min) / (max - min)``.

    ``None`` when there is no score. A score that cannot be scaled (``raw`` alone, the usual case for
    points in a game or a quiz without a maximum) is not an error: it gives ``Score(None, note)`` and
    the statement still counts for its verb. Contradictions are errors (a message): a scaled value
    outside -1..1, a negative scaled value (a percentage of the range cannot be below 0; the
    statement is reported on its row rather than silently clamped), raw outside min..max.
    """
    if score is None:
        return None
    if not isinstance(score, Mapping):
        return f"result.score must be an object, got {type(score).__name__}"
    if "scaled" in score:
        scaled = _number(score.get("scaled"))
        if scaled is None:
            return f"result.score.scaled must be a number, got {score.get('scaled')!r}"
        if not -1 <= scaled <= 1:
            return f"result.score.scaled {scaled} is outside -1..1"
        if scaled < 0:
            return f"result.score.scaled {scaled} is negative: a score below the range cannot be averaged"
        return Score(scaled)
    raw, low, high = (_number(score.get(k)) for k in ("raw", "min", "max"))
    if raw is None:
        return Score(None, f"result.score has no scaled and no numeric raw value: {dict(score)!r}")
    if low is None or high is None:
        return Score(None, f"score.raw {raw} without min and max cannot be scaled")
    if high <= low:
        return f"result.score min {low} is not below max {high}"
    if not low <= raw <= high:
        return f"result.score raw {raw} is not within min {low} .. max {high}"
    return Score((raw - low) / (high - low))
