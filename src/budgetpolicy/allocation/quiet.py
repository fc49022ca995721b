"""Keep a solver's own printing out of the command's output.

scipy's bundled HiGHS sometimes writes a line (``HighsMipSolverData::...``) straight to the process's
standard output from C, ahead of any Python output, even with its output switched off (a known
upstream bug, ERGO-Code/HiGHS#2783): ``evaluate --format json`` then writes invalid JSON. Python-level
redirection cannot catch a C library's writes, so the file descriptors themselves point at /dev/null
while the solver runs, and are put back afterwards, whatever happens.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def solver_output_silenced() -> Iterator[None]:
    """File descriptors 1 and 2 go to /dev/null for the duration (Python's own streams flushed first)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)
