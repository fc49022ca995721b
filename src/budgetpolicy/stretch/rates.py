"""Selection rates by department and by each declared group, so bias is visible.

For each attribute (``department``, then the policy's ``[stretch] groups`` in order) and each of its
values: the people who were candidates (ongoing rows aside), the people picked for at least one
assignment, the rate (picked / candidates) and the impact ratio (the rate over the attribute's
highest rate). A value whose impact ratio is below ``min_impact_ratio`` (the four-fifths rule, 0.8, by
default) is flagged. Rates and ratios are Decimal, rounded half-even to 4 places; a person without a
value for a group counts under ``(none)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import frozen

from budgetpolicy.model import StretchPolicy
from budgetpolicy.stretch.candidates import Candidate

PLACES = Decimal("0.0001")
NONE = "(none)"


@frozen
class Rate:
    """The selection rate of one value of one attribute."""

    attribute: str
    value: str
    candidates: int
    selected: int
    rate: Decimal
    impact_ratio: Decimal
    flagged: bool

    def record(self) -> dict[str, object]:
        return {"attribute": self.attribute, "value": self.value, "candidates": self.candidates,
                "selected": self.selected, "rate": self.rate, "impact_ratio": self.impact_ratio,
                "flagged": self.flagged}


def selection_rates(stretch: StretchPolicy, candidates: Sequence[Candidate], picked: Sequence[Candidate]) -> tuple[Rate, ...]:
    """Rates of every attribute value among ``candidates`` (options, not ongoing rows)."""
    chosen = {c.person for c in picked}
    people = {c.person: c for c in candidates}
    out: list[Rate] = []
    for attribute in ("department", *stretch.groups):
        counts: dict[str, list[int]] = {}
        for person, c in sorted(people.items()):
            value = c.department if attribute == "department" else str(c.groups.get(attribute, NONE))
            tally = counts.setdefault(value, [0, 0])
            tally[0] += 1
            tally[1] += person in chosen
        rates = {v: (Decimal(s) / Decimal(n)).quantize(PLACES, ROUND_HALF_EVEN) for v, (n, s) in counts.items()}
        best = max(rates.values(), default=Decimal(0))
        for value in sorted(counts):
            ratio = (rates[value] / best).quantize(PLACES, ROUND_HALF_EVEN) if best else Decimal(1)
            n, s = counts[value]
            out.append(Rate(attribute, value, n, s, rates[value], ratio, ratio < stretch.min_impact_ratio))
    return tuple(out)
