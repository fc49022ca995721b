"""Deciding a batch of initiatives column by column (the engine's fast path for whole batches).

:meth:`CompiledPolicy._decide_many` runs each initiative through its scores, environment and conditions
one at a time. When every condition of the policy has a column form (:mod:`budgetpolicy.expr.columns`)
and reads only initiative fields taken as they are, ``score`` and ``expected_value``, a batch is decided
here instead: the scores of the batch, each condition over the batch's columns (its operators run in C
over a whole column), and the rules' values looked up per initiative in the patterns the rule set
remembers. A pattern seen for the first time, or one whose reasons fill a template, is settled by the
rule set on that initiative's own environment, as the row path does.

:func:`decide_columns` answers ``None`` when the batch cannot go this way (a value the closures would
convert or refuse, a scorer or condition that raises): the caller then decides it row by row, which
gives the same decisions and reports the first failing initiative with its location, as always.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections import deque
from itertools import islice, repeat
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, cast

import attrs

from budgetpolicy.engine.score import ScoreProgram, Scored
from budgetpolicy.engine.symbols import AS_IS
from budgetpolicy.expr.columns import Batch
from budgetpolicy.model import Decision, FrozenMap, Initiative

if TYPE_CHECKING:
    from budgetpolicy.engine.approve import Approved

CHUNK = 2048  # initiatives per batch: columns stay small enough to sit in the CPU's caches

_TOTAL, _EXPECTED = itemgetter(0), itemgetter(1)  # Scored's fields, by position
_SCORED = {"score": _TOTAL, "expected_value": _EXPECTED}  # the names conditions read them by


def column_names(names: frozenset[str]) -> bool:
    """Whether a condition reading ``names`` can be decided column by column (fields as they are,
    ``score``, ``expected_value``)."""
    return all(name in AS_IS or name in _SCORED for name in names)


def decide_columns(chunk: Sequence[Initiative], score: ScoreProgram, columns: tuple[Any, ...],
                   settle: Callable[[tuple[Any, ...], Initiative, Scored], Approved],
                   patterns: dict[tuple[Any, ...], Approved], calibration: FrozenMap) -> list[Decision] | None:
    """The decisions of ``chunk`` (see the module docstring), or None to decide it row by row.

    ``settle(values, initiative, scored)``: what the rules come to for a pattern not remembered."""
    try:
        scored = score.many(chunk)
        if scored is None:
            scored = list(map(score, chunk))
    except Exception:  # the row path raises the first failure in order, located
        return None

    def read(name: str) -> list[Any]:
        pick = _SCORED.get(name)
        return list(map(pick, scored)) if pick is not None else list(map(attrgetter(name), chunk))

    batch = Batch(read)
    n = len(chunk)
    try:
        keys = list(islice(zip(*[fn(batch) for fn in columns]), n)) if columns else [()] * n
        found: list[Approved | None] = list(map(patterns.get, keys))
    except Exception:  # Unsuitable values, or a condition that fails: the closures decide (and report)
        return None
    approved = cast("list[Approved]", found) if None not in found else \
        [settle(keys[k], chunk[k], scored[k]) if a is None else a for k, a in enumerate(found)]
    return _new_decisions(list(map(_ID, chunk)), approved, scored, calibration)


_ID = attrgetter("id")


def _decision_setters() -> tuple[Any, ...] | None:
    names = tuple(a.name for a in attrs.fields(Decision))
    if names != ("initiative_id", "outcome", "score", "expected_value", "required_approvers", "flags", "reasons",
                 "funding", "provenance", "calibration", "calls"):
        return None  # Decision's fields changed: the attrs constructor below
    return tuple(getattr(Decision, name).__set__ for name in names)


_SETTERS = _decision_setters()
_new_object = object.__new__


def _new_decisions(ids: list[str], approved: list[Approved], scored: list[Scored],
                   calibration: FrozenMap) -> list[Decision]:
    """``Decision(id, a.outcome, s.total, s.expected_value, a.roles, a.flags, a.reasons, calibration=calibration)``
    for each, made slot by slot over the whole batch: new objects, then each slot filled for all of them
    by its descriptor in a C loop (the attrs constructor sets each field with a generic attribute call, a
    frozen class, one decision at a time). The same values; the tests compare the two field by field."""
    if _SETTERS is None:
        return [Decision(i, a.outcome, s.total, s.expected_value, a.roles, a.flags, a.reasons, calibration=calibration)
                for i, a, s in zip(ids, approved, scored)]
    n = len(ids)
    made = list(map(_new_object, repeat(Decision, n)))
    s_id, s_outcome, s_score, s_ev, s_roles, s_flags, s_reasons, s_funding, s_provenance, s_cal, s_calls = _SETTERS
    for setter, values in ((s_id, ids), (s_outcome, map(_OUTCOME, approved)), (s_score, map(_TOTAL, scored)),
                           (s_ev, map(_EXPECTED, scored)), (s_roles, map(_ROLES, approved)),
                           (s_flags, map(_FLAGS, approved)), (s_reasons, map(_REASONS, approved)),
                           (s_funding, repeat(None)), (s_provenance, repeat(None)), (s_cal, repeat(calibration)),
                           (s_calls, repeat(()))):
        deque(map(setter, made, values), maxlen=0)  # runs the loop in C, keeps nothing
    return made


_OUTCOME, _ROLES, _FLAGS, _REASONS = (attrgetter(name) for name in ("outcome", "roles", "flags", "reasons"))
