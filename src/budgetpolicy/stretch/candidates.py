"""Reading a candidates file (CSV or JSON) into checked, frozen :class:`Candidate` values.

A candidate is one person for one stretch assignment: department, mentor, ratings on the policy's
candidate rubric, the share of their time it takes, and the values of the policy's grouping
attributes. A row with ``status = ongoing`` is an assignment the person already holds: it is not
selected again but counts against every capacity. Formats and columns: docs/stretch.md; the record
schema: ``schemas/candidate.schema.json``.

Every problem is reported at once, each one located line (file, row or record, column) with its fix,
and nothing is selected (exit 2). Codes: BP440 the file cannot be read (missing, not UTF-8, malformed
CSV or JSON, unknown suffix); BP441 an unknown column or key; BP442 an assignment that is no
initiative; BP443 an initiative that is not of kind stretch; BP444 a mentor the policy's
``[[stretch.mentors]]`` does not list; BP445 a rating outside 0..scale or missing; BP446 a mentor whose
ongoing mentees already exceed their capacity; BP447 a person and assignment given twice, or a person
whose department or groups differ between rows; BP448 a time commitment with more than 4 decimal
places; and the schema's BP411 (missing), BP413 (wrong type), BP414 (out of range), BP416 (not allowed).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from attrs import field, frozen

from budgetpolicy.data.schema import schema_problems
from budgetpolicy.errors import DataError, Diagnostics, Location, did_you_mean
from budgetpolicy.model import STRETCH_CRITERIA, FrozenMap, StretchPolicy, frozen_map

FIELDS = ("person", "assignment", "department", "mentor", "time_commitment", "status")
RATING, GROUP = "rating.", "group."
ONGOING = "ongoing"
STRETCH = "stretch"  # the initiative kind candidates are for
COMMITMENT_PLACES = 4  # time commitments are compared exactly, in ten-thousandths of a person's time
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


@frozen
class Candidate:
    """One person for one stretch assignment (or, ``ongoing``, an assignment they already hold)."""

    person: str
    assignment: str
    department: str
    mentor: str
    time_commitment: Decimal
    ratings: FrozenMap = field(factory=FrozenMap, converter=frozen_map)  # criterion -> 0..scale
    groups: FrozenMap = field(factory=FrozenMap, converter=frozen_map)  # attribute -> value
    ongoing: bool = False
    location: Location = field(factory=Location, eq=False)

    def record(self) -> dict[str, Any]:
        """The candidate as the ledger records it (the JSON form of the file, canonical)."""
        out: dict[str, Any] = {"person": self.person, "assignment": self.assignment, "department": self.department,
                               "mentor": self.mentor, "time_commitment": self.time_commitment,
                               "ratings": dict(self.ratings), "groups": dict(self.groups)}
        if self.ongoing:
            out["status"] = ONGOING
        return out


def read_candidates(path: str, stretch: StretchPolicy, kinds: Mapping[str, str]) -> tuple[Candidate, ...]:
    """Every candidate of the file at ``path`` (``.csv`` or ``.json``), checked against the policy's
    ``[stretch]`` and the initiatives (``kinds``: initiative id -> kind); DataError with every problem
    otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise DataError(f"cannot read candidates from a '{suffix or 'suffix-less'}' file", Location(file=path),
                        hint="give a .csv or .json candidates file (docs/stretch.md)", code="BP440")
    text = _read_text(path)
    pairs = _csv_records(path, text, stretch) if suffix == ".csv" else _json_records(path, text)
    return check_candidates(pairs, stretch, kinds)


def candidates_from_records(records: Sequence[Mapping[str, Any]], stretch: StretchPolicy,
                            kinds: Mapping[str, str], where: str = "<records>") -> tuple[Candidate, ...]:
    """Candidates from JSON-shaped records (as :meth:`Candidate.record` gives them, e.g. read back from a
    ledger), checked exactly as a file's."""
    return check_candidates([(Location(file=where, key=f"record {n}"), r) for n, r in enumerate(records, 1)],
                            stretch, kinds)


def check_candidates(pairs: Sequence[tuple[Location, Any]], stretch: StretchPolicy,
                     kinds: Mapping[str, str]) -> tuple[Candidate, ...]:
    """Candidates of ``(location, record)`` pairs, each record in the JSON shape; see :func:`read_candidates`."""
    problems = Diagnostics()
    out: list[Candidate] = []
    for where, record in pairs:
        candidate = _candidate(where, record, stretch, kinds, problems)
        if candidate is not None:
            out.append(candidate)
    _across_rows(out, stretch, problems)
    problems.raise_if_errors(DataError)
    return tuple(out)


def _read_text(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError("candidates file not found", Location(file=path), hint="check the path", code="BP440") from None
    except OSError as exc:
        raise DataError(f"cannot read the candidates file: {exc.strerror or exc}", Location(file=path),
                        hint="check that it is a readable file", code="BP440") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"not UTF-8 (byte 0x{data[exc.start]:02X})", Location(file=path, line=line),
                        hint="save the file as UTF-8", code="BP440") from None
    if not text.strip():
        raise DataError("the candidates file is empty", Location(file=path), hint="give a header and one row per "
                        "candidate", code="BP440")
    return text


def _csv_records(path: str, text: str, stretch: StretchPolicy) -> list[tuple[Location, Any]]:
    """(row location, typed record) per CSV row: the header checked first (BP441, every unknown column)."""
    try:
        rows = list(csv.reader(text.splitlines(), strict=True))
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", Location(file=path), hint="check the quotes", code="BP440") from None
    header = [c.strip() for c in rows[0]]
    known = [*FIELDS, *(RATING + c for c in STRETCH_CRITERIA), *(GROUP + g for g in stretch.groups)]
    problems = Diagnostics()
    for column in header:
        if column not in known:
            hint = did_you_mean(column, known) or (
                f"declare it in the policy's [stretch] groups = [\"{column[len(GROUP):]}\"]"
                if column.startswith(GROUP) else f"known columns: {', '.join(known)}")
            problems.add("BP441", Location(file=path, row=1, field=column), f"unknown column '{column}'", hint)
    problems.raise_if_errors(DataError)
    out: list[tuple[Location, Any]] = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        where = Location(file=path, row=line)
        if len(cells) != len(header):
            out.append((where, DataError(f"row has {len(cells)} cells but the header has {len(header)}", where,
                                         hint="check for a missing or extra comma", code="BP440")))
            continue
        out.append((where, _typed_row(dict(zip(header, (c.strip() for c in cells))))))
    return out


def _typed_row(cells: dict[str, str]) -> dict[str, Any]:
    """A CSV row in the JSON record's shape: blanks left out, numbers as Decimal when they read as one."""
    record: dict[str, Any] = {}
    for column, value in cells.items():
        if not value:
            continue
        if column.startswith(RATING):
            record.setdefault("ratings", {})[column[len(RATING):]] = _number(value)
        elif column.startswith(GROUP):
            record.setdefault("groups", {})[column[len(GROUP):]] = value
        else:
            record[column] = _number(value) if column == "time_commitment" else value
    return record


def _number(text: str) -> Decimal | str:
    """Decimal text as a Decimal; anything else stays text, for the schema to name ("expected a number")."""
    if _NUMBER.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits valid text only
            pass
    return text


def _json_records(path: str, text: str) -> list[tuple[Location, Any]]:
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=lambda c: c)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg}", Location(file=path, line=exc.lineno, column=exc.colno),
                        hint="check the JSON syntax", code="BP440") from None
    if isinstance(data, dict) and set(data) <= {"candidates", "$schema"} and isinstance(data.get("candidates"), list):
        data = data["candidates"]
    if not isinstance(data, list):
        raise DataError("expected a list of candidates or {\"candidates\": [...]}", Location(file=path),
                        hint="see docs/stretch.md for the format", code="BP440")
    return [(Location(file=path, key=f"record {n}"), r) for n, r in enumerate(data, start=1)]


def _candidate(where: Location, record: Any, stretch: StretchPolicy, kinds: Mapping[str, str],
               problems: Diagnostics[Location]) -> Candidate | None:
    if isinstance(record, DataError):
        problems.extend(record.diagnostics)
        return None
    if not isinstance(record, Mapping):
        problems.add("BP413", where, "expected a candidate record (a map)", "give one object per candidate")
        return None
    names = {("ratings", c): RATING + c for c in STRETCH_CRITERIA}
    names.update({("groups", g): GROUP + g for g in record.get("groups", {}) if isinstance(g, str)})
    found: Diagnostics[str | None] = Diagnostics(lambda f: where.evolve(field=f))
    schema_problems(record, "candidates", names, found)
    if not len(found):  # the meaning is checked on a record of the right shape only
        _meaning(record, stretch, kinds, found)
    problems.extend(found)
    if len(found):
        return None
    return Candidate(record["person"], record["assignment"], record["department"], record["mentor"],
                     record["time_commitment"], record.get("ratings", {}), record.get("groups", {}),
                     record.get("status") == ONGOING, where)


def _meaning(record: Mapping[str, Any], stretch: StretchPolicy, kinds: Mapping[str, str],
             found: Diagnostics[str | None]) -> None:
    """What the schema cannot say: the assignment, the mentor, the ratings' scale, declared groups."""
    assignment = record["assignment"]
    kind = kinds.get(assignment)
    stretches = sorted(i for i, k in kinds.items() if k == STRETCH)
    if kind is None:
        found.add("BP442", "assignment", f"no initiative '{assignment}' in the initiatives file",
                  did_you_mean(assignment, stretches) or f"name a stretch initiative: {', '.join(stretches) or 'none'}")
    elif kind != STRETCH:
        found.add("BP443", "assignment", f"initiative '{assignment}' is of kind {kind}, not stretch",
                  f"candidates are for stretch assignments: {', '.join(stretches) or 'the file has none'}")
    mentor = record["mentor"]
    if stretch.capacity(mentor) is None:
        listed = [m for m, _ in stretch.mentors]
        found.add("BP444", "mentor", f"mentor '{mentor}' is not in the policy's [[stretch.mentors]]",
                  did_you_mean(mentor, listed) or f"add them with their capacity, or name one of: {', '.join(listed)}")
    ratings = record.get("ratings", {})
    for criterion in STRETCH_CRITERIA:
        value = ratings.get(criterion)
        if value is None:
            if stretch.weights.get(criterion) and record.get("status") != ONGOING:
                found.add("BP445", RATING + criterion, f"no {criterion} rating",
                          f"rate every candidate 0..{stretch.scale} on {criterion} (its weight is "
                          f"{stretch.weights[criterion]})")
        elif value > stretch.scale:
            found.add("BP445", RATING + criterion, f"rating {value} is outside 0..{stretch.scale}",
                      f"ratings run from 0 to the policy's [stretch] scale ({stretch.scale})")
    commitment: Decimal = record["time_commitment"]
    if commitment.as_tuple().exponent < -COMMITMENT_PLACES:  # type: ignore[operator]
        found.add("BP448", "time_commitment", f"{commitment} has more than {COMMITMENT_PLACES} decimal places",
                  "round it, e.g. 0.25 for a quarter of the person's time")
    for group in record.get("groups", {}):
        if group not in stretch.groups:
            found.add("BP441", GROUP + group, f"'{group}' is not one of the policy's [stretch] groups",
                      did_you_mean(group, stretch.groups) or f"declare it: groups = [\"{group}\"]")


def _across_rows(candidates: Sequence[Candidate], stretch: StretchPolicy, problems: Diagnostics[Location]) -> None:
    """BP447 duplicates and a person described two ways; BP446 a mentor already over capacity."""
    pairs: dict[tuple[str, str], Candidate] = {}
    people: dict[str, Candidate] = {}
    for c in candidates:
        first = pairs.setdefault((c.person, c.assignment), c)
        if first is not c:
            problems.add("BP447", c.location.evolve(field="person"), f"{c.person} is given twice for {c.assignment} "
                         f"(also at {_place(first.location)})", "keep one row per person and assignment")
        seen = people.setdefault(c.person, c)
        if seen is not c and (seen.department, seen.groups) != (c.department, c.groups):
            problems.add("BP447", c.location.evolve(field="department"),
                         f"{c.person}'s department or groups differ from {_place(seen.location)}",
                         "describe a person the same way in every row")
    ongoing: dict[str, list[Candidate]] = {}
    for c in candidates:
        if c.ongoing:
            ongoing.setdefault(c.mentor, []).append(c)
    for mentor, rows in ongoing.items():
        capacity = stretch.capacity(mentor)
        if capacity is not None and len(rows) > capacity:
            problems.add("BP446", rows[capacity].location.evolve(field="mentor"),
                         f"mentor '{mentor}' already has {len(rows)} ongoing mentees, over their capacity of {capacity}",
                         "correct the ongoing rows, or raise their capacity in [[stretch.mentors]]")


def _place(location: Location) -> str:
    return str(location.evolve(file=None, field=None))

