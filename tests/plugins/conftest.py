"""Real installed plugins for the plugin-system tests, without pip.

``install_plugin`` writes a plugin module and a ``*.dist-info`` directory
(METADATA + entry_points.txt in the ``budgetpolicy`` group) into a temporary
site directory on ``sys.path``: ``importlib.metadata`` then finds it exactly
like a pip-installed distribution, so entry-point discovery, versions, pinning
and ``-p`` are exercised for real, in process and in CLI subprocesses (pass
``site_env()`` as the subprocess environment).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from budgetpolicy.plugins import PINNED_ENV, TRACE_ENV

_counter = itertools.count()


class FakeSite:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self._monkeypatch = monkeypatch
        monkeypatch.syspath_prepend(str(root))

    def install(self, name: str, source: str, version: str = "1.2.3") -> str:
        """Install plugin ``name`` (entry-point name) whose module body is ``source``; returns the module name."""
        module = f"bp_fake_{name.replace('-', '_')}_{next(_counter)}"
        (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        dist = self.root / f"{module}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: bp-fake-{name}\nVersion: {version}\n")
        (dist / "entry_points.txt").write_text(f"[budgetpolicy]\n{name} = {module}\n")
        self._monkeypatch.delitem(sys.modules, module, raising=False)
        return module

    def env(self, pinned: str | None, **extra: str) -> dict[str, str]:
        """An environment for a CLI subprocess that sees this site; ``pinned=None`` unsets the pin."""
        env = dict(os.environ)
        env.pop(TRACE_ENV, None)
        env["PYTHONPATH"] = os.pathsep.join([str(self.root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env.pop(PINNED_ENV, None)
        env.pop("BUDGETPOLICY_DEBUG", None)
        if pinned is not None:
            env[PINNED_ENV] = pinned
        return {**env, **extra}

    def cli(self, *args: str, pinned: str | None, **env: str) -> subprocess.CompletedProcess[str]:
        """Run the CLI in a subprocess; keyword arguments are extra environment variables."""
        return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                              env=self.env(pinned, **env), timeout=120)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSite:
    root = tmp_path / "site"
    root.mkdir()
    return FakeSite(root, monkeypatch)
