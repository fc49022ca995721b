"""Progress on stderr for the long commands (evaluate, replay, review, diff, report), drawn by rich.

Shown only when stderr is a terminal, and only once the command has run for about a second
(``BUDGETPOLICY_PROGRESS_DELAY`` seconds, default 1: a quick command never flickers); never with
``--quiet``. It is transient: the lines are cleared when the command ends, so a terminal keeps only
the output. Nothing is ever written to stdout, so piped or ``--output`` results are the same bytes with
or without it.

A command opens one :class:`Progress` and names each phase; a phase with a known size gets a bar and
an advance callback (cheap: rich is told every 512 items, not every one)::

    with progress_for(args) as progress:
        with progress.phase("reading and deciding"):
            evaluation = ...
        with progress.phase("writing decisions", total=len(evaluation.decisions)) as tick:
            write_evaluation_json(evaluation, out, tick=tick)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.text import Text

DELAY_ENV = "BUDGETPOLICY_PROGRESS_DELAY"
_BATCH = 512  # items between updates sent to rich: a tick costs an increment, not a lock and a sample


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress on stderr (progress shows only on a terminal, after about a second)")


def progress_for(args: argparse.Namespace, stream: TextIO | None = None) -> "Progress":
    """The progress of a command run with ``args``: on when ``stream`` (stderr) is a terminal and
    ``--quiet`` was not given; ``--progress``/``--no-progress`` (replay) force it either way."""
    stream = stream or sys.stderr
    forced = getattr(args, "progress", None)
    if getattr(args, "quiet", False):
        forced = False
    shown = stream.isatty() if forced is None else forced
    return Progress(stream if shown else None, force=bool(forced) and not stream.isatty())


_CURRENT: list["Progress"] = []  # the command's open progress, closed before output goes to the terminal


def before_terminal_output() -> None:
    """Close the open progress display: what follows is written to the terminal it is drawn on."""
    for progress in list(_CURRENT):
        progress.close()


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get(DELAY_ENV, "1")))
    except ValueError:
        return 1.0


class Progress:
    """One command's progress display (a no-op when ``stream`` is None); a context manager."""

    def __init__(self, stream: TextIO | None, *, force: bool = False) -> None:
        self._bar: Any = None
        self._lock = threading.Lock()
        self._started = self._closed = False
        if stream is None:
            return
        # Forced onto a file or pipe (replay --progress): the last state stays, as plain text.
        console = Console(file=stream, force_terminal=None if not force else False, highlight=False,
                          markup=False, emoji=False)
        self._bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), _Count(),
                        TimeElapsedColumn(), console=console, transient=not force, redirect_stdout=False,
                        redirect_stderr=not force)
        self._timer = threading.Timer(0 if force else _delay(), self._start)
        self._timer.daemon = True

    @property
    def active(self) -> bool:
        return self._bar is not None

    def __enter__(self) -> "Progress":
        if self._bar is not None:
            _CURRENT.append(self)
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        with self._lock:
            if not self._closed and not self._started:
                self._started = True
                self._bar.start()

    def close(self) -> None:
        """Stop the display (and clear it on a terminal); later phases show nothing."""
        if self._bar is None:
            return
        self._timer.cancel()
        if self in _CURRENT:
            _CURRENT.remove(self)
        with self._lock:
            self._closed = True
            if self._started:
                self._bar.stop()  # off a terminal (forced), rich writes the last state once, here

    @contextlib.contextmanager
    def phase(self, description: str, total: int | None = None) -> Iterator[Callable[[], None]]:
        """A step of the command: a spinner with the elapsed time, or a bar of ``total`` items advanced
        by calling what it yields once per item."""
        if self._bar is None or self._closed:
            yield _nothing
            return
        task = self._bar.add_task(description, total=total)
        count = [0]

        def tick() -> None:
            count[0] += 1
            if count[0] % _BATCH == 0:
                self._bar.update(task, completed=count[0])

        try:
            yield tick
        finally:
            self._bar.update(task, completed=count[0] if total is None else total, visible=total is not None)

    @contextlib.contextmanager
    def tracked(self, description: str) -> Iterator[Callable[[int, int], None]]:
        """A phase whose caller says where it is, ``report(done, total)`` (replay's ``on_progress``);
        rich is told at most every 50 ms, and always of the end."""
        if self._bar is None or self._closed:
            yield _ignore
            return
        task = self._bar.add_task(description, total=None)
        last = [0.0]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.05 or done >= total:
                last[0] = now
                self._bar.update(task, completed=done, total=total)

        yield report


class _Count(ProgressColumn):
    """``1,200/5,000`` for a phase of known size; nothing for a spinner."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{int(task.completed):,}/{int(task.total):,}", style="green")


def _ignore(done: int, total: int) -> None:
    return None


def _nothing() -> None:
    return None
