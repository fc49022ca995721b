"""Which initiative an xAPI statement is about: activity ids (or prefixes) mapped to initiative ids.

Real exports carry no budgetpolicy tag: a learning system only knows its own
activity ids. A mapping, a TOML file (``?mapping=FILE`` on the ``xapi:``
source) or the same tables inline in an LRS connector's configuration, says
which activities belong to which initiative::

    [activities]
    "https://lms.acme.example/courses/consultative-selling-bootcamp" = "INI-001"   # exact id
    "https://lms.acme.example/programmes/new-hire-buddy/*" = "INI-010"             # prefix

    [assessments]   # optional: activities that are a pre- or post-assessment
    "https://lms.acme.example/courses/consultative-selling-bootcamp/pre-test" = "pre"

    [verbs]         # optional: verbs outside the ADL vocabulary, and what they mean
    "https://w3id.org/xapi/adl/verbs/satisfied" = "completed"

A key ending in ``*`` is a prefix. An exact id beats any prefix; among
prefixes the longest wins, so a more specific entry can override a broad one.
Each entry keeps its place in the file (line and key), so an outcome built
from it, or an error about it, points at the line to fix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import frozen

from budgetpolicy.errors import DataError, Location
from budgetpolicy.policy.locate import TomlLocator

__all__ = ["ActivityMapping", "Entry", "VERB_ROLES", "load_mapping", "mapping_from_tables"]

# What a declared verb may mean: the same roles the ADL verbs below have.
VERB_ROLES = ("completed", "passed", "failed", "activity")
PHASES = ("pre", "post")
TABLES = ("activities", "assessments", "verbs")


@frozen
class Entry:
    """One mapping line: the key as written (a prefix ends in ``*``), its value and where it is."""

    key: str
    value: str
    location: Location


@frozen
class ActivityMapping:
    """Activity -> initiative, activity -> assessment phase, extra verb -> role."""

    activities: tuple[Entry, ...] = ()
    assessments: tuple[Entry, ...] = ()
    verbs: tuple[Entry, ...] = ()

    def initiative(self, activity_id: str) -> Entry | None:
        """The entry that maps ``activity_id``: an exact key first, else the longest matching prefix."""
        return _lookup(self.activities, activity_id)

    def phase(self, activity_id: str) -> str | None:
        entry = _lookup(self.assessments, activity_id)
        return None if entry is None else entry.value

    def verb_role(self, verb_id: str) -> str | None:
        for entry in self.verbs:
            if entry.key == verb_id:
                return entry.value
        return None


def _lookup(entries: tuple[Entry, ...], activity_id: str) -> Entry | None:
    best: Entry | None = None
    for entry in entries:
        if entry.key == activity_id:
            return entry
        if entry.key.endswith("*") and activity_id.startswith(entry.key[:-1]):
            if best is None or len(entry.key) > len(best.key):
                best = entry
    return best


def load_mapping(path: str) -> ActivityMapping:
    """Read a mapping file (TOML: ``[activities]``, optional ``[assessments]`` and ``[verbs]``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read the xAPI mapping: {exc.strerror or exc}", Location(file=path),
                        hint="check the path given as mapping=", code="BP492") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"the xAPI mapping is not valid TOML: {exc}", Location(file=path),
                        hint="see the plugin README for the format", code="BP492") from None
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise DataError(f"unknown table '{unknown[0]}' in the xAPI mapping", Location(file=path, key=unknown[0]),
                        hint=f"a mapping holds {', '.join(TABLES)}", code="BP492")
    return mapping_from_tables(data, path, TomlLocator(text), ())


def mapping_from_tables(data: Mapping[str, Any], file: str, locator: TomlLocator,
                        prefix: tuple[str, ...]) -> ActivityMapping:
    """The mapping held in ``data`` (the tables of a mapping file, or of an LRS configuration under
    ``prefix``); every entry is checked and located, and the first problem raises DataError (BP492)."""
    if not isinstance(data.get("activities", {}), Mapping) or not data.get("activities"):
        raise DataError("the xAPI mapping has no [activities] table", Location(file=file),
                        hint='add [activities] with "ACTIVITY-ID" = "INITIATIVE-ID" lines', code="BP492")
    tables: dict[str, tuple[Entry, ...]] = {}
    for name, allowed in (("activities", None), ("assessments", PHASES), ("verbs", VERB_ROLES)):
        table = data.get(name, {})
        path = prefix + (name,)
        where = Location(file=file, line=locator.line_of(path), key=".".join(path))
        if not isinstance(table, Mapping):
            raise DataError(f"[{name}] must be a table of \"id\" = \"value\" lines", where, code="BP492")
        entries = []
        for key, value in table.items():
            here = Location(file=file, line=locator.line_of(path + (key,)), key=f'{".".join(path)}."{key}"')
            if not key.strip() or key.strip() == "*":
                raise DataError("an empty id or a bare '*' would map every activity", here,
                                hint="give an activity id, or a prefix ending in '*'", code="BP492")
            if not isinstance(value, str) or not value.strip():
                raise DataError(f"the value must be a non-empty string, got {value!r}", here, code="BP492")
            if allowed is not None and value not in allowed:
                raise DataError(f"'{value}' is not one of {', '.join(allowed)}", here, code="BP492")
            entries.append(Entry(key, value.strip(), here))
        tables[name] = tuple(entries)
    return ActivityMapping(tables["activities"], tables["assessments"], tables["verbs"])
