"""What a source says about the statements it did not count, and when it refuses the whole input.

Nothing is dropped without a word: after reading, the ``xapi:`` and ``lrs:``
sources write to stderr one summary line, one line per unknown verb and per
score that could not be scaled, one line for the unmapped activities, and, with
``skip-invalid``, one line per skipped statement (its row, id and why). Without
``skip-invalid`` an unreadable statement fails the input: every problem at
once (the first 50), nothing loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from budgetpolicy.errors import DataError, Diagnostic, Location
from budgetpolicy_xapi.outcomes import Aggregate

__all__ = ["MAX_REPORTED", "checked_records", "notes"]

MAX_REPORTED = 50
SHOWN_IDS = 3


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def checked_records(result: Aggregate, file: str, *, skip_invalid: bool, option: str, seen: Sequence[str] = (),
                    report: Callable[[str], None] = _stderr) -> list[tuple[Location, dict[str, Any]]]:
    """The outcome records of ``result``, after its notes went to ``report``; raises DataError when a
    statement could not be read (unless ``skip_invalid``) or when no statement maps to an initiative.
    ``option`` is how the user turns skipping on for this source (named in the hint); ``seen`` are lines
    about the reading itself (pages, repeated ids), reported first."""
    if result.problems and not skip_invalid:
        shown = list(result.problems[:MAX_REPORTED])
        more = len(result.problems) - len(shown)
        if more:
            shown.append(Diagnostic("BP490", f"and {more} more unreadable statements", Location(file=file)))
        last = shown[-1]
        # The way out is said once, on the last line: fix the statements, or skip them knowingly.
        shown[-1] = Diagnostic(last.code, last.message, last.location,
                               (last.hint + "; " if last.hint else "") + f"or skip unreadable statements with {option}")
        raise DataError(shown)
    if result.statements and not result.records and not result.problems:
        first = ", ".join(list(result.unmapped_activities)[:SHOWN_IDS])
        raise DataError(f"none of the {result.statements} statements is about a mapped activity "
                        f"(activities seen: {first or 'none'})", Location(file=file),
                        hint="map activity ids to initiatives in a mapping's [activities] (see the xapi plugin "
                             "README)", code="BP493")
    for line in [*seen, *notes(result, file, skip_invalid=skip_invalid)]:
        report(line)
    return list(result.records)


def notes(result: Aggregate, file: str, *, skip_invalid: bool = True) -> list[str]:
    """One line each: the summary, unknown verbs, unmapped activities, unusable scores, skipped statements."""
    unknown = sum(len(ids) for ids in result.unknown_verbs.values())
    skipped = len(result.problems) if skip_invalid else 0
    lines = [f"xapi: {file}: {result.statements} statements -> {len(result.records)} outcome records "
             f"({len(result.courses)} course-quarters); not counted: {result.voided} voided, "
             f"{result.unmapped} on unmapped activities, {unknown} with unknown verbs, {skipped} skipped"]
    where = Location(file=file)
    for verb, ids in result.unknown_verbs.items():
        lines.append(_warning(where, f"{len(ids)} statement(s) with unknown verb {verb} not counted "
                                     f"({_ids(ids)})", "declare the verb in the mapping's [verbs] "
                                                       "(completed, passed, failed or activity) if it counts"))
    if result.unmapped_activities:
        shown = ", ".join(f"{activity} ({n})" for activity, n in list(result.unmapped_activities.items())[:SHOWN_IDS])
        rest = len(result.unmapped_activities) - SHOWN_IDS
        lines.append(_warning(where, f"{result.unmapped} statement(s) on {len(result.unmapped_activities)} "
                                     f"unmapped activities not counted: {shown}" + (f", +{rest} more" if rest > 0
                                                                                    else ""),
                              "map them in [activities] if they belong to an initiative"))
    lines.extend(d.format() for d in result.unscored)
    if skip_invalid:
        lines.extend(Diagnostic(d.code, "skipped " + d.message, d.location, d.hint, "warning").format()
                     for d in result.problems)
    return lines


def _warning(where: Location, message: str, hint: str) -> str:
    return Diagnostic("BP494", message, where, hint, "warning").format()


def _ids(ids: tuple[str, ...]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return f"ids {shown}" + (f", +{len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")
