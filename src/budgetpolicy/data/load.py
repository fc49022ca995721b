"""Data stage: initiatives and outcomes from any registered data source, validated and frozen.

The edge of the pipeline where untrusted data comes in. A data source (a
plugin, see ``hookspecs.register_data_sources``) only reads: it yields
``(Location, raw record)`` pairs. Everything else happens here, the same way
for every source: each record is checked against ``schemas/initiative.schema.json``
or ``outcome.schema.json`` and converted to a frozen :class:`Initiative` /
:class:`OutcomeReading` (exact Decimals), ids are checked for duplicates, and
every problem is collected. Without ``skip_invalid`` one :class:`DataError`
carries them all; with it the valid records load and the problems are returned
in :attr:`LoadResult.skipped` for the caller to print (nothing is dropped
silently). A source may yield a :class:`DataError` in place of a record for a
row it cannot read; it is collected like any other row problem. The record
formats are documented in ``docs/data-formats.md``.

``initiative_to_record`` / ``outcome_to_record`` give the canonical JSON-able
record (Decimals as strings) that ``record_to_*`` turns back into an equal
object: what the ledger stores as the input snapshot and hashes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import evolve, frozen

from budgetpolicy.data import records as rec
from budgetpolicy.data.conform import RowRules, conform
from budgetpolicy.data.schema import schema, schema_problems
from budgetpolicy.errors import DataError, Diagnostic, Diagnostics, Location, did_you_mean
from budgetpolicy.model import ADDED_READINGS, Initiative, OutcomeReading
from budgetpolicy.policy.limits import breaches
from budgetpolicy.registry import Registered, Registry

__all__ = ["LoadResult", "MAX_REPORTED", "RowRules", "apply_attribute_types", "check_columns",
           "initiative_to_record", "iter_initiatives", "load_initiatives", "load_outcomes", "outcome_to_record", "record_to_initiative", "record_to_outcome", "resolve_source"]

_BREACH_HINTS = {"depth": "a row's values nest a few levels at most; flatten it",
                 "length": "shorten it; keep long text elsewhere and link to it",
                 "unicode": "fix the text in the source (a JSON \\ud800 escape is half of a character)"}
MAX_REPORTED = 50  # beyond this, one summary line: a broken export should not flood the terminal
_SOURCE_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9_-]+):(.*)", re.DOTALL)


@frozen
class LoadResult:
    """Loaded items in source order, and the problems of the records left out (only with skip_invalid)."""

    items: tuple[Any, ...]
    skipped: tuple[Diagnostic, ...] = ()
    source: str = ""


# -- records <-> objects --------------------------------------------------------


def _typed(record: Mapping[str, Any], kind: str, location: Location,
           attribute_types: Mapping[str, str] | None, rules: RowRules | None = None) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise DataError(f"a record must be a map of field -> value, got {rec.describe(record)}", location,
                        code="BP413")
    problems = rec.row_diagnostics(location)
    for kind, message, path in breaches(record):  # before anything encodes, hashes or recurses into it
        problems.add("BP422", ".".join(str(p) for p in path[:2]) or None, message, _BREACH_HINTS[kind])
    problems.raise_if_errors(DataError)
    nested, names = rec.normalise(record, kind, problems)
    typed = rec.coerce(nested, kind, names, problems, attribute_types)
    # Fields that failed to convert are left out of the schema check: one problem per field.
    failed = frozenset(d.location.field for d in problems)
    schema_problems(typed, kind, names, problems, failed)
    if rules is not None:
        conform(typed, kind, names, problems, rules)
    problems.raise_if_errors(DataError)
    return typed


def record_to_initiative(record: Mapping[str, Any], location: Location = Location(),
                         attribute_types: Mapping[str, str] | None = None,
                         rules: RowRules | None = None) -> Initiative:
    """Validate one raw record (nested or flat, typed or text) and build the Initiative; raises DataError.

    ``attribute_types`` (the policy's ``[attributes]``: name -> number, string,
    bool, date, list<string>, list<number>) converts custom attributes, which
    text sources otherwise deliver as text. ``rules`` (:class:`RowRules` of the policy) checks
    the record against what the policy declares and converts a foreign currency it has a rate for.
    """
    data = _typed(record, "initiatives", location, attribute_types, rules)
    return Initiative(
        id=data["id"], title=data["title"], kind=data["kind"], department=data["department"],
        cost=data["cost"], role=data.get("role"), currency=data.get("currency"),
        headcount=data.get("headcount", 1), priorities=tuple(data.get("priorities", ())),
        forecast=data.get("forecast", {}), probability=data.get("probability", Decimal("0.5")),
        horizon=data.get("horizon", 4), objectives=tuple(data.get("objectives", ())),
        delivery=data.get("delivery"), evaluation_plan=tuple(data.get("evaluation_plan", ())),
        sponsor=data.get("sponsor"), mentor=data.get("mentor"), pilot=data.get("pilot", False),
        ratings=data.get("ratings", {}),
        attributes={k: tuple(v) if isinstance(v, list) else v for k, v in data.get("attributes", {}).items()},
        start=data.get("start"), milestones=data.get("milestones", {}), rollout_of=data.get("rollout_of"),
        conversion=data.get("conversion", {}),
        location=location)


def record_to_outcome(record: Mapping[str, Any], location: Location = Location(),
                      rules: RowRules | None = None) -> OutcomeReading:
    """Validate one raw outcome record (against the policy too, with ``rules``) and build the OutcomeReading."""
    data = _typed(record, "outcomes", location, None, rules)
    return OutcomeReading(
        initiative_id=data["initiative_id"], period=data["period"], kpis=data.get("kpis", {}),
        pre_assessment=data.get("pre_assessment"), post_assessment=data.get("post_assessment"),
        completion_rate=data.get("completion_rate"), observation=data.get("observation"),
        spend_to_date=data.get("spend_to_date"), finished=data.get("finished", False), location=location,
        **{name: data.get(name) for name in ADDED_READINGS})


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _attribute(value: Any) -> Any:
    # Numbers are tagged so they stay numbers: a plain "24" would come back as text.
    if isinstance(value, Decimal):
        return {"decimal": format(value, "f")}
    if isinstance(value, (list, tuple)):
        return [_attribute(v) for v in value]
    return value


def initiative_to_record(i: Initiative) -> dict[str, Any]:
    """The canonical JSON-able record: every field, schema order, Decimals as exact strings."""
    return {
        "id": i.id, "title": i.title, "kind": i.kind, "department": i.department, "role": i.role,
        "cost": _dec(i.cost), "currency": i.currency, "headcount": i.headcount,
        "priorities": list(i.priorities), "forecast": {k: _dec(v) for k, v in i.forecast.items()},
        "probability": _dec(i.probability), "horizon": i.horizon, "objectives": list(i.objectives),
        "delivery": i.delivery, "evaluation_plan": list(i.evaluation_plan), "sponsor": i.sponsor,
        "mentor": i.mentor, "pilot": i.pilot, "ratings": {k: _dec(v) for k, v in i.ratings.items()},
        "attributes": {k: _attribute(v) for k, v in i.attributes.items()}, "start": i.start,
        "milestones": {q: {k: _dec(v) for k, v in lifts.items()} for q, lifts in i.milestones.items()},
        **({"rollout_of": i.rollout_of} if i.rollout_of is not None else {}),  # left out while unset, as in hashes
        # Only when converted: every other record (and its hash in the ledger) stays as it was.
        **({"conversion": {"currency": i.conversion["currency"], "amount": _dec(i.conversion["amount"]),
                           "rate": _dec(i.conversion["rate"])}} if i.conversion else {}),
    }


def outcome_to_record(o: OutcomeReading) -> dict[str, Any]:
    """The canonical JSON-able outcome record (see :func:`initiative_to_record`)."""
    return {
        "initiative_id": o.initiative_id, "period": o.period, "kpis": {k: _dec(v) for k, v in o.kpis.items()},
        "pre_assessment": _dec(o.pre_assessment), "post_assessment": _dec(o.post_assessment),
        "completion_rate": _dec(o.completion_rate), "observation": _dec(o.observation),
        "spend_to_date": _dec(o.spend_to_date), "finished": o.finished,
        # Only when given: the readings recorded before these fields existed keep their bytes and hashes.
        **{k: _dec(v) if isinstance(v, Decimal) else v for k in ADDED_READINGS if (v := getattr(o, k)) is not None},
    }


def check_columns(columns: Iterable[str], kind: str, location: Location) -> None:
    """Header check for tabular sources (CSV, SQL): duplicate, unknown and missing columns, all at once."""
    columns = list(columns)
    if len(columns) == 1 and ";" in columns[0]:
        raise DataError("the header has one column: the file looks ';'-separated", location,
                        hint="save it as comma-separated CSV", code="BP403")
    problems = Diagnostics()
    seen: set[str] = set()
    filled: set[str] = set()
    for column in columns:
        if column in seen:
            problems.add("BP412", location.evolve(field=column), f"column '{column}' appears twice",
                         "remove or rename one of them")
        seen.add(column)
        place = rec.classify_key(column, kind)
        if place is None:
            problems.add("BP412", location.evolve(field=column), f"unknown column '{column}'",
                         rec.unknown_key_hint(column, kind))
        else:
            filled.add(place[0])
    required = schema(kind)["required"]
    missing = [name for name in required if name not in filled]
    if missing:
        problems.add("BP411", location, f"missing required column(s): {', '.join(missing)}",
                     f"the header needs {', '.join(required)}")
    problems.raise_if_errors(DataError)


# -- loading --------------------------------------------------------------------


def resolve_source(spec: str, registry: Registry) -> tuple[Registered, str]:
    """The source a spec names (``name:target``) or whose extension matches a bare path."""
    match = _SOURCE_PREFIX.fullmatch(spec)
    if match and (match.group(1) in registry.sources or not Path(spec).exists()):
        name, target = match.groups()
        if name not in registry.sources:
            hint = did_you_mean(name, registry.sources)
            raise DataError(f"unknown data source '{name}'", Location(file=spec),
                            hint=(hint + "; " if hint else "") + f"available: {', '.join(sorted(registry.sources))}",
                            code="BP406")
        return registry.sources[name], target
    suffix = Path(spec.split("?", 1)[0]).suffix.lower()
    claims = {ext.lower(): entry for entry in registry.sources.values()
              for ext in entry.options.get("extensions", ())}
    if suffix in claims:
        return claims[suffix], spec
    known = ", ".join(sorted(claims)) or "none"
    raise DataError(f"no data source reads '{suffix or 'files without a suffix'}'", Location(file=spec),
                    hint=f"known suffixes: {known}; or name the source: "
                         f"{'|'.join(sorted(registry.sources))}:{spec}", code="BP406")


def _pairs(spec: str, registry: Registry, kind: str) -> tuple[str, Iterator[tuple[Location, Any]]]:
    """The source's name and its (Location, record) pairs, one at a time: a file is converted row by row,
    never held as raw rows beside the typed ones. A plugin that raises, or yields something other than
    a pair, is a BP409 naming it, whenever that happens."""
    entry, target = resolve_source(spec, registry)

    def pairs() -> Iterator[tuple[Location, Any]]:
        try:
            for n, pair in enumerate(entry.obj(target, kind), start=1):
                if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], Location)):
                    raise DataError(f"data source '{entry.name}' (plugin {entry.plugin}) yielded "
                                    f"{type(pair).__name__} as item {n}, not a (Location, record) pair",
                                    Location(file=target), code="BP409")
                yield pair
        except DataError:
            raise
        except Exception as exc:  # a plugin bug must name the plugin, not surface as a traceback
            raise DataError(f"data source '{entry.name}' (plugin {entry.plugin}) raised {type(exc).__name__}: "
                            f"{exc}", Location(file=target), code="BP409") from exc

    return entry.name, pairs()


def _where(location: Location) -> str:
    return str(location.evolve(file=None, field=None))


def _once_per_column(found: list[Diagnostic]) -> list[Diagnostic]:
    """A column the policy does not declare (BP430) is one mistake, made in the header: said once,
    at its first row, with the count of the other rows, not once per row."""
    first: dict[tuple[str | None, str | None, str], int] = {}
    counts: dict[int, int] = {}
    out: list[Diagnostic] = []
    for diagnostic in found:
        key = (diagnostic.location.file, diagnostic.location.field, diagnostic.message)
        if diagnostic.code == "BP430" and key in first:
            counts[first[key]] += 1
            continue
        if diagnostic.code == "BP430":
            first[key], counts[len(out)] = len(out), 0
        out.append(diagnostic)
    for index, more in counts.items():
        if more:
            out[index] = evolve(out[index], message=f"{out[index].message} (and {more} more row(s))")
    return out


def _finish(items: list[Any], problems: Diagnostics[Location], skip_invalid: bool, source: str) -> LoadResult:
    found = _once_per_column(list(problems))
    if found and not skip_invalid:
        shown = found[:MAX_REPORTED]
        if len(found) > MAX_REPORTED:
            shown.append(Diagnostic("BP400", f"and {len(found) - MAX_REPORTED} more problems",
                                    Location(file=found[0].location.file),
                                    "fix the ones above first, or use --skip-invalid to load the valid rows"))
        raise DataError(shown)
    return LoadResult(tuple(items), tuple(found), source)


def load_initiatives(spec: str, registry: Registry, *, skip_invalid: bool = False,
                     attribute_types: Mapping[str, str] | None = None, rules: RowRules | None = None) -> LoadResult:
    """Every initiative in ``spec`` (a path or ``source:target``), validated; see the module docstring."""
    source, pairs = _pairs(spec, registry, "initiatives")
    items: list[Initiative] = []
    problems = Diagnostics()
    first: dict[str, Initiative] = {}
    for location, record in pairs:
        if isinstance(record, DataError):  # a row the source could not read (e.g. wrong cell count)
            problems.extend(record.diagnostics)
            continue
        try:
            initiative = record_to_initiative(record, location, attribute_types, rules)
        except DataError as exc:
            problems.extend(exc.diagnostics)
            continue
        if initiative.id in first:
            problems.add("BP410", location.evolve(field="id"), f"duplicate initiative id '{initiative.id}' "
                         f"(also at {_where(first[initiative.id].location)})", "give every initiative a unique id")
            continue
        first[initiative.id] = initiative
        items.append(initiative)
    return _finish(items, problems, skip_invalid, source)


def iter_initiatives(spec: str, registry: Registry, *, skip_invalid: bool = False,
                     on_skip: Callable[[Diagnostic], None] | None = None,
                     attribute_types: Mapping[str, str] | None = None,
                     rules: RowRules | None = None) -> Iterator[Initiative]:
    """The initiatives of ``spec`` one at a time, for inputs too big to hold (a streaming source
    such as the built-in CSV reads one row at a time; only the ids are kept, to catch duplicates).

    Validation is :func:`load_initiatives`'s, but a stream cannot report every problem at once:
    without ``skip_invalid`` the first bad record raises DataError; with it, each bad record's
    problems go to ``on_skip`` (required then: nothing is dropped silently).
    """
    if skip_invalid and on_skip is None:
        raise ValueError("iter_initiatives(skip_invalid=True) needs on_skip to report the skipped records")
    _, pairs = _pairs(spec, registry, "initiatives")
    seen: set[str] = set()  # ids only: a million Locations (or row numbers) would not fit the point of streaming

    def problem(diagnostics: Iterable[Diagnostic]) -> None:
        if not skip_invalid:
            raise DataError(list(diagnostics))
        for diagnostic in diagnostics:
            on_skip(diagnostic)  # type: ignore[misc]

    for location, record in pairs:
        if isinstance(record, DataError):
            problem(record.diagnostics)
            continue
        try:
            initiative = record_to_initiative(record, location, attribute_types, rules)
        except DataError as exc:
            problem(exc.diagnostics)
            continue
        if initiative.id in seen:
            problem([Diagnostic("BP410", f"duplicate initiative id '{initiative.id}' (seen on an earlier row)",
                                location.evolve(field="id"), "give every initiative a unique id")])
            continue
        seen.add(initiative.id)
        yield initiative


def load_outcomes(spec: str, registry: Registry, *, initiative_ids: Collection[str] | None = None,
                  skip_invalid: bool = False, rules: RowRules | None = None) -> LoadResult:
    """Every outcome reading in ``spec``; one per (initiative, period); ids checked when given."""
    source, pairs = _pairs(spec, registry, "outcomes")
    items: list[OutcomeReading] = []
    problems = Diagnostics()
    first: dict[tuple[str, str], OutcomeReading] = {}
    known = None if initiative_ids is None else set(initiative_ids)
    unknown_at: set[tuple[str, Location]] = set()
    for location, record in pairs:
        if isinstance(record, DataError):
            problems.extend(record.diagnostics)
            continue
        try:
            reading = record_to_outcome(record, location, rules)
        except DataError as exc:
            problems.extend(exc.diagnostics)
            continue
        key = (reading.initiative_id, reading.period)
        if key in first:
            problems.add("BP418", location.evolve(field="period"), f"duplicate outcome for '{key[0]}' in {key[1]} "
                         f"(also at {_where(first[key].location)})", "keep one reading per initiative and quarter")
            continue
        if known is not None and reading.initiative_id not in known:
            # Once per place: readings a source derives from one line (an xAPI mapping entry gives one
            # reading per quarter) share its location, and the fix is one edit there.
            if (reading.initiative_id, location) not in unknown_at:
                unknown_at.add((reading.initiative_id, location))
                hint = did_you_mean(reading.initiative_id, known)
                problems.add("BP419", location.evolve(field="initiative_id"),
                             f"outcome for unknown initiative '{reading.initiative_id}'",
                             hint or "check the id against the initiatives file")
            continue
        first[key] = reading
        items.append(reading)
    return _finish(items, problems, skip_invalid, source)


def apply_attribute_types(initiatives: Iterable[Initiative],
                          attribute_types: Mapping[str, str]) -> tuple[Initiative, ...]:
    """Initiatives with custom attributes converted to the policy's declared types (idempotent).

    For initiatives loaded without ``attribute_types`` (text sources keep
    attributes as text); raises one DataError naming every row and attribute
    that does not convert.
    """
    out: list[Initiative] = []
    problems = Diagnostics()
    for initiative in initiatives:
        row = rec.row_diagnostics(initiative.location)
        converted = rec.coerce_map("attributes", dict(initiative.attributes), "attributes",
                                   {}, row, attribute_types)
        problems.extend(row)
        typed = {k: tuple(v) if isinstance(v, list) else v for k, v in converted.items()}
        out.append(initiative if typed == dict(initiative.attributes) else evolve(initiative, attributes=typed))
    problems.raise_if_errors(DataError)
    return tuple(out)
