"""Rendering results for people and machines: tables that fit the screen, JSON, JSON lines, CSV.

Pure functions from values to text; the CLI decides where the text goes and, once per command,
which :class:`Screen` the tables are drawn for (:func:`use_screen`): its width and whether it takes
colour. Tables are drawn by rich (columns wrap to the width, a long cell wraps onto more lines and is
never cut, a word never split: a table whose words alone need more than the width is that wide);
colour only on a terminal. Without a terminal the width is fixed (``COLUMNS``, else 100)
and there is no colour, so the same inputs give the same bytes.

JSON is canonical (sorted keys, Decimals as strings without trailing zeros, ``canonical.normal_text``);
CSV holds exact Decimals without separators; every money column in a table has one format.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, TextIO

from attrs import frozen
from rich.box import Box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from budgetpolicy.canonical import json_line, pretty_json
from budgetpolicy.engine.collector import collector_paused
from budgetpolicy.formatting import fixed_places, money_column, value_text
from budgetpolicy.model import Decision, Initiative, explained

Tick = Callable[[], None]  # called once per record written (progress)
DEFAULT_WIDTH = 100  # tables written to a pipe or a file, unless COLUMNS says otherwise
NARROWEST = 40  # below this no table is readable; a smaller COLUMNS is raised to it


@frozen
class Screen:
    """What tables are drawn for: the width in characters, whether colour is allowed, and whether it is a
    terminal (prose is wrapped only there: in a pipe or a file a sentence stays on one line for grep)."""

    width: int = DEFAULT_WIDTH
    colour: bool = False
    terminal: bool = False


_SCREEN: ContextVar[Screen] = ContextVar("budgetpolicy_screen", default=Screen())


def use_screen(screen: Screen) -> None:
    """Draw the tables of this command for ``screen`` (the CLI calls this once, before any output)."""
    _SCREEN.set(screen)


def current_screen() -> Screen:
    return _SCREEN.get()


def screen_for(*, terminal: bool, environ: Mapping[str, str], terminal_width: int | None = None) -> Screen:
    """The screen for output to a terminal (its width, colour unless ``NO_COLOR`` is set to anything
    but the empty string) or elsewhere (``COLUMNS``, else :data:`DEFAULT_WIDTH`; never colour)."""
    columns = environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() else None
    if terminal:
        return Screen(max(NARROWEST, terminal_width or width or DEFAULT_WIDTH), not environ.get("NO_COLOR"), True)
    return Screen(max(NARROWEST, width or DEFAULT_WIDTH), False)


# One rule of dashes under the header, columns apart, no frame: copy-paste friendly, plain ASCII.
_HEADER_RULE = Box("    \n    \n -  \n    \n    \n    \n    \n    \n", ascii=True)
OUTCOME_STYLES = {"approved": "green", "pending approval": "cyan", "deferred": "yellow", "rejected": "red",
                  "sunset": "magenta"}


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_width: int | None = None, *,
          styles: Mapping[str, str] | None = None, screen: Screen | None = None) -> str:
    """A table that fits ``screen`` (default: :func:`current_screen`): every cell in full, long ones
    wrapped; number columns right-aligned; a cell whose whole text is a key of ``styles`` is coloured
    with that style on a colour screen. ``max_width`` (the width a cell used to be cut at) is accepted
    so that plugins written against it keep working, and ignored: no cell is cut any more."""
    screen = screen or current_screen()
    cells = [[value_text(v) if not isinstance(v, str) else v for v in row] for row in rows]
    # A number column: every cell a number or a placeholder ("", "-"), and at least one number.
    numeric = [all(_is_number(r[i]) for r in cells) and any(r[i] not in ("", "-") for r in cells)
               for i in range(len(headers))]
    widths = column_widths(headers, cells, numeric, screen.width)
    grid = Table(box=_HEADER_RULE, show_edge=False, pad_edge=False, padding=(0, 1), collapse_padding=True,
                 header_style="bold" if screen.colour else "", expand=False, highlight=False)
    for header, num, width in zip(headers, numeric, widths):
        # Text wraps at words; a column is never narrower than its longest word, so none is split.
        grid.add_column(header, justify="right" if num else "left", overflow="fold", width=width)
    for row in cells:
        grid.add_row(*(Text(c, style=(styles or {}).get(c, "")) for c in row))
    return _render(grid, max(screen.width, sum(widths) + 2 * (len(widths) - 1)), screen.colour)


def column_widths(headers: Sequence[str], cells: list[list[str]], numeric: list[bool], width: int) -> list[int]:
    """Each column's width so the table fits ``width`` (two spaces between columns).

    Every column gets at least its longest word (a number column its longest cell: numbers are never
    split). What is left goes first to columns that need at most 4 more to show every cell on one line
    (a two-word header), then to the column with the longest text (the WHY people read) up to 24, then
    to the other columns, fewest wanted first (short cells on one line keep a row greppable), then to
    that longest column again. Only that column may split a word (rich folds it onto the next line,
    down to 12 characters wide); when the other columns' words alone need more than ``width``, the table
    is as wide as they need (a terminal then wraps its lines). Nothing is ever cut.
    """
    def longest(texts: Iterable[str], split: bool) -> int:
        return max((len(w) for t in texts for w in (t.split() if split else [t])), default=0)

    columns = [[h, *(r[i] for r in cells)] for i, h in enumerate(headers)]
    least = [max(longest(col[:1], True), longest(col[1:], not num), 1) for col, num in zip(columns, numeric)]
    full = [max(longest(col, False), 1) for col in columns]
    room = width - 2 * (len(headers) - 1)
    widths = list(least)
    if sum(full) <= room:
        return full
    extra = room - sum(least)
    text = [i for i in range(len(headers)) if not numeric[i]]
    wide = max(text, key=lambda i: full[i], default=None)
    cheap = sorted((full[i] - least[i], i) for i in range(len(headers)) if i != wide and full[i] - least[i] <= 4)
    rest = sorted((full[i] - least[i], i) for i in range(len(headers)) if i != wide and full[i] - least[i] > 4)
    first = [] if wide is None else [(min(full[wide], 24) - least[wide], wide)]
    for need, i in cheap + first + rest + ([] if wide is None else [(full[wide], wide)]):
        if (need, i) in cheap and need > extra:
            continue  # a header wrapped anyway gains nothing from part of its need
        give = min(max(need, 0), max(extra, 0), full[i] - widths[i])
        widths[i] += give
        extra -= give
    if extra < 0 and wide is not None:  # too wide: only the long text column may fold a long word
        floor = max(12, longest(columns[wide][:1], True))
        widths[wide] -= min(-extra, max(widths[wide] - floor, 0))
    return widths


def wrapped(text: str, screen: Screen | None = None) -> str:
    """Lines of prose wrapped to a terminal's width (a wrapped line goes on indented by two more); off a
    terminal, as they are."""
    screen = screen or current_screen()
    if not screen.terminal:
        return text
    width = screen.width
    out = []
    for line in text.split("\n"):
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out.append(textwrap.fill(line, width, subsequent_indent=indent + "  ", break_long_words=False,
                                 break_on_hyphens=False) if len(line) > width else line)
    return "\n".join(out)


def _render(renderable: Any, width: int, colour: bool) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system="standard" if colour else None,
                      force_terminal=colour, no_color=not colour, highlight=False, markup=False,
                      emoji=False, legacy_windows=False, soft_wrap=False, _environ={})
    console.print(renderable)
    text = buf.getvalue()
    return text if colour else "\n".join(line.rstrip() for line in text.split("\n"))


def _is_number(text: str) -> bool:
    stripped = text.replace(",", "").replace(".", "", 1).lstrip("+-")
    return stripped.isdigit() or text in ("", "-")


def decision_reason(decision: Decision) -> str:
    """Why, in one line: the rule reasons of a rejection, else the funding's explanation (else the reasons)."""
    reasons = "; ".join(f"{r.code}: {r.message}" for r in decision.reasons if r.code not in decision.flags)
    if decision.outcome == "rejected" or decision.funding is None:
        return reasons
    return decision.funding.explanation


# The first nine are the columns the CSV always had (scripts may read them by position); the rest were
# added after: what the initiative is and, as ``funding``, why it got what it got (the only reason a
# deferred row has).
DECISION_COLUMNS = ("id", "outcome", "score", "expected_value", "requested", "allocated", "approvers", "flags",
                    "reasons", "title", "department", "kind", "funding")


def decision_record(decision: Decision, initiative: Initiative | None) -> dict[str, Any]:
    """One decision as a flat record (the CSV columns): exact Decimals, lists joined by ``;``."""
    d, i = decision, initiative
    return {
        "id": d.initiative_id, "title": i.title if i else None, "department": i.department if i else None,
        "kind": i.kind if i else None, "outcome": d.outcome, "score": d.score,
        "expected_value": d.expected_value, "requested": i.cost if i else None,
        "allocated": d.funding.amount if d.funding else None, "approvers": ";".join(d.required_approvers),
        "flags": ";".join(d.flags),
        "reasons": "; ".join(f"{r.code}: {r.message}" for r in d.reasons if r.code not in d.flags),
        "funding": d.funding.explanation if d.funding else None,
    }


def decision_records(decisions: Sequence[Decision], initiatives: Mapping[str, Initiative]) -> list[dict[str, Any]]:
    """One flat record per decision (the CSV columns): exact Decimals, lists joined by ``;``."""
    return [decision_record(d, initiatives.get(d.initiative_id)) for d in decisions]


def decisions_table(decisions: Sequence[Decision], initiatives: Mapping[str, Initiative], currency: str,
                    places: int) -> str:
    """One row per decision; scores and expected values to the policy's ``places``, money in ``currency``."""
    requested = money_column([initiatives[d.initiative_id].cost if d.initiative_id in initiatives else None
                              for d in decisions])
    allocated = money_column([d.funding.amount if d.funding else None for d in decisions])
    rows = [[d.initiative_id, d.outcome.replace("_", " "), fixed_places(d.score, places),
             fixed_places(d.expected_value, places), asked or "-", funded or "-",
             ", ".join(d.required_approvers) or "-", decision_reason(d)]
            for d, asked, funded in zip(decisions, requested, allocated)]
    headers = ("ID", "OUTCOME", "SCORE", "EV", f"ASKED {currency}", f"FUNDED {currency}", "SIGN-OFF", "WHY")
    return table(headers, rows, styles=OUTCOME_STYLES)


def records_csv(columns: Sequence[str], records: Iterable[Mapping[str, Any]]) -> str:
    """CSV with a header row; Decimals exact without separators, None empty, lists joined by ``;``."""
    buf = io.StringIO()
    write_records_csv(columns, records, buf)
    return buf.getvalue()


def write_records_csv(columns: Sequence[str], records: Iterable[Mapping[str, Any]], out: TextIO,
                      tick: Tick | None = None) -> None:
    """:func:`records_csv` written to ``out`` row by row, as the records come (``tick()`` after each)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_cell(record.get(c)) for c in columns])
        if tick is not None:
            tick()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, tuple)):
        return ";".join(str(_csv_cell(v)) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def records_jsonl(records: Iterable[Any]) -> str:
    """One compact JSON object per line (sorted keys, Decimals normalised): ``--format jsonl``."""
    return "".join(json_line(r) for r in records)


def decisions_csv(decisions: Sequence[Decision], initiatives: Mapping[str, Initiative]) -> str:
    buf = io.StringIO()
    write_decisions_csv(decisions, initiatives, buf)
    return buf.getvalue()


def write_decisions_csv(decisions: Sequence[Decision], initiatives: Mapping[str, Initiative], out: TextIO,
                        tick: Tick | None = None) -> None:
    """``--format csv``: one row per decision, written as it is made (no explanation is built: the CSV
    prints none, so no counterfactual is computed either)."""
    write_records_csv(DECISION_COLUMNS, (decision_record(d, initiatives.get(d.initiative_id)) for d in decisions),
                      out, tick)


def _head(evaluation: Any) -> dict[str, Any]:
    """What the JSON document and the JSON lines' summary say besides the decisions."""
    policy = evaluation.policy
    return {
        "policy": {"id": policy.id, "version": policy.version,
                   "sha256": policy.source.sha256 if policy.source else None, "currency": policy.currency},
        "evaluated_at": evaluation.context.evaluated_at.isoformat(),
        "as_of": evaluation.context.as_of.isoformat() if evaluation.context.as_of else None,
        "allocation": evaluation.allocation.summary if evaluation.allocation is not None else None,
    }


def evaluation_doc(evaluation: Any) -> dict[str, Any]:
    """The whole evaluation as one JSON-ready value: policy, times, explained decisions, allocation (in
    memory: :func:`write_evaluation_json` writes the same document without holding it)."""
    doc = _head(evaluation)
    with collector_paused():  # every explanation is built here, on request
        doc["decisions"] = [explained(d, e) for d, e in evaluation.explained()]
    return doc


def evaluation_json(evaluation: Any, extra: Mapping[str, Any] | None = None) -> str:
    buf = io.StringIO()
    write_evaluation_json(evaluation, buf, extra)
    return buf.getvalue()


# The decisions' place in the indented document: a key indented by two spaces is a top-level key (every
# nested one is indented further, and JSON strings hold no raw newline), so this occurs exactly once.
_DECISIONS = '\n  "decisions": []'


def write_evaluation_json(evaluation: Any, out: TextIO, extra: Mapping[str, Any] | None = None,
                          tick: Tick | None = None) -> None:
    """``--format json`` written decision by decision: byte for byte :func:`pretty_json` of
    :func:`evaluation_doc` (plus ``extra`` keys), but each explanation is built, written and dropped in
    turn, so memory holds the decisions and one explanation, never the document."""
    frame = pretty_json({**_head(evaluation), **(extra or {}), "decisions": []}, normal=True)
    before, after = frame.split(_DECISIONS)
    out.write(before + '\n  "decisions": [')
    first = True
    with collector_paused():  # explanations are acyclic: reference counting frees each one
        for decision, explanation in evaluation.explained(keep=False):
            text = pretty_json(explained(decision, explanation), normal=True)
            out.write(("\n    " if first else ",\n    ") + text[:-1].replace("\n", "\n    "))
            first = False
            if tick is not None:
                tick()
    out.write(("]" if first else "\n  ]") + after)


def evaluation_jsonl(evaluation: Any) -> str:
    buf = io.StringIO()
    write_evaluation_jsonl(evaluation, buf)
    return buf.getvalue()


def write_evaluation_jsonl(evaluation: Any, out: TextIO, tick: Tick | None = None) -> None:
    """``--format jsonl``: one line per explained decision (a ``decisions`` item of :func:`evaluation_json`),
    written as it is built, then one summary line ``{"summary": {...}}``: the policy, times, allocation
    summary, the number of decisions and the count per outcome."""
    counts: dict[str, int] = {}
    with collector_paused():
        for decision, explanation in evaluation.explained(keep=False):
            out.write(json_line(explained(decision, explanation)))
            counts[decision.outcome] = counts.get(decision.outcome, 0) + 1
            if tick is not None:
                tick()
    out.write(json_line({"summary": {**_head(evaluation), "decisions": sum(counts.values()), "outcomes": counts}}))


def counts_line(decisions: Sequence[Decision]) -> str:
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d.outcome] = counts.get(d.outcome, 0) + 1
    order = ("approved", "pending_approval", "deferred", "rejected", "sunset")
    return ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in order if k in counts)
