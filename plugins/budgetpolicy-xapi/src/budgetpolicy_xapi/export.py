"""Reading an xAPI export file, and the options of the ``xapi:`` source (``FILE?mapping=MAP&skip-invalid=1``).

The file is what an LRS export gives: a JSON array of statements, the
statements API response ``{"statements": [...], "more": ""}``, or JSON Lines
(one statement per line). Numbers are read as ``Decimal``.
"""

from __future__ import annotations

import json
import urllib.parse
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen

from budgetpolicy.errors import DataError, Location
from budgetpolicy_xapi.mapping import ActivityMapping, load_mapping

__all__ = ["FileOptions", "parse_target", "read_statements", "truthy"]

OPTIONS = ("mapping", "skip-invalid")


@frozen
class FileOptions:
    path: str
    mapping: ActivityMapping | None = None
    skip_invalid: bool = False


def truthy(value: str, where: Location, name: str) -> bool:
    if value.lower() in ("", "1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise DataError(f"{name}={value!r} is not a yes/no value", where, hint=f"write {name}=1 or {name}=0",
                    code="BP491")


def parse_target(target: str) -> FileOptions:
    """``export.json?mapping=map.toml&skip-invalid=1`` -> the path and its options (mapping read here)."""
    path, sep, query = target.rpartition("?")
    if not sep:
        return FileOptions(target)
    where = Location(file=path, key="?" + query)
    options: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name not in OPTIONS:
            raise DataError(f"unknown xapi option '{name}'", where,
                            hint=f"options are {', '.join(OPTIONS)} (FILE?mapping=MAP.toml&skip-invalid=1)",
                            code="BP491")
        options[name] = value
    mapping = load_mapping(options["mapping"]) if options.get("mapping") else None
    return FileOptions(path, mapping, truthy(options["skip-invalid"], where, "skip-invalid")
                       if "skip-invalid" in options else False)


def read_statements(target: str) -> list[Any]:
    """Every statement in the export, in file order."""
    path = Path(target)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read xAPI export: {exc.strerror or exc}", Location(file=target),
                        hint="check the path after 'xapi:'", code="BP491") from None
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as first:
        return _json_lines(text, target, first)
    if isinstance(data, dict) and isinstance(data.get("statements"), list):
        return list(data["statements"])
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "actor" in data:
        return [data]
    raise DataError("an xAPI export must be a list of statements or {\"statements\": [...]}",
                    Location(file=target), code="BP491")


def _json_lines(text: str, target: str, first: json.JSONDecodeError) -> list[Any]:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    # JSON Lines only when the first line is a whole statement; otherwise the
    # file is a broken JSON document and the first parse error is the useful one.
    if len(lines) < 2 or not _is_object(lines[0][1]):
        raise DataError(f"not valid JSON: {first.msg}", Location(file=target, line=first.lineno,
                                                                 column=first.colno), code="BP491")
    out = []
    for n, line in lines:
        try:
            out.append(json.loads(line, parse_float=Decimal))
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON (or JSON Lines): {exc.msg}",
                            Location(file=target, line=n, column=exc.colno), code="BP491") from None
    return out


def _is_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False
