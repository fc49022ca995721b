"""Scoring: each rubric criterion's scorer, weighted into one total in 0..1.

Scorer factories are looked up in the plugin registry and called once, at
compile time; scoring an initiative only calls the returned closures. A scorer
that raises or returns something other than a 0..1 Decimal fails the run with
the plugin's name, the criterion and the initiative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from operator import add, attrgetter, itemgetter, methodcaller
from types import FunctionType
from typing import NamedTuple, cast

from attrs import field, frozen

from budgetpolicy.errors import Diagnostic, Location, PluginError, did_you_mean
from budgetpolicy.model import Criterion, Initiative, Policy, ScoreLine
from budgetpolicy.registry import Registry

ZERO, ONE = Decimal(0), Decimal(1)
# A scorer's one-line detail: text, or a function making it when the explanation is first read.
Detail = str | Callable[[], str]
_DETAIL_CLASSES = frozenset({str, FunctionType})  # the usual details, recognised without callable()


@frozen
class CompiledCriterion:
    """A rubric criterion with its scorer instantiated; build it with :meth:`of`."""

    criterion: Criterion
    weight: Decimal  # effective weight, normalised when the policy asks for it
    plugin: str
    fn: Callable[[Initiative], object]
    # Copied from the criterion once, for the scoring loop (a slot read, not a property call).
    id: str = field(eq=False, repr=False)
    expected_value: bool = field(eq=False, repr=False)  # its raw score adds to the decision's expected value

    @classmethod
    def of(cls, criterion: Criterion, weight: Decimal, plugin: str,
           fn: Callable[[Initiative], object]) -> "CompiledCriterion":
        return cls(criterion, weight, plugin, fn, criterion.id, criterion.scorer == "expected_value")


class Scored(NamedTuple):  # a tuple: made once per initiative (by the program through _new_tuple, a frame less)
    total: Decimal
    expected_value: Decimal
    raws: tuple[Decimal, ...]  # each criterion's 0..1 score, in rubric order

    def by_criterion(self, criteria: Sequence[CompiledCriterion]) -> dict[str, Decimal]:
        """Criterion id -> its score: what conditions see as ``scores``."""
        return {cc.id: raw for cc, raw in zip(criteria, self.raws)}


_new_tuple = tuple.__new__
_new_scored = partial(_new_tuple, Scored)  # Scored from a (total, expected, raws) tuple, in C
# For ScoreProgram.many: the ratings' dict of each initiative, the keys a rating memo holds, and the parts
# of a memo entry (value, weighted units, expected-value units).
_RATINGS = attrgetter("ratings._data")
_RATING_KEYS = frozenset({Decimal, type(None)})
_DECIMAL = frozenset({Decimal})
_VALUE, _UNITS, _EV_UNITS = itemgetter(0), itemgetter(1), itemgetter(2)
_DETAIL, _TUPLE, _PAIR = itemgetter(1), frozenset({tuple}), frozenset({2})  # a scorer's (value, detail)
_NO_ENTRY = (Decimal(0), 0, 0)  # stands in for a missing entry until that initiative is scored alone


def compile_scoring(policy: Policy, registry: Registry, diagnostics: list[Diagnostic]) -> tuple[CompiledCriterion, ...]:
    """Instantiate every criterion's scorer; problems are appended to ``diagnostics``."""
    criteria = policy.scoring.criteria
    weight_sum = sum((c.weight for c in criteria), ZERO)
    normalise = policy.scoring.weights == "normalise" and weight_sum > 0
    compiled: list[CompiledCriterion] = []
    file = policy.source.path if policy.source else None
    for index, criterion in enumerate(criteria):
        key = f"scoring.criteria[{index}].scorer"
        entry = registry.scorers.get(criterion.scorer)
        if entry is None:
            hint = did_you_mean(criterion.scorer, registry.scorers)
            available = ", ".join(sorted(registry.scorers))
            diagnostics.append(Diagnostic(
                "BP506", f"criterion '{criterion.id}': no plugin provides scorer '{criterion.scorer}'",
                Location(file=file, key=key), (hint + "; " if hint else "") + f"available: {available}"))
            continue
        params = {"criterion": criterion.id, **criterion.params}
        try:
            fn = entry.obj(params, policy)
        except ValueError as exc:
            diagnostics.append(Diagnostic(
                "BP230", f"criterion '{criterion.id}': scorer '{criterion.scorer}': {exc}",
                Location(file=file, key=f"scoring.criteria[{index}].params"), "fix the parameters"))
            continue
        except Exception as exc:
            diagnostics.append(Diagnostic(
                "BP505", f"plugin '{entry.plugin}' scorer '{criterion.scorer}' raised {type(exc).__name__}: {exc}",
                Location(file=file, key=key), "report it to the plugin's authors or run with -p no:NAME"))
            continue
        if not callable(fn):
            diagnostics.append(Diagnostic(
                "BP503", f"plugin '{entry.plugin}' scorer '{criterion.scorer}' returned "
                f"{type(fn).__name__}, not a callable", Location(file=file, key=key)))
            continue
        weight = criterion.weight / weight_sum if normalise else criterion.weight
        compiled.append(CompiledCriterion.of(criterion, weight, entry.plugin, fn))
    return tuple(compiled)


def score_initiative(criteria: Sequence[CompiledCriterion], initiative: Initiative, precision: int) -> Scored:
    """Call every criterion's scorer for its value; the detail text is left to :func:`score_lines`,
    which an explanation calls (most decisions are never explained)."""
    quantum = _quantum(precision)
    raws: list[Decimal] = []
    total = expected_value = ZERO
    for cc in criteria:
        try:
            raw = cc.fn(initiative)
        except Exception as exc:
            raise _raised(cc, initiative, exc) from exc
        # _value(), inlined for the usual answer: a finite Decimal in 0..1, with or without a detail.
        if raw.__class__ is tuple and len(raw) == 2:
            raw = raw[0] if raw[1].__class__ in _DETAIL_CLASSES or callable(raw[1]) else raw
        if not (raw.__class__ is Decimal and raw.is_finite() and ZERO <= raw <= ONE):
            raw = _checked(cc, initiative, raw)
        # Quantize for a fixed precision, normalize so 0.250000 prints as 0.25 (equal either way).
        raw = raw.quantize(quantum, ROUND_HALF_EVEN).normalize()
        total += (raw * cc.weight).quantize(quantum, ROUND_HALF_EVEN)  # the total is normalized once, below
        if cc.expected_value:
            expected_value += raw
        raws.append(raw)
    return Scored(total.normalize(), expected_value.normalize(), tuple(raws))


class ScoreProgram:
    """:func:`score_initiative` for one policy's criteria, built once and called per initiative.

    The same answers, for less: each criterion remembers what its scorer's usual answers come to (the
    value quantized and normalized, its weighted share and its expected-value share, both as whole
    units of the policy's precision), so a rating seen before costs one dictionary lookup instead of
    four Decimal operations; the units add up as integers, exact where a Decimal sum of the same
    quantized values is (a precision of at most 15 places: sums stay far under the context's 28
    digits); the total is made a Decimal once. Only a finite Decimal answer in 0..1 is remembered
    (and only Decimals are looked up: ``True == 1`` and ``0.5 == Decimal("0.5")`` must not hit), so a
    bad answer meets the same checks, and errors, as before. The memos are bounded caches of pure
    results (scorers are pure: ``explain`` checks it), never decision state.

    A scorer whose answer depends on one rating alone (the built-in ``rubric`` says so with a
    ``rating_only`` attribute naming it, :data:`RATING_ONLY`) is not called at all for a rating seen
    before: the rating itself is looked up in a second memo that maps it to the same entry. Only a
    finite Decimal rating or a missing one is remembered, a zero entry is not used for a signed rating
    (-0 == 0 but prints otherwise), and a miss goes through the scorer as above.
    """

    __slots__ = ("criteria", "precision", "quantum", "scale", "steps", "totals", "exact")

    MEMO = 4096  # entries per criterion (and for totals): a continuous score stops adding, still correct

    def __init__(self, criteria: Sequence[CompiledCriterion], precision: int) -> None:
        self.criteria = tuple(criteria)
        self.precision = precision
        self.quantum = _quantum(precision)
        self.exact = 0 <= precision <= 15
        self.steps: tuple[tuple[CompiledCriterion, Callable[[Initiative], object],
                                dict[Decimal, tuple[Decimal, int, int]], bool, str | None,
                                dict[Decimal | None, tuple[Decimal, int, int]]], ...] = \
            tuple((cc, cc.fn, {}, cc.expected_value, _rating_only(cc.fn), {}) for cc in self.criteria)
        self.totals: dict[int, Decimal] = {}

    def __call__(self, initiative: Initiative) -> Scored:
        if not self.exact:
            return score_initiative(self.criteria, initiative, self.precision)
        total = expected = 0
        raws: list[Decimal] = []
        for cc, fn, memo, is_ev, rating, by_rating in self.steps:
            if rating is not None:  # a rating seen before: no scorer call (see the class docstring)
                key = initiative.ratings._data.get(rating)  # a FrozenMap's dict: a C-level get
                if key is None or key.__class__ is Decimal:
                    try:
                        entry = by_rating.get(key)
                    except TypeError:  # a signalling NaN cannot be hashed
                        entry = None
                    if entry is not None and (entry[0] or key is None or not key.is_signed()):
                        raws.append(entry[0])
                        total += entry[1]
                        if is_ev:
                            expected += entry[2]
                        continue
            try:
                raw = fn(initiative)
            except Exception as exc:
                raise _raised(cc, initiative, exc) from exc
            # The usual answers: a Decimal seen before, bare or with its detail (text or a function).
            value = raw[0] if raw.__class__ is tuple and len(raw) == 2 and raw[1].__class__ in _DETAIL_CLASSES \
                else raw
            try:
                entry = memo.get(value) if value.__class__ is Decimal else None
            except TypeError:  # a signalling NaN cannot be hashed; _entry's checks refuse it
                entry = None
            if entry is None or (not entry[0] and value.is_signed()):  # type: ignore[union-attr]  # -0 == 0, prints -0
                entry = self._entry(cc, initiative, raw, memo)
            if rating is not None and len(by_rating) < self.MEMO:  # `key`: the rating read above
                if key is None or (key.__class__ is Decimal and key.is_finite() and not key.is_signed()):
                    by_rating[key] = entry  # not a -0 (nor a -1): its entry could answer for a 0
            raws.append(entry[0])
            total += entry[1]
            if is_ev:
                expected += entry[2]
        totals = self.totals
        # `is None`, not `or`: the usual totals include 0, a false Decimal
        made = totals.get(total)
        if made is None:
            made = self._decimal(total)
        ev = totals.get(expected)
        if ev is None:
            ev = self._decimal(expected)
        return _new_tuple(Scored, (made, ev, tuple(raws)))

    def many(self, initiatives: Sequence[Initiative]) -> list[Scored] | None:
        """``[self(i) for i in initiatives]``, a criterion at a time over the whole batch (a batch decided by
        columns, engine/batch.py): each scorer mapped over the batch (a rating-only one not called, its
        ratings looked up), the entries looked up in the same memos, the units added column by column.
        An initiative with an answer not remembered yet (or a zero from a signed answer) is scored by
        ``self``. None when a scorer raises or answers other than a bare Decimal: score one at a time."""
        if not self.exact:
            return None
        n = len(initiatives)
        columns: list[list[tuple[Decimal, int, int]]] = []
        missing: set[int] = set()  # no entry yet, or a zero entry from a -0: scored one at a time by self
        try:
            for cc, fn, memo, is_ev, rating, by_rating in self.steps:
                if rating is not None:
                    keys = list(map(methodcaller("get", rating), map(_RATINGS, initiatives)))
                    if not set(map(type, keys)) <= _RATING_KEYS:
                        return None
                    found = list(map(by_rating.get, keys))
                else:
                    keys = list(map(fn, initiatives))
                    classes = set(map(type, keys))
                    if classes == _TUPLE:  # every answer with its detail (text or a function making it)
                        if set(map(len, keys)) != _PAIR or not set(map(type, map(_DETAIL, keys))) <= _DETAIL_CLASSES:
                            return None
                        keys = list(map(_VALUE, keys))
                        classes = set(map(type, keys))
                    if not classes <= _DECIMAL:
                        return None
                    found = list(map(memo.get, keys))
                missing.update([k for k, e in enumerate(found) if e is not None and not e[0]
                                and keys[k] is not None and keys[k].is_signed()])
                if None in found:
                    missing.update([k for k, e in enumerate(found) if e is None])
                    columns.append([_NO_ENTRY if e is None else e for e in found])
                else:
                    columns.append(cast("list[tuple[Decimal, int, int]]", found))
        except Exception:  # a scorer that raises (or a signalling NaN): one at a time reports it, located
            return None
        total: list[int] = [0] * n
        expected: list[int] = [0] * n
        for (_, _, _, is_ev, _, _), column in zip(self.steps, columns):
            total = list(map(add, total, map(_UNITS, column)))
            if is_ev:
                expected = list(map(add, expected, map(_EV_UNITS, column)))
        get = self.totals.get
        made = list(map(get, total))
        evs = list(map(get, expected))
        raws = zip(*[map(_VALUE, column) for column in columns]) if columns else [()] * n
        scored = list(map(_new_scored, zip(made, evs, raws)))
        for k in range(n):
            if k in missing:
                scored[k] = self(initiatives[k])
            elif made[k] is None or evs[k] is None:
                scored[k] = _new_tuple(Scored, (self._decimal(total[k]), self._decimal(expected[k]), scored[k][2]))
        return scored

    def _entry(self, cc: CompiledCriterion, initiative: Initiative, raw: object,
               memo: dict[Decimal, tuple[Decimal, int, int]]) -> tuple[Decimal, int, int]:
        if raw.__class__ is tuple and isinstance(raw, tuple) and len(raw) == 2:
            raw = raw[0] if raw[1].__class__ in _DETAIL_CLASSES or callable(raw[1]) else raw
        remember = raw.__class__ is Decimal
        if not (isinstance(raw, Decimal) and raw.__class__ is Decimal and raw.is_finite() and ZERO <= raw <= ONE):
            raw = _checked(cc, initiative, raw)
        assert isinstance(raw, Decimal)
        value = raw.quantize(self.quantum, ROUND_HALF_EVEN).normalize()
        weighted = (value * cc.weight).quantize(self.quantum, ROUND_HALF_EVEN)
        entry = (value, int(weighted.scaleb(self.precision)), int(value.scaleb(self.precision)))
        if remember and len(memo) < self.MEMO and not raw.is_signed():  # a -0 would answer for 0
            memo[raw] = entry
        return entry

    def _decimal(self, units: int) -> Decimal:
        known = self.totals.get(units)
        if known is None:
            known = Decimal(units).scaleb(-self.precision).normalize()
            if len(self.totals) < self.MEMO:
                self.totals[units] = known
        return known


# The attribute a scorer function carries when its answer depends only on the rating it names (and is
# pure): :class:`ScoreProgram` then remembers its entries by that rating. The built-in ``rubric`` sets it.
RATING_ONLY = "rating_only"


def _rating_only(fn: Callable[[Initiative], object]) -> str | None:
    rating = getattr(fn, RATING_ONLY, None)
    return rating if isinstance(rating, str) else None


def score_lines(criteria: Sequence[CompiledCriterion], initiative: Initiative,
                precision: int) -> tuple[tuple[ScoreLine, ...], Scored]:
    """The explanation of each criterion's score, with its scorer's detail text (a detail may be a
    function, called only here), and the scores the lines add up to: what :func:`score_initiative`
    gives for the same initiative, since scorers are pure."""
    quantum = _quantum(precision)
    lines: list[ScoreLine] = []
    raws: list[Decimal] = []
    total = expected_value = ZERO
    for cc in criteria:
        result = _call(cc, initiative)
        detail: Detail = ""
        if result.__class__ is tuple and len(result) == 2 and (result[1].__class__ is str or callable(result[1])):
            detail = result[1]
        raw = _value(cc, initiative, result).quantize(quantum, ROUND_HALF_EVEN).normalize()
        if not isinstance(detail, str):
            detail = _detail_text(cc, initiative, detail)
        weighted = (raw * cc.weight).quantize(quantum, ROUND_HALF_EVEN)
        total += weighted
        if cc.expected_value:
            expected_value += raw
        raws.append(raw)
        lines.append(ScoreLine(cc.id, cc.criterion.scorer, cc.weight, raw, weighted.normalize(), detail))
    return tuple(lines), Scored(total.normalize(), expected_value.normalize(), tuple(raws))


_QUANTA = {p: Decimal(1).scaleb(-p) for p in range(29)}


def _quantum(precision: int) -> Decimal:
    return _QUANTA.get(precision) or Decimal(1).scaleb(-precision)


def _call(cc: CompiledCriterion, initiative: Initiative) -> object:
    try:
        return cc.fn(initiative)
    except Exception as exc:
        raise _raised(cc, initiative, exc) from exc


def _raised(cc: CompiledCriterion, initiative: Initiative, exc: Exception) -> PluginError:
    return PluginError(f"{_where(cc)} raised {type(exc).__name__}: {exc} on initiative '{initiative.id}'",
                       initiative.location, code="BP505")


def _value(cc: CompiledCriterion, initiative: Initiative, result: object) -> Decimal:
    """The 0..1 Decimal of a scorer's answer (a value, or a (value, detail) pair)."""
    if result.__class__ is tuple and len(result) == 2 and (result[1].__class__ is str or callable(result[1])):
        result = result[0]
    # The usual answer, a finite Decimal in 0..1, takes two cheap checks; anything else the slow path.
    if result.__class__ is Decimal and result.is_finite() and ZERO <= result <= ONE:
        return result
    return _checked(cc, initiative, result)


def _detail_text(cc: CompiledCriterion, initiative: Initiative, detail: Callable[[], str]) -> str:
    try:
        text = detail()
    except Exception as exc:
        raise PluginError(f"{_where(cc)}: its detail raised {type(exc).__name__}: {exc} on initiative "
                          f"'{initiative.id}'", initiative.location, code="BP505") from exc
    if not isinstance(text, str):
        raise PluginError(f"{_where(cc)}: its detail returned {type(text).__name__} for initiative "
                          f"'{initiative.id}'; a detail must be text", initiative.location, code="BP503")
    return text


def _checked(cc: CompiledCriterion, initiative: Initiative, result: object) -> Decimal:
    if isinstance(result, bool) or not isinstance(result, (Decimal, int)):
        raise PluginError(f"{_where(cc)} returned {type(result).__name__} for initiative '{initiative.id}'; "
                          "a scorer must return a Decimal in 0..1", initiative.location, code="BP503")
    value = Decimal(result)
    if not value.is_finite() or value < ZERO or value > ONE:
        raise PluginError(f"{_where(cc)} returned {value} for initiative '{initiative.id}', outside 0..1",
                          initiative.location, code="BP503")
    return value


def _where(cc: CompiledCriterion) -> str:
    return f"scorer '{cc.criterion.scorer}' (plugin '{cc.plugin}', criterion '{cc.criterion.id}')"
