"""Find the comments of a TOML text and the key each belongs to, so ``fmt`` can keep them.

tomllib (and tomli-w) drop comments. A governance comment ("approved by the
CFO on ...") must survive formatting, so before formatting the text is
scanned once: every comment is attached to a key path (tuples of str keys
and int array indexes, as in :mod:`budgetpolicy.policy.locate`):

- full-line comments belong to the next key or table header below them;
- a comment after a value or header on the same line stays on that line;
- comments inside a multi-line array or string-free inline value move above
  their key (their position inside the value cannot be kept);
- comments after the last key stay at the end of the file;
- a ``#:schema`` first line (editor schema association) is kept first, and
  comments above the first key (about the whole file) stay at the top.
"""

from __future__ import annotations

from attrs import define, field

from budgetpolicy.policy.locate import KeyPath, Tables, ValueScanner, parse_key


@define
class Comments:
    schema_line: str | None = None
    header: list[str] = field(factory=list)  # comments above the first key: about the whole file
    leading: dict[KeyPath, list[str]] = field(factory=dict)
    trailing: dict[KeyPath, str] = field(factory=dict)
    at_end: list[str] = field(factory=list)

    def count(self) -> int:
        return (bool(self.schema_line) + len(self.header) + sum(len(v) for v in self.leading.values())
                + len(self.trailing) + len(self.at_end))

    def texts(self) -> list[str]:
        """Every comment's text (for the never-lose-a-comment check)."""
        out = [self.schema_line] if self.schema_line else []
        out.extend(self.header)
        for lines in self.leading.values():
            out.extend(lines)
        out.extend(self.trailing.values())
        out.extend(self.at_end)
        return sorted(c.strip() for c in out)


def scan_comments(text: str) -> Comments:
    """Every comment of ``text``, attached to its key path (see the module docstring)."""
    scanner = _Scanner()
    for number, raw in enumerate(text.splitlines(), start=1):
        scanner.line(number, raw)
    return scanner.finish()


@define
class _Scanner:
    """The state of one pass over a TOML text, line by line."""

    found: Comments = field(factory=Comments)
    tables: Tables = field(factory=Tables)
    table: KeyPath = ()  # the table the following keys belong to
    buffer: list[str] = field(factory=list)  # full-line comments waiting for the next key
    pending: ValueScanner | None = None  # a multi-line value still open
    pending_path: KeyPath = ()
    seen_key: bool = False

    def line(self, number: int, raw: str) -> None:
        if self.pending is not None:
            comment = self.pending.feed(raw)
            if comment:
                self.found.leading.setdefault(self.pending_path, []).append(comment)
            if self.pending.done:
                self.pending = None
            return
        stripped = raw.strip()
        if not stripped:
            return
        if stripped.startswith("#"):
            if number == 1 and stripped.startswith("#:schema"):
                self.found.schema_line = stripped
            else:
                self.buffer.append(stripped)
        elif stripped.startswith("["):
            self.header(stripped)
        else:
            self.key(stripped)

    def header(self, stripped: str) -> None:
        double = stripped.startswith("[[")
        keys, rest = parse_key(stripped, 2 if double else 1)
        if keys is None:
            return
        self.table = self.tables.open_array_table(keys)[1] if double else self.tables.resolve(keys)
        self.attach(self.table, ValueScanner().feed(rest))

    def key(self, stripped: str) -> None:
        keys, rest = parse_key(stripped, 0)
        if keys is None or not rest.lstrip().startswith("="):
            return
        path = self.table + tuple(keys)
        value = ValueScanner()
        self.attach(path, value.feed(rest.lstrip()[1:]))
        if not value.done:
            self.pending, self.pending_path = value, path

    def attach(self, path: KeyPath, trailing: str | None) -> None:
        found = self.found
        if self.buffer and not found.leading and not found.trailing and not self.seen_key:
            found.header.extend(self.buffer)
            self.buffer.clear()
        self.seen_key = True
        if self.buffer:
            found.leading.setdefault(path, []).extend(self.buffer)
            self.buffer.clear()
        if trailing:
            found.trailing[path] = trailing

    def finish(self) -> Comments:
        self.found.at_end.extend(self.buffer)
        return self.found
