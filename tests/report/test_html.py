"""The HTML dashboard: self-contained, charts inline, deterministic, and rendered by a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_helpers import AT, INITIATIVES, OUTCOMES, POLICY

from budgetpolicy.report.charts import CHART_IDS
from budgetpolicy.report.html import render_html


def test_every_chart_is_an_inline_svg(html_report):
    for chart_id in CHART_IDS:
        assert html_report.count(f'<svg id="{chart_id}"') == 1, chart_id
    assert "<?xml" not in html_report and "<!DOCTYPE svg" not in html_report


def test_nothing_is_fetched(html_report):
    # Only in-document references (#id) and the SVG namespace URIs, which browsers never fetch.
    refs = re.findall(r'(?:href|src)="([^"]*)"', html_report)
    assert refs and all(r.startswith("#") for r in refs)
    assert set(re.findall(r"https?://[^\"' )]+", html_report)) <= {"http://www.w3.org/2000/svg",
                                                                     "http://www.w3.org/1999/xlink"}
    assert "<script" not in html_report and "<link" not in html_report and "@import" not in html_report


def test_the_same_inputs_give_the_same_bytes(reviewed, html_report):
    assert render_html(reviewed[1]) == html_report


def test_numbers_match_the_evaluation(reviewed, html_report):
    evaluation, _ = reviewed
    s = evaluation.allocation.summary
    assert f'<div class="label">Allocated</div><div class="value">{s.allocated:,}</div>' in html_report
    for d in evaluation.decisions:
        if d.outcome in ("approved", "pending_approval"):
            assert f"{d.initiative_id}: " in html_report
            assert evaluation.explanation(d.initiative_id).narrative.replace("'", "&#x27;") in html_report


def test_cli_writes_html_and_markdown(tmp_path, capsys):
    from budgetpolicy.cli import main

    out = tmp_path / "report.html"
    argv = ["report", "-P", POLICY, "-i", INITIATIVES, "--evaluated-at", AT.isoformat()]
    assert main(argv + ["--format", "html", "-o", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("# Portfolio report: acme-people-dev 2026.1\n")
    assert main(argv + ["--period", "2026-Q2"]) == 2
    assert "--period needs --outcomes" in capsys.readouterr().err


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def test_report_renders_in_headless_chromium(tmp_path, html_report):
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary (apt-get install chromium; `make test` installs it where it can)")
    page = tmp_path / "report.html"
    page.write_text(html_report, encoding="utf-8")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for chart_id in CHART_IDS:
        # The parsed DOM (not our text) holds each chart with drawn content inside it.
        match = re.search(rf'<svg [^>]*id="{chart_id}"[^>]*>(.*?)</svg>', dom.stdout, re.S)
        assert match and "<path" in match.group(1), chart_id
    shot = tmp_path / "report.png"
    run = subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a blank 1280x2000 page is a few KB
