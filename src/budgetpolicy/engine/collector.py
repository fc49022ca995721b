"""Pausing Python's cyclic garbage collector around bulk work on decisions.

Decisions, rule traces and score lines are acyclic frozen objects, freed by reference counting.
When one call builds or reads tens of thousands of them (a funding cycle, its JSON output, its
ledger entries), the cyclic collector walks the live ones again and again for nothing: about a
third of the time at 20,000 decisions. Such bounded work runs with it paused; the previous state
is restored on exit and on errors. Long, unbounded loops (replaying a ledger) do not pause it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
