"""Built-in data sources (CSV, JSON, TOML, SQLite), registered through the same hook as plugins.

A source only reads: it turns a file into ``(Location, raw record)`` pairs and
reports what it alone can see (a missing file, bytes that are not UTF-8, a
syntax error with its line, a bad header). Validation and conversion of each
record happen in :mod:`budgetpolicy.data.load`, the same for every source.
Tabular sources (CSV, SQLite) yield flat records of text, with map fields as
prefixed columns (``forecast.win-rate``); JSON and TOML yield nested, typed
records (numbers parsed straight to Decimal, never float). Formats:
``docs/data-formats.md``.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import tomllib
import urllib.parse
from contextlib import closing
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from budgetpolicy.hookspecs import hookimpl
from budgetpolicy.errors import DataError, Location, did_you_mean
from budgetpolicy.data import jsontext
from budgetpolicy.data.load import check_columns
from budgetpolicy.policy.limits import MAX_DEPTH, first_too_deep

Pairs = Iterator[tuple[Location, Any]]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@hookimpl
def register_data_sources(register: Callable[..., None]) -> None:
    register("csv", csv_source, extensions=(".csv",),
             description="one row per record, header row; lists ';'-separated; maps as prefixed columns")
    register("json", json_source, extensions=(".json",),
             description="a list of records, or {\"initiatives\": [...]} / {\"outcomes\": [...]}")
    register("toml", toml_source, extensions=(".toml",), description="[[initiatives]] or [[outcomes]] tables")
    register("sqlite", sqlite_source, extensions=(".db", ".sqlite", ".sqlite3"),
             description="a table (default: initiatives / outcomes) laid out like the CSV; file.db?table=NAME")


# -- reading files ------------------------------------------------------------------


def read_text(target: str) -> str:
    """The file as UTF-8 text (a BOM is allowed), or a DataError saying exactly what is wrong."""
    path = Path(target)
    if not path.exists():
        raise DataError("file not found", Location(file=target), hint="check the path", code="BP401")
    if path.is_dir():
        raise DataError("is a directory, not a file", Location(file=target), code="BP401")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror or exc}", Location(file=target), code="BP401") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(f"not UTF-8: byte 0x{data[exc.start]:02X} at line {line}, column {column} "
                        f"(offset {exc.start})", Location(file=target, line=line, column=column),
                        hint="save the file as UTF-8 (in Excel: 'CSV UTF-8')", code="BP402") from None
    if not text.strip():
        raise DataError("file is empty", Location(file=target), hint="export the data again", code="BP404")
    return text


def _text(value: Any) -> str | None:
    """A table cell as text (what CSV would hold): empty and NULL mean missing."""
    if value is None:
        return None
    if isinstance(value, float):
        value = repr(value)  # SQLite REAL: the shortest text that reads back as the same double
    text = str(value).strip()
    return text or None


# -- CSV ------------------------------------------------------------------------------


def csv_source(target: str, kind: str) -> Pairs:
    """Rows of a comma-separated file; a row's Location is its physical line (the header is line 1).

    The header is read and checked at once; the rows are then read one at a time, so a million-row
    file streams in constant memory. An encoding problem found while streaming is reported exactly
    as :func:`read_text` reports it (line, column, offset), by re-reading the file on that error path.
    """
    path = Path(target)
    if not path.exists() or path.is_dir():
        read_text(target)  # raises the precise "not found" / "is a directory" error
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror or exc}", Location(file=target), code="BP401") from None
    reader = csv.reader(handle, strict=True)
    rows = _csv_rows(target, reader, handle)
    header = next(rows, None)
    if header is None:
        handle.close()
        read_text(target)  # whitespace only: the same "file is empty" error as the other formats
        raise DataError("file is empty", Location(file=target), code="BP404")
    header_line, cells = header
    columns = [c.strip() for c in cells]
    try:
        check_columns(columns, kind, Location(file=target, line=header_line))
    except DataError:
        handle.close()
        raise
    return _csv_records(target, columns, rows)


def _csv_rows(target: str, reader: Any, handle: Any) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the physical line each starts on; closes the file when done."""
    line = 1
    with handle:
        try:
            for cells in reader:
                if cells and any(c.strip() for c in cells):
                    yield line, cells
                line = reader.line_num + 1  # a quoted cell may span lines: the next row starts after them
        except UnicodeDecodeError:
            read_text(target)  # raises the BP402 error with the exact line and column
            raise
        except csv.Error as exc:
            # Report where the broken record starts: an unclosed quote swallows the lines after it.
            raise DataError(f"malformed CSV: {exc}", Location(file=target, line=line),
                            hint="check the quotes in the row starting on this line", code="BP403") from None


def _csv_records(target: str, columns: list[str], rows: Iterator[tuple[int, list[str]]]) -> Pairs:
    for line, cells in rows:
        location = Location(file=target, row=line)
        if len(cells) != len(columns):
            # A shifted row would put every value in the wrong field; report it instead of guessing.
            yield location, DataError(f"row has {len(cells)} cells but the header has {len(columns)}",
                                      location, hint="check for a missing or extra comma (quote cells "
                                                     "that contain commas)", code="BP421")
            continue
        yield location, {c: v.strip() or None for c, v in zip(columns, cells)}  # _text() of a CSV cell (text)


# -- JSON and TOML --------------------------------------------------------------------


def _records_in(data: Any, kind: str, target: str, fmt: str) -> list[Any]:
    if isinstance(data, list) and fmt == "JSON":
        return data
    if isinstance(data, dict) and isinstance(data.get(kind), list):
        extra = sorted(set(data) - {kind, "$schema"})
        if extra:
            hint = did_you_mean(extra[0], [kind]) or f"only '{kind}' is read"
            raise DataError(f"unexpected top-level key '{extra[0]}'", Location(file=target, key=extra[0]),
                            hint=hint, code="BP405")
        records: list[Any] = data[kind]
        return records
    close = did_you_mean(next(iter(data), ""), [kind]) if isinstance(data, dict) and data else None
    want = f"a list of records or {{\"{kind}\": [...]}}" if fmt == "JSON" else f"[[{kind}]] tables"
    raise DataError(f"expected {want}", Location(file=target), hint=close, code="BP405")


def json_source(target: str, kind: str) -> Pairs:
    """Records of a JSON list; a record's place is ``record N`` (1-based)."""
    text = read_text(target)
    try:
        # NaN/Infinity literals become Decimal NaN/inf so the record check names the field.
        data = jsontext.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg}", Location(file=target, line=exc.lineno, column=exc.colno),
                        code="BP403") from None
    except jsontext.JsonInputError as exc:  # a key given twice, nesting too deep
        raise DataError(f"malformed JSON: {exc}", Location(file=target, line=exc.line, column=exc.column),
                        hint=exc.hint, code="BP403") from None
    records = _records_in(data, kind, target, "JSON")
    return ((Location(file=target, key=f"record {n}"), r) for n, r in enumerate(records, start=1))


def toml_source(target: str, kind: str) -> Pairs:
    """Records of ``[[initiatives]]`` / ``[[outcomes]]`` tables, located at their header line."""
    text = read_text(target)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except RecursionError:
        deep = first_too_deep(text)
        raise DataError(f"malformed TOML: arrays or tables nested more than {MAX_DEPTH} levels deep",
                        Location(file=target, line=deep[0] if deep else None, column=deep[1] if deep else None),
                        hint="a record nests a few levels at most; flatten it", code="BP403") from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise DataError(f"malformed TOML: {message}",
                        Location(file=target, line=int(found[1]) if found else None,
                                 column=int(found[2]) if found else None), code="BP403") from None
    records = _records_in(data, kind, target, "TOML")
    header = re.compile(rf"^\s*\[\[\s*{kind}\s*\]\]")
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if header.match(line)]
    return ((Location(file=target, key=f"record {n}", line=lines[n - 1] if len(lines) == len(records) else None), r)
            for n, r in enumerate(records, start=1))


# -- SQLite ---------------------------------------------------------------------------


def sqlite_source(target: str, kind: str) -> Pairs:
    """Rows of one table (``file.db?table=NAME``, default ``initiatives``/``outcomes``), opened read-only."""
    path, _, query = target.partition("?")
    params = urllib.parse.parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(params) - {"table"})
    if unknown:
        raise DataError(f"unknown option '{unknown[0]}' in the SQLite target", Location(file=target),
                        hint="only ?table=NAME is supported", code="BP407")
    table = params.get("table", [kind])[-1]
    if not _IDENTIFIER.fullmatch(table):
        raise DataError(f"'{table}' is not a table name", Location(file=target),
                        hint="use letters, digits and _ only", code="BP407")
    if not Path(path).is_file():
        raise DataError("file not found", Location(file=path), hint="check the path", code="BP401")
    uri = "file:" + urllib.parse.quote(str(Path(path).resolve())) + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
            if table not in tables:
                hint = did_you_mean(table, tables)
                raise DataError(f"no table '{table}'", Location(file=path),
                                hint=(hint + "; " if hint else "") + f"tables: {', '.join(sorted(tables)) or 'none'}; "
                                     f"pick one with {path}?table=NAME", code="BP407")
            # The name is a checked identifier and quoted, so it cannot change the statement.
            cursor = conn.execute(f'SELECT * FROM "{table}"' + (" ORDER BY rowid" if _has_rowid(conn, table) else ""))
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except sqlite3.DatabaseError as exc:
        raise DataError(f"cannot read SQLite database: {exc}", Location(file=path),
                        hint="is it an SQLite 3 database?", code="BP403") from None
    check_columns(columns, kind, Location(file=path, key=table))
    return _sqlite_records(path, table, columns, rows)


def _sqlite_records(path: str, table: str, columns: list[str], rows: list[Any]) -> Pairs:
    for n, row in enumerate(rows, start=1):
        location = Location(file=path, key=table, row=n)
        blobs = [c for c, v in zip(columns, row) if isinstance(v, bytes)]
        if blobs:
            yield location, DataError("a BLOB value cannot be read as data", location.evolve(field=blobs[0]),
                                      hint="store text or numbers in this column", code="BP413")
            continue
        yield location, {c: _text(v) for c, v in zip(columns, row)}


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
    except sqlite3.OperationalError:  # views and WITHOUT ROWID tables
        return False
    return True
