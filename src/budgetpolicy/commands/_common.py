"""Helpers shared by the sub-commands: common options, plugin registry, writing output."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from budgetpolicy.registry import Registry

FORMATS = ("table", "json", "jsonl", "csv")


def add_format_options(parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS) -> None:
    parser.add_argument("--format", "-f", choices=formats, default=formats[0],
                        help=f"output format: {', '.join(formats)} (default: {formats[0]}; tables fit the "
                             "terminal, or COLUMNS / 100 characters when not written to one)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")


def plugin_selection(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The plugins ``-p NAME`` enables and ``-p no:NAME`` blocks, in the order given."""
    enable = [p for p in args.plugin_opts if not p.startswith("no:")]
    disable = [p[3:] for p in args.plugin_opts if p.startswith("no:")]
    return enable, disable


def registry_from_args(args: argparse.Namespace) -> "Registry":
    from budgetpolicy.plugins import build_registry

    enable, disable = plugin_selection(args)
    return build_registry(enable=enable, disable=disable)


def emit(args: argparse.Namespace, text: str) -> None:
    """Write command output to ``--output`` (atomically) or stdout."""
    out = getattr(args, "output", None)
    if not out:
        _to_stdout()
        sys.stdout.write(text)
        return
    from budgetpolicy.errors import UsageError

    path = Path(out)
    if path.parent and not path.parent.exists():
        raise UsageError(f"--output {out}: directory '{path.parent}' does not exist",
                         hint="create it first or choose another path")
    write_atomic(path, text)


@contextlib.contextmanager
def output_stream(args: argparse.Namespace) -> Iterator[TextIO]:
    """Where a command streams its output: ``--output`` (a temporary file beside it, put in place only
    when the command finishes, so a reader never sees half a file and an error leaves no file) or stdout."""
    out = getattr(args, "output", None)
    if not out:
        _to_stdout()
        yield sys.stdout
        return
    from budgetpolicy.errors import UsageError

    path = Path(out)
    if path.parent and not path.parent.exists():
        raise UsageError(f"--output {out}: directory '{path.parent}' does not exist",
                         hint="create it first or choose another path")
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _to_stdout() -> None:
    """Output is about to go to stdout: on a terminal, the progress drawn there is cleared first."""
    if sys.stdout.isatty():
        from budgetpolicy.commands._progress import before_terminal_output

        before_terminal_output()


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def warn(message: str) -> None:
    print(message, file=sys.stderr)
