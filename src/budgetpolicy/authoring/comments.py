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

from budgetpolicy.policy.locate import KeyPath, PathPart, ValueScanner, _parse_key


@define
class Comments:
    schema_line: str | None = None
    header: list[str] = field(factory=list)  # comments above the first key: about the whole file
    leading: dict[KeyPath, list[str]] = field(factory=dict)
    trailing: dict[KeyPath, str] = field(factory=dict)
    at_end: list[str] = field(factory=list)

    def count(self) -> int:
        return (bool(self.schema_line) + len(self.header) + sum(len(v) for v in self.leading.values()) + len(self.trailing)
                + len(self.at_end))

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
    found = Comments()
    counts: dict[KeyPath, int] = {}
    table: KeyPath = ()
    buffer: list[str] = []
    pending: ValueScanner | None = None
    pending_path: KeyPath = ()
    seen_key: list[KeyPath] = []

    def resolve(keys: list[str]) -> KeyPath:
        resolved: list[PathPart] = []
        for key in keys:
            resolved.append(key)
            count = counts.get(tuple(resolved))
            if count:
                resolved.append(count - 1)
        return tuple(resolved)

    def attach(path: KeyPath, trailing: str | None) -> None:
        if buffer and not found.leading and not found.trailing and not seen_key:
            found.header.extend(buffer)
            buffer.clear()
        seen_key.append(path)
        if buffer:
            found.leading.setdefault(path, []).extend(buffer)
            buffer.clear()
        if trailing:
            found.trailing[path] = trailing

    for number, raw in enumerate(text.splitlines(), start=1):
        if pending is not None:
            comment = pending.feed(raw)
            if comment:
                found.leading.setdefault(pending_path, []).append(comment)
            if pending.done:
                pending = None
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if number == 1 and stripped.startswith("#:schema"):
                found.schema_line = stripped
            else:
                buffer.append(stripped)
            continue
        if stripped.startswith("["):
            double = stripped.startswith("[[")
            keys, rest = _parse_key(stripped, 2 if double else 1)
            if keys is None:
                continue
            if double:
                parent = resolve(keys[:-1]) + (keys[-1],)
                counts[parent] = counts.get(parent, 0) + 1
                table = parent + (counts[parent] - 1,)
            else:
                table = resolve(keys)
            attach(table, ValueScanner().feed(rest))
            continue
        keys, rest = _parse_key(stripped, 0)
        if keys is None or not rest.lstrip().startswith("="):
            continue
        path = table + tuple(keys)
        value = ValueScanner()
        attach(path, value.feed(rest.lstrip()[1:]))
        if not value.done:
            pending, pending_path = value, path
    found.at_end.extend(buffer)
    return found
