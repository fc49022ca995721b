"""A solver's own printing never reaches the command's output (scipy's HiGHS can write from C)."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

from budgetpolicy.allocation.quiet import solver_output_silenced

ROOT = Path(__file__).resolve().parents[2]


def test_writes_to_the_file_descriptors_are_dropped_and_the_streams_come_back(capfd):
    print("before", flush=True)
    with solver_output_silenced():
        os.write(1, b"HighsMipSolverData::stray line\n")  # as a C library writes: below Python's streams
        os.write(2, b"stray on stderr\n")
        libc = ctypes.CDLL(None)
        libc.puts(b"from C puts")
        libc.fflush(None)
    print("after", flush=True)
    out, err = capfd.readouterr()
    assert out == "before\nafter\n" and err == ""


def test_the_descriptors_are_restored_when_the_solver_raises(capfd):
    try:
        with solver_output_silenced():
            raise RuntimeError("solver failed")
    except RuntimeError:
        pass
    os.write(1, b"visible\n")
    assert capfd.readouterr().out == "visible\n"


def test_optimal_json_output_parses(tmp_path):
    text = (ROOT / "policies" / "acme-2026.toml").read_text(encoding="utf-8")
    assert 'strategy = "greedy"' in text
    policy = tmp_path / "optimal.toml"
    policy.write_text(text.replace('strategy = "greedy"', 'strategy = "optimal"', 1), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "budgetpolicy", "evaluate", "-P", str(policy), "-i",
                             str(ROOT / "policies" / "acme-2026.initiatives.csv"), "-f", "json",
                             "--evaluated-at", "2026-01-15T09:00:00+00:00"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # nothing but the JSON document on stdout
    assert len(document["decisions"]) == 44
