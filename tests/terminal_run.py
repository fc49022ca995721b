"""Running a command with one of its streams on a real pseudo-terminal, as in a shell: shared by the tests
of colour and width (stdout on the terminal) and of progress (stderr on it)."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_on_terminal(argv: Sequence[str], *, terminal: str, env: Mapping[str, str], cwd: Path,
                    timeout: float = 300) -> tuple[int, bytes, bytes]:
    """Run ``argv`` with ``terminal`` ("stdout" or "stderr") on a pseudo-terminal and the other stream on a
    pipe: (exit code, what the terminal got, what the pipe got). The pipe is read once the terminal closes,
    so keep large outputs off it (``-o FILE``)."""
    leader, follower = pty.openpty()
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, terminal: follower}
    proc = subprocess.Popen(list(argv), stdout=streams["stdout"], stderr=streams["stderr"], cwd=cwd, env=dict(env))
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    pipe = proc.stderr if terminal == "stdout" else proc.stdout
    assert pipe is not None
    piped = pipe.read()
    return proc.wait(timeout=timeout), b"".join(chunks), piped
