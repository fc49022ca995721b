"""Data stage: the outcome readings of several sources, merged per initiative and quarter.

A review may take several outcome sources (``review -O lrs-export -O kpis.csv``): a learning system knows
completion and assessments, an HRIS or operations export knows the KPIs and spend. Each source is read and
checked on its own (:func:`budgetpolicy.data.load.load_outcomes`: one reading per initiative and quarter
within a source); :func:`merge_readings` then makes one reading per (initiative, period) holding every field
any source gives. The merge rule (docs/data-formats.md):

- a field given by one source is taken as given; given by several, they must agree: numerically equal
  values agree (``0.5`` and ``0.50``), anything else is a conflict (BP660), reported once per field at the
  later source's row and column, naming the earlier one's file and row: nothing is guessed, nothing is
  recorded;
- ``kpis`` merge per priority, each priority a field of its own;
- ``finished`` is true when any source says so: a source that does not know a bet has ended cannot
  contradict one that does (CSV and JSON leave it false when the column is empty or missing);
- the merged reading keeps the location of the first source's row, and records where each field from
  another source was read (``OutcomeReading.origins``), so a later check of a field (spend that falls,
  a KPI key) names the row it came from; the readings come out in the order they first appear, source
  by source.

One source passes through unchanged, so a single ``-O`` reads exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from attrs import evolve

from budgetpolicy.errors import DataError, Diagnostics, Location
from budgetpolicy.model import ADDED_READINGS, OutcomeReading

__all__ = ["CONFLICT", "READING_FIELDS", "merge_readings"]

CONFLICT = "BP660"
# The single-valued readings a source may give, in record order (kpis and finished merge by their own rules).
READING_FIELDS = ("pre_assessment", "post_assessment", "completion_rate", "observation", "spend_to_date",
                  *ADDED_READINGS)


def merge_readings(sources: Sequence[Iterable[OutcomeReading]]) -> tuple[OutcomeReading, ...]:
    """One reading per (initiative, period) from the readings of every source; raises one DataError
    with a BP660 line for every field two sources give different values for."""
    if len(sources) == 1:
        return tuple(sources[0])
    merged: dict[tuple[str, str], OutcomeReading] = {}
    # Where each (initiative, period, field) was first given, to name it in a conflict.
    given: dict[tuple[str, str, str], Location] = {}
    problems = Diagnostics()
    for readings in sources:
        for reading in readings:
            key = (reading.initiative_id, reading.period)
            earlier = merged.get(key)
            for name, value in _fields(reading):
                where = given.get((*key, name))
                if where is None:
                    given[(*key, name)] = reading.location
                    continue
                held = _value(earlier, name) if earlier is not None else None
                if held is not None and held != value:
                    problems.add(CONFLICT, reading.location.evolve(field=name),
                                 f"{name} of '{key[0]}' in {key[1]} is {_shown(value)} here but {_shown(held)} in "
                                 f"{where.evolve(field=None)}",
                                 "two sources disagree: correct the wrong one, or drop the field from one source")
            merged[key] = reading if earlier is None else _combine(earlier, reading)
    problems.raise_if_errors(DataError)
    return tuple(merged.values())


def _fields(reading: OutcomeReading) -> Iterable[tuple[str, Any]]:
    """The fields ``reading`` gives, as (user's column name, value)."""
    for name in READING_FIELDS:
        value = getattr(reading, name)
        if value is not None:
            yield name, value
    for priority, lift in reading.kpis.items():
        yield f"kpi.{priority}", lift


def _value(reading: OutcomeReading, name: str) -> Any:
    if name.startswith("kpi."):
        return reading.kpis.get(name[4:])
    return getattr(reading, name)


def _combine(earlier: OutcomeReading, later: OutcomeReading) -> OutcomeReading:
    """``earlier`` with what only ``later`` gives (conflicts were reported; equal values stay the earlier's)."""
    filled = {name: getattr(later, name) for name in READING_FIELDS
              if getattr(earlier, name) is None and getattr(later, name) is not None}
    added = {k: v for k, v in later.kpis.items() if k not in earlier.kpis}
    if not (filled or added or (later.finished and not earlier.finished)):
        return earlier
    moved = [*filled, *(f"kpi.{k}" for k in added)] + (["finished"] if later.finished and not earlier.finished else [])
    origins = {**dict(earlier.origins), **{name: later.location for name in moved}}
    return evolve(earlier, kpis={**dict(earlier.kpis), **added}, finished=earlier.finished or later.finished,
                  origins=origins, **filled)


def _shown(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)

