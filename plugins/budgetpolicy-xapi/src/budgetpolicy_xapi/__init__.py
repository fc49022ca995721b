"""budgetpolicy plugin: outcomes from xAPI statements exported from a learning record store.

Registers the data source ``xapi`` through the ``register_data_sources`` hook::

    budgetpolicy review --outcomes xapi:lrs-export.json ...

The file is what an LRS export gives: a JSON array of statements, the
statements API response ``{"statements": [...], "more": ""}``, or JSON Lines
(one statement per line). Numbers are read as ``Decimal``. Each initiative's
statements become one outcome record per quarter (see
:mod:`budgetpolicy_xapi.outcomes` for the rules); the core then validates and
converts every record like any other source's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from budgetpolicy import hookimpl
from budgetpolicy.data import jsontext
from budgetpolicy.errors import DataError, Location

from budgetpolicy_xapi.outcomes import ASSESSMENT_EXT, INITIATIVE_EXT, aggregate, quarter

__all__ = ["ASSESSMENT_EXT", "INITIATIVE_EXT", "aggregate", "quarter", "read_statements", "register_data_sources",
           "xapi_source"]


@hookimpl
def register_data_sources(register: Callable[..., None]) -> None:
    # No file extension: an xAPI export is plain .json, which the built-in JSON
    # source owns; users pick this source explicitly with the ``xapi:`` prefix.
    register("xapi", xapi_source, extensions=(),
             description="outcomes (completion rate, pre/post assessment) per initiative and quarter "
                         "from xAPI statements exported from an LRS")


def xapi_source(target: str, kind: str) -> Iterator[tuple[Location, dict[str, Any]]]:
    """Outcome records from the statements in ``target``; ``kind`` must be ``"outcomes"``."""
    if kind != "outcomes":
        raise DataError(f"the xapi source reads outcomes, not {kind}", Location(file=target),
                        hint="use it as --outcomes xapi:FILE; initiatives come from a CSV/JSON/TOML file",
                        code="BP491")
    result = aggregate(read_statements(target), target)
    if result.problems:
        raise DataError(result.problems)
    return iter(result.records)


def read_statements(target: str) -> list[Any]:
    """Every statement in the export, in file order."""
    path = Path(target)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read xAPI export: {exc.strerror or exc}", Location(file=target),
                        hint="check the path after 'xapi:'", code="BP491") from None
    try:
        data = jsontext.loads(text)  # a key given twice is refused, not silently the last
    except json.JSONDecodeError as first:
        return _json_lines(text, target, first)
    except jsontext.JsonInputError as exc:  # a key given twice, nesting too deep
        raise DataError(f"not valid xAPI JSON: {exc}", Location(file=target, line=exc.line, column=exc.column),
                        hint=exc.hint, code="BP491") from None
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
            out.append(jsontext.loads(line))
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON (or JSON Lines): {exc.msg}",
                            Location(file=target, line=n, column=exc.colno), code="BP491") from None
        except jsontext.JsonInputError as exc:
            raise DataError(f"not valid xAPI JSON: {exc}", Location(file=target, line=n, column=exc.column),
                            hint=exc.hint, code="BP491") from None
    return out


def _is_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False
