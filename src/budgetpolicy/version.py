"""The engine's version, recorded in every decision's provenance and shown by ``--version``.

A neutral module (no plugin manager, no stage) so the engine, the registry,
replay and the CLI can all ask for it.
"""

from __future__ import annotations

import functools
from importlib import metadata


@functools.cache  # metadata.version scans sys.path each time; provenance asks once per decision
def engine_version() -> str:
    try:
        return metadata.version("budgetpolicy")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"
