"""Canonical formatting of policy and policy-test files (``budgetpolicy fmt``).

One layout for every policy, so reviews show changes of meaning, not of
style: keys in the order of the JSON Schema's properties (unknown keys after
them, in source order), scalars written by tomli-w, numbers normalised
(``0.30`` -> ``0.3``, ``1_000`` -> ``1000``, ``1e3`` -> ``1000.0``; integers
stay integers and decimals keep a fraction so TOML types do not change),
schema-described tables as ``[section]`` headers and arrays of tables as
``[[section]]`` (tomli-w alone writes short arrays of tables inline, so the
table layout is done here and only literals are delegated to it), one blank
line before each header. Comments are kept (see :mod:`.comments`) and the
``#:schema`` line stays first. Formatting is idempotent, and every result is
re-parsed and compared with the input: a formatter bug can never change a
value or drop a comment silently.

Note: the policy content hash covers values as written, so rewriting ``0.30``
as ``0.3`` changes it; format before the policy is first used.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w

from budgetpolicy.authoring.comments import Comments, scan_comments
from budgetpolicy.errors import BudgetPolicyError, Diagnostic, Location, UsageError
from budgetpolicy.policy.locate import KeyPath
from budgetpolicy.policy.schema import policy_schema

MAX_LINE = 100
INDENT = "    "
_BARE = re.compile(r"[A-Za-z0-9_-]+")


class FormatError(BudgetPolicyError):
    """The file cannot be formatted (malformed TOML) or formatting would lose something."""


def format_text(text: str, path: str = "<string>") -> str:
    """The canonical form of a policy (or ``*_test.toml``) text."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError([Diagnostic("BP104", f"malformed TOML: {exc}", Location(file=path),
                                      "fix the TOML syntax first (budgetpolicy validate shows where)")]) from None
    comments = scan_comments(text)
    before = comments.texts()  # the writer consumes ``comments``
    out = _Writer(comments).document(data, policy_schema())
    _check_lossless(data, before, out, path)
    return out


def _check_lossless(data: Mapping[str, Any], comments: list[str], out: str, path: str) -> None:
    again = tomllib.loads(out, parse_float=Decimal)
    problem = None
    if again != data:
        problem = "the formatted text would parse to different values"
    elif scan_comments(out).texts() != comments:
        problem = "a comment would be lost or changed"
    if problem:  # pragma: no cover - a formatter bug; refuse rather than damage the file
        raise FormatError([Diagnostic("BP990", f"not formatted: {problem}", Location(file=path),
                                      "please report this as a bug with the file attached")])


class _Writer:
    def __init__(self, comments: Comments) -> None:
        self.comments = comments
        self.lines: list[str] = []

    def document(self, data: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
        self.root = schema
        if self.comments.schema_line:
            self.lines.append(self.comments.schema_line)
        self.lines.extend(self.comments.header)
        self._table(data, (), schema, aot_item=False)
        leftovers = [c for lines in self.comments.leading.values() for c in lines]
        leftovers += list(self.comments.trailing.values()) + self.comments.at_end
        if leftovers:
            if self.lines and self.lines[-1] != "":
                self.lines.append("")
            self.lines.extend(leftovers)
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"

    # -- layout -----------------------------------------------------------

    def _table(self, table: Mapping[str, Any], path: KeyPath, schema: Mapping[str, Any], aot_item: bool) -> None:
        structured = "properties" in schema
        literals, sections = [], []
        for key in ordered_keys(table, schema):
            value = table[key]
            child = self._child(schema, key)
            if structured and isinstance(value, Mapping):
                sections.append((key, value, child, False))
            elif structured and _is_aot(value):
                sections.append((key, value, self._items(child), True))
            else:
                literals.append((key, value, child))
        if path and (aot_item or literals or not sections):
            name = ".".join(_key(p) for p in path if isinstance(p, str))
            self._line(path, f"[[{name}]]" if aot_item else f"[{name}]", header=True)
        for key, value, child in literals:
            self._line(path + (key,), f"{_key(key)} = {self._literal(value, child, len(_key(key)) + 3)}")
        for key, value, child, is_aot in sections:
            if is_aot:
                for i, item in enumerate(value):
                    self._table(item, path + (key, i), child, aot_item=True)
            else:
                self._table(value, path + (key,), child, aot_item=False)

    def _line(self, path: KeyPath, text: str, header: bool = False) -> None:
        if header and self.lines:
            self.lines.append("")
        # Comments of tables that get no header of their own (e.g. [approval]) go to the first line inside.
        for n in range(1, len(path) + 1):
            self.lines.extend(self.comments.leading.pop(path[:n], []))
            if n < len(path) and path[:n] in self.comments.trailing:
                self.lines.append(self.comments.trailing.pop(path[:n]))
        trailing = self.comments.trailing.pop(path, None)
        first, _, rest = text.partition("\n")
        first = f"{first}  {trailing}" if trailing else first
        self.lines.append(first + ("\n" + rest if rest else ""))

    # -- schema -----------------------------------------------------------

    def _resolve(self, schema: Any) -> Mapping[str, Any]:
        while isinstance(schema, Mapping) and "$ref" in schema:
            ref = schema["$ref"]
            target: Any = self.root
            for part in ref.lstrip("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema if isinstance(schema, Mapping) else {}

    def _child(self, schema: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        props = schema.get("properties", {})
        if key in props:
            return self._resolve(props[key])
        extra = schema.get("additionalProperties")
        return self._resolve(extra) if isinstance(extra, Mapping) else {}

    def _items(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        return self._resolve(schema.get("items", {}))

    # -- literals ---------------------------------------------------------

    def _literal(self, value: Any, schema: Mapping[str, Any], used: int) -> str:
        if isinstance(value, list):
            items = [self._inline(v, self._items(schema)) for v in value]
            one_line = "[" + ", ".join(items) + "]"
            if used + len(one_line) <= MAX_LINE and "\n" not in one_line:
                return one_line
            return "[\n" + "".join(f"{INDENT}{item},\n" for item in items) + "]"
        return self._inline(value, schema)

    def _inline(self, value: Any, schema: Mapping[str, Any]) -> str:
        if isinstance(value, Mapping):
            if not value:
                return "{}"
            parts = [f"{_key(k)} = {self._inline(value[k], self._child(schema, k))}"
                     for k in ordered_keys(value, schema)]
            return "{ " + ", ".join(parts) + " }"
        if isinstance(value, list):
            return "[" + ", ".join(self._inline(v, self._items(schema)) for v in value) + "]"
        return scalar(value)


def ordered_keys(table: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """The schema's property order first, then other keys in source order."""
    known = [k for k in schema.get("properties", {}) if k in table]
    return known + [k for k in table if k not in known]


def _is_aot(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def scalar(value: Any) -> str:
    """One TOML scalar: numbers normalised here, everything else written by tomli-w."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return normalise_decimal(value)
    if isinstance(value, (str, dt.date, dt.time)):
        text = tomli_w.dumps({"v": value}, multiline_strings=True)
        return text[len("v = "):].rstrip("\n")
    raise TypeError(f"cannot format {type(value).__name__}")  # pragma: no cover - tomllib yields no other type


def normalise_decimal(value: Decimal) -> str:
    """A TOML float literal in plain notation: no exponent, no trailing zeros, at least one decimal."""
    if not value.is_finite():
        return {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(str(value), str(value).lower())
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0")
        return text + "0" if text.endswith(".") else text
    return text + ".0"


_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"}


def policy_files(paths: list[str]) -> list[Path]:
    """Files to format: explicit policy and test files as given; in directories, policies and ``*_test.toml``."""
    return select_files(paths)[0]


def select_files(paths: list[str]) -> tuple[list[Path], list[Path]]:
    """(files to format, explicit files left alone because they are neither policies nor policy tests).

    An explicit ``pyproject.toml`` (pre-commit passes every staged TOML file to a hook without a file
    filter) is left alone: its free-form tables would otherwise be laid out as a policy's, inline.
    """
    out: list[Path] = []
    skipped: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            (out if path.name.endswith("_test.toml") or _is_policy(path) else skipped).append(path)
        elif path.is_dir():
            for file in sorted(path.rglob("*.toml")):
                hidden = any(p in _SKIP_DIRS or p.startswith(".") for p in file.relative_to(path).parts[:-1])
                if not hidden and (file.name.endswith("_test.toml") or _is_policy(file)):
                    out.append(file)
        else:
            raise UsageError(f"{raw}: no such file or directory", Location(file=raw),
                             hint="pass policy files or directories")
    return list(dict.fromkeys(out)), list(dict.fromkeys(skipped))


def _is_policy(file: Path) -> bool:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # let format_text report the problem rather than skip the file silently
    return "priorities" in data
