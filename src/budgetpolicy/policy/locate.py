"""Find the line of a key path in TOML source text (best effort, for error messages).

tomllib returns plain dicts without positions, so the loader maps key paths
back to lines by scanning the text once: table headers ``[x.y]``, array
headers ``[[x.y]]`` (counted, so the third ``[[approval.rules]]`` is
``approval.rules[2]``) and ``key = value`` lines, skipping the inside of
multi-line strings and of multi-line arrays or inline tables. A path that
was not found falls back to its nearest enclosing key or table, and finally
to line 1, so every diagnostic still points somewhere useful.

Key paths are tuples of str (keys) and int (0-based array indexes);
:func:`format_key_path` renders them as ``approval.rules[2].condition``.
:class:`PolicyLocations` turns them into the :class:`~budgetpolicy.errors.Location`
of a diagnostic, for every check of a policy (the schema, the semantic and
budget checks, the allocation checks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from budgetpolicy.errors import Diagnostics, Location
from budgetpolicy.model import PolicySource

PathPart = str | int
KeyPath = tuple[PathPart, ...]
# The collector of every policy check: diagnostics placed by key path (see PolicyLocations).
KeyPathDiagnostics = Diagnostics[Sequence[PathPart]]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SPECIAL = re.compile(r"[#\"'\[\]{}]")  # what ValueScanner acts on outside strings


def format_key_path(path: Sequence[PathPart]) -> str:
    """``("approval", "rules", 2, "condition")`` -> ``approval.rules[2].condition``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if _BARE.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += f".{name}" if out else name
    return out


class PolicyLocations:
    """Key paths of one policy as Locations: its file, the key path and, when the text is known, the line.

    A policy built in Python has no text, so its diagnostics carry the key path alone.
    """

    def __init__(self, file: str | None, locator: "TomlLocator | None") -> None:
        self.file = file
        self.locator = locator

    @classmethod
    def of(cls, source: PolicySource | None) -> "PolicyLocations":
        if source is None:
            return cls(None, None)
        return cls(source.path, TomlLocator(source.text) if source.text else None)

    def line(self, path: Sequence[PathPart]) -> int | None:
        return self.locator.line_of(path) if self.locator else None

    def __call__(self, path: Sequence[PathPart]) -> Location:
        return Location(file=self.file, key=format_key_path(path) or None, line=self.line(path))


class Tables:
    """Which table a TOML header opens, as a key path with array-of-tables indexes: ``[[a]]`` twice, then
    ``[a.b]``, opens ``("a", 1, "b")``. Shared by the key locator and ``fmt``'s comment scanner."""

    def __init__(self) -> None:
        self.counts: dict[KeyPath, int] = {}  # array-of-tables path -> tables seen so far

    def resolve(self, keys: Sequence[str]) -> KeyPath:
        """Insert the current index after every prefix that is an array of tables."""
        resolved: list[PathPart] = []
        for key in keys:
            resolved.append(key)
            count = self.counts.get(tuple(resolved))
            if count:
                resolved.append(count - 1)
        return tuple(resolved)

    def open_array_table(self, keys: Sequence[str]) -> tuple[KeyPath, KeyPath]:
        """A ``[[keys]]`` header: the array's path and the new table's (the array's path and its index)."""
        parent = self.resolve(keys[:-1]) + (keys[-1],)
        self.counts[parent] = self.counts.get(parent, 0) + 1
        return parent, parent + (self.counts[parent] - 1,)


class TomlLocator:
    """Lines of table headers and keys in one TOML text."""

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        self._tables = Tables()
        self._scan(text)

    def line_of(self, path: Sequence[PathPart]) -> int:
        """Line of ``path``, or of its nearest enclosing key/table found, else 1."""
        parts = tuple(path)
        while parts:
            line = self.lines.get(parts)
            if line is not None:
                return line
            parts = parts[:-1]
        return 1

    def exact_line(self, path: Sequence[PathPart]) -> int | None:
        return self.lines.get(tuple(path))

    # -- scanning ---------------------------------------------------------

    def _record(self, path: KeyPath, line: int) -> None:
        self.lines.setdefault(path, line)

    def _scan(self, text: str) -> None:
        table: KeyPath = ()
        lines = text.splitlines()
        pending: ValueScanner | None = None
        for number, raw in enumerate(lines, start=1):
            if pending is not None:
                # Still inside a multi-line string, array or inline table.
                pending.feed(raw)
                if pending.done:
                    pending = None
                continue
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("[["):
                keys, _ = parse_key(stripped, 2)
                if keys is None:
                    continue
                parent, table = self._tables.open_array_table(keys)
                self._record(parent, number)
                self._record(table, number)
                continue
            if stripped.startswith("["):
                keys, _ = parse_key(stripped, 1)
                if keys is None:
                    continue
                table = self._tables.resolve(keys)
                self._record(table, number)
                continue
            keys, rest = parse_key(stripped, 0)
            if keys is None or not rest.lstrip().startswith("="):
                continue
            path = table
            for key in keys:
                path = path + (key,)
                # Dotted keys (a.b = 1) define intermediate tables on this line too.
                self._record(path, number)
            value = rest.lstrip()[1:]
            scanner = ValueScanner()
            scanner.feed(value)
            if not scanner.done:
                pending = scanner


def parse_key(text: str, start: int) -> tuple[list[str] | None, str]:
    """Parse a dotted key at ``text[start:]``; returns (keys, rest after the key/brackets).

    Public because the formatter's comment scanner (:mod:`budgetpolicy.authoring.comments`) reads
    keys exactly as the locator does."""
    keys: list[str] = []
    i = start
    n = len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None, ""
        ch = text[i]
        if ch == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= n:
                return None, ""
            try:
                keys.append(json.loads(text[i:end + 1]))
            except ValueError:
                keys.append(text[i + 1:end])
            i = end + 1
        elif ch == "'":
            end = text.find("'", i + 1)
            if end < 0:
                return None, ""
            keys.append(text[i + 1:end])
            i = end + 1
        else:
            match = _BARE.match(text, i)
            if not match:
                return None, ""
            keys.append(match.group())
            i = match.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        break
    if start:  # a header: expect the closing brackets
        closing = "]" * start
        if not text.startswith(closing, i):
            return None, ""
        i += start
    return keys, text[i:]


class ValueScanner:
    """Tracks strings and brackets of a TOML value across lines, to find where it ends.

    Shared by the key locator and ``authoring.comments`` (which keeps the comment ``feed`` returns).
    """

    def __init__(self) -> None:
        self.depth = 0
        self.in_string: str | None = None  # the open delimiter: ", ', \"\"\" or '''

    @property
    def done(self) -> bool:
        return self.depth == 0 and self.in_string is None

    def feed(self, line: str) -> str | None:
        """Consume one line; return the comment on it (outside strings), if any.

        Jumps from one character that matters to the next with ``str.find`` and a regular expression
        (C loops), so a line of a megabyte costs milliseconds, not the seconds a per-character loop
        took (issue #17: a 1 MB expression was refused after 6.5 s)."""
        i, n = 0, len(line)
        while i < n:
            if self.in_string:
                delim = self.in_string
                end = line.find(delim, i)
                if delim in ('"', '"""'):
                    # Skip escapes before the delimiter; each search starts where the last one ended, so
                    # a line full of escapes is still one pass.
                    escape = line.find("\\", i)
                    while escape != -1 and (end == -1 or escape < end):
                        i = escape + 2  # the escaped character may be the delimiter itself
                        if end != -1 and end < i:
                            end = line.find(delim, i)
                        escape = line.find("\\", i)
                if end == -1:
                    break
                self.in_string = None
                i = end + len(delim)
                continue
            match = _SPECIAL.search(line, i)
            if match is None:
                break
            i = match.start()
            ch = line[i]
            if ch == "#":
                return line[i:].rstrip()
            if line.startswith('"""', i) or line.startswith("'''", i):
                self.in_string = line[i:i + 3]
                i += 3
                continue
            if ch in "\"'":
                self.in_string = ch
            elif ch in "[{":
                self.depth += 1
            else:  # "]" or "}"
                self.depth = max(0, self.depth - 1)
            i += 1
        # Single-line strings cannot span lines: a dangling quote is a TOML error anyway.
        if self.in_string in ('"', "'"):
            self.in_string = None
        return None
