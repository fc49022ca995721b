"""pytest plugin for ``mutation_wide.py``: which mutated functions each test calls, and how long it takes.

Loaded with ``-p mutation_hits`` in mutmut's ``mutants/`` copy while ``MUTANT_UNDER_TEST=stats``: mutmut's
trampolines then report every call of a mutated function, and this plugin files each report under the
test that is running. At the end of the session it writes ``$MUTATION_HITS_OUT.<worker>.json``:
``{"hits": {function: [test ids]}, "seconds": {test id: seconds}, "failed": [test ids]}`` (one file per
xdist worker). A test that fails with no mutant switched on (it needs a file mutmut does not copy, such
as a plugin's source) cannot judge a mutant: it is listed in ``failed`` and left out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from mutmut.mutation import trampoline

_running: list[str | None] = [None]
_hits: dict[str, set[str]] = {}
_seconds: dict[str, float] = {}
_failed: set[str] = set()


def _record(function: str, caller: Any = None) -> None:
    test = _running[0]
    if test is not None:
        _hits.setdefault(function, set()).add(test)


trampoline.record_trampoline_hit = _record  # the trampolines look the name up at each call


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _running[0] = item.nodeid
    yield
    _running[0] = None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _seconds[report.nodeid] = _seconds.get(report.nodeid, 0.0) + report.duration
    if report.failed:
        _failed.add(report.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("MUTATION_HITS_OUT")
    if out:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(f"{out}.{worker}.json", "w", encoding="utf-8") as f:
            json.dump({"hits": {k: sorted(v) for k, v in sorted(_hits.items())}, "seconds": _seconds,
                       "failed": sorted(_failed)}, f)
