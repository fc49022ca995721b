"""Quarters (``YYYY-Qn``) as ordinals, so the review can walk them in order.

A period's ordinal is ``year * 4 + (quarter - 1)``: consecutive quarters differ
by one, which keeps "N consecutive quarters" and "the last N quarters" simple
integer arithmetic. Parsing is strict: ``2026-Q2`` only, no ``2026Q2`` or ``Q2``.
"""

from __future__ import annotations

import re

from budgetpolicy.errors import Location, ReviewError

_PERIOD = re.compile(r"(\d{4})-Q([1-4])")


def parse_period(text: object, location: Location | None = None) -> int:
    """The ordinal of ``YYYY-Qn``; ReviewError BP701 for anything else."""
    match = _PERIOD.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ReviewError(f"period {text!r} is not a quarter", location or Location(),
                          hint="write quarters as YYYY-Qn, e.g. 2026-Q2", code="BP701")
    return int(match.group(1)) * 4 + int(match.group(2)) - 1


def is_period(text: object) -> bool:
    return isinstance(text, str) and _PERIOD.fullmatch(text) is not None


def period_name(ordinal: int) -> str:
    return f"{ordinal // 4}-Q{ordinal % 4 + 1}"


def period_range(first: int, last: int) -> list[str]:
    """Names of the quarters first..last inclusive (empty when last < first)."""
    return [period_name(q) for q in range(first, last + 1)]
