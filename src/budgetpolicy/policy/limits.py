"""Bounds on untrusted input: file size, nesting depth, string length, valid Unicode.

Policy, data and ledger text come from outside; without bounds a 50,000-deep array exhausts the
parser's recursion (an internal error, not a message), a lone surrogate (``\\ud800`` from a JSON
escape or an API caller) crashes whatever encodes it later (hashing, printing), and a 100 MB string
is carried into every record. The policy loader and the data stage check with these helpers before
anything else reads the values, and report each breach as one located problem
(docs/policy-format.md "Limits", docs/data-formats.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_POLICY_BYTES", "MAX_STRING", "Breach", "breaches", "first_too_deep", "lone_surrogate"]

MAX_POLICY_BYTES = 1024 * 1024   # a policy is a page of rules; the largest real ones are tens of KiB
MAX_STRING = 64 * 1024           # characters in one string (a message, a title, a CSV cell)
MAX_DEPTH = 32                   # nested tables/arrays/objects; real policies and rows nest under 6

Path = tuple[str | int, ...]
_CELL_TYPES = frozenset({str, type(None)})
# (which bound: "depth", "length" or "unicode"; what is wrong; where: the key path of the value)
Breach = tuple[str, str, Path]


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate (U+D800..U+DFFF) in ``text``, or None: such text cannot
    be written as UTF-8, so it cannot be hashed, stored or printed."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _plain(text: str) -> bool:
    """Short ASCII text: within every bound (the fast path of :func:`breaches`)."""
    return len(text) <= MAX_STRING and text.isascii()


def _flat_plain(value: Any) -> bool:
    """A dict of short ASCII text to short ASCII text or None (a CSV row, None for an empty cell): within
    every bound, found by a few C calls over the whole row instead of a look at each cell. Anything else
    is walked."""
    if value.__class__ is not dict or not value or {*map(type, value)} != {str} \
            or not {*map(type, value.values())} <= _CELL_TYPES:
        return False
    cells = [*filter(None, value.values())]
    return "".join(cells).isascii() and "".join(value).isascii() \
        and max(map(len, cells), default=0) <= MAX_STRING and max(map(len, value)) <= MAX_STRING


def _text_breach(text: str) -> tuple[str, str] | None:
    if len(text) > MAX_STRING:
        return "length", f"a string of {len(text):,} characters (the limit is {MAX_STRING:,})"
    at = lone_surrogate(text)
    if at is not None:
        return "unicode", (f"text with a lone surrogate U+{ord(text[at]):04X} at character {at + 1} (not a "
                           "character: it cannot be stored as UTF-8)")
    return None


def breaches(value: Any, path: Path = ()) -> Iterator[Breach]:
    """Every string too long or not valid Unicode (keys too) and every container nested deeper than
    :data:`MAX_DEPTH`, with its key path. Iterative, so depth itself cannot exhaust the stack; a
    container too deep is reported once and not entered."""
    if _flat_plain(value):
        return
    stack: list[tuple[Any, Path]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            problem = _text_breach(item)
            if problem:
                yield (*problem, where)
        elif isinstance(item, (Mapping, list, tuple)):
            if len(where) - len(path) >= MAX_DEPTH:
                yield "depth", f"values nested more than {MAX_DEPTH} levels deep", where
                continue
            pairs = list(item.items()) if isinstance(item, Mapping) else list(enumerate(item))
            for key, child in reversed(pairs):
                if isinstance(key, str) and not _plain(key):
                    problem = _text_breach(key)
                    if problem:
                        yield problem[0], f"a key: {problem[1]}", where
                        continue
                if child.__class__ is str and _plain(child):
                    continue  # the common case (every CSV cell), decided without a stack entry
                stack.append((child, (*where, key)))


def first_too_deep(text: str, limit: int = MAX_DEPTH) -> tuple[int, int] | None:
    """(line, column) where ``[`` / ``{`` first open more than ``limit`` deep in TOML or JSON text,
    outside strings and comments; None if they never do. Used to place a parser's recursion failure."""
    depth, line, line_start, i, n = 0, 1, 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "\"'":
            quote = text[i:i + 3] if text.startswith(ch * 3, i) else ch
            end = _string_end(text, i + len(quote), quote)
            line += text.count("\n", i, end)
            if "\n" in text[i:end]:
                line_start = text.rfind("\n", i, end) + 1
            i = end
            continue
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line, i - line_start + 1
        elif ch in "]}":
            depth -= 1
        i += 1
    return None


def _string_end(text: str, i: int, quote: str) -> int:
    """The index just after the string opened by ``quote`` (escapes only in ``"`` strings)."""
    n = len(text)
    while i < n:
        if quote[0] == '"' and text[i] == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i + len(quote)
        if len(quote) == 1 and text[i] == "\n":
            return i  # an unterminated one-line string: the parser reports it
        i += 1
    return n
