"""Headless Chromium driven over the DevTools protocol on a pipe, for the report's browser tests.

``--window-size`` cannot test a phone: headless Chromium clamps windows to 500 px wide. The DevTools
protocol's ``Emulation.setDeviceMetricsOverride`` gives the page an exact viewport (375 px, as a phone
does), ``Runtime.evaluate`` measures it and ``Page.captureScreenshot`` photographs the whole page. The
protocol runs over ``--remote-debugging-pipe`` (file descriptors 3 and 4, NUL-terminated JSON), so no
port is opened and no client library is needed. Nothing here is mocked: it is the real browser.

Screenshots are kept under ``artifacts/report-browser/`` at the repository root (ignored by git), or
under ``$BUDGETPOLICY_ARTIFACTS`` when set; the tests print the path.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def artifacts_dir() -> Path:
    root = Path(os.environ.get("BUDGETPOLICY_ARTIFACTS") or REPO / "artifacts")
    path = root / "report-browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Browser:
    """One headless Chromium; ``open(url, width)`` gives a :class:`Page` with that viewport width."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4.
        self._proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(3, 4), preexec_fn=_fds(to_chrome_r, from_chrome_w))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self._target: str | None = None

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self._events.append(reply)

    def wait_for(self, method: str, session: str) -> None:
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    del self._events[: i + 1]
                    return
            self._events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(0.0, left))
            if not ready:
                raise RuntimeError(f"chromium did not answer within {TIMEOUT:.0f} s")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise RuntimeError(f"chromium closed the pipe: {err[-2000:]}")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(raw))

    def open(self, url: str, width: int, height: int = 900) -> Page:
        """A new tab showing ``url`` (the previous tab is closed: one page at a time)."""
        if self._target is not None:
            self.send("Target.closeTarget", {"targetId": self._target})
        target = self._target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, width, height)
        page.resize(height)
        self.send("Page.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return page


class Page:
    """A loaded page in a viewport ``width`` CSS pixels wide (a phone's, with ``mobile`` emulation below 600)."""

    def __init__(self, browser: Browser, session: str, width: int, height: int) -> None:
        self.browser, self.session, self.width, self.height = browser, session, width, height

    def resize(self, height: int) -> None:
        self.height = height
        self.browser.send("Emulation.setDeviceMetricsOverride",
                          {"width": self.width, "height": height, "deviceScaleFactor": 1,
                           "mobile": self.width < 600}, session=self.session)

    def evaluate(self, expression: str) -> Any:
        reply = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                  session=self.session)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """The whole page (the viewport grown to the page's height), as PNG."""
        import base64

        full = int(self.evaluate("document.documentElement.scrollHeight"))
        self.resize(min(full, 16000))
        data = self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


def _fds(read_end: int, write_end: int) -> Any:
    def setup() -> None:  # in the child, before exec: the pipe ends become fds 3 and 4
        # Copies first: either end may itself be fd 3 or 4, which the first dup2 would overwrite.
        read_copy, write_copy = os.dup(read_end), os.dup(write_end)
        os.dup2(read_copy, 3)
        os.dup2(write_copy, 4)

    return setup
