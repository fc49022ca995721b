"""Shared by conftest.py and the LRS tests (a module of its own: ``conftest`` is a different module
when the core suite runs in the same session)."""

from __future__ import annotations

import socket

KEY, SECRET = "budgetpolicy-tests", "not-a-real-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
