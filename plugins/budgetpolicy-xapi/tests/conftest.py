"""Fixtures for the LRS connector's tests: a real LRS (ralph) started once per test session, and a
scripted HTTP server for the answers no healthy LRS gives (malformed JSON, a foreign ``more`` link,
5xx, the consistent-through header). Both listen on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from xapi_cohort import as_json, cohort
from xapi_lrs_support import KEY, SECRET, free_port

STARTUP_SECONDS = 60  # a loaded 2-core machine can take a while to import ralph's stack


class Ralph:
    def __init__(self, url: str, docs: list[dict[str, Any]]) -> None:
        self.url, self.docs = url, docs


@pytest.fixture(scope="session")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ralph]:
    """ralph's LRS on the file-system backend, with credentials made by ``ralph auth -w`` and the cohort's
    statements loaded through its statements API (one POST: the fs backend writes its file once)."""
    root = tmp_path_factory.mktemp("ralph")
    (root / "data").mkdir()
    (root / "cwd").mkdir()  # the dev server watches its working directory: keep it empty
    executable = Path(sys.executable).with_name("ralph")
    env = {**os.environ, "RALPH_APP_DIR": str(root / "app"), "RALPH_RUNSERVER_BACKEND": "fs"}
    subprocess.run([str(executable), "auth", "-u", KEY, "-p", SECRET, "-s", "all", "-M",
                    "mailto:budgetpolicy-tests@example.org", "-w"], env=env, check=True, capture_output=True,
                   timeout=120)
    port = free_port()
    log = (root / "server.log").open("wb")
    server = subprocess.Popen([str(executable), "runserver", "-b", "fs", "--fs-default-directory-path",
                               str(root / "data"), "-h", "127.0.0.1", "-p", str(port)],
                              env=env, cwd=root / "cwd", stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}/xAPI/"
    try:
        _wait_ready(url, server, root / "server.log")
        statements = cohort(seed=7)
        answer = requests.post(url + "statements", data=as_json(statements), auth=(KEY, SECRET), timeout=60,
                               headers={"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"})
        assert answer.status_code == 200, answer.text
        assert len(answer.json()) == len(statements)
        yield Ralph(url, json.loads(as_json(statements)))
    finally:
        # The server runs a reloader and a worker: end the whole group it leads (started above).
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)
        log.close()


def _wait_ready(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"ralph exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            if requests.get(url + "statements", params={"limit": 1}, auth=(KEY, SECRET), timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"ralph did not answer within {STARTUP_SECONDS} s: {log.read_text()[-2000:]}")


class Scripted:
    """Answers GETs from a script: path (with query) -> list of (status, headers, body), served in order
    (the last one repeats). Records every request's path and headers."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.url = ""

    def answer(self, path: str, *answers: tuple[int, dict[str, str], Any]) -> None:
        self.script[path] = [(status, headers, body if isinstance(body, bytes) else json.dumps(body).encode())
                             for status, headers, body in answers]


@pytest.fixture()
def scripted() -> Iterator[Scripted]:
    state = Scripted()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            state.requests.append((self.path, dict(self.headers)))
            answers = state.script.get(self.path) or [(404, {}, b"no such page")]
            status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/xAPI/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
