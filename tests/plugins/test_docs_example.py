"""The plugin-authoring guide's example is real: its test suite passes and the guide quotes it verbatim."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "budgetpolicy-reach"
GUIDE = ROOT / "docs" / "plugins.md"


def test_the_example_plugin_suite_passes():
    # The example first, then the suite's own PYTHONPATH if set (absolute: the run's cwd is the example's).
    paths = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(EXAMPLE), *paths]))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                             str(EXAMPLE)], capture_output=True, text=True, env=env, cwd=EXAMPLE, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_the_guide_quotes_the_example_files_verbatim():
    guide = GUIDE.read_text()
    for name in ("budgetpolicy_reach.py", "test_budgetpolicy_reach.py", "pyproject.toml"):
        assert (EXAMPLE / name).read_text().strip() in guide, f"docs/plugins.md is out of date with {name}"


def test_the_guide_documents_every_hook():
    from budgetpolicy import hookspecs

    guide = GUIDE.read_text()
    hooks = [n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "budgetpolicy_spec")]
    assert len(hooks) >= 6
    for hook in hooks:
        assert f"`{hook}" in guide, hook
