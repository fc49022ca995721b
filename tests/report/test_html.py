"""The HTML dashboard: self-contained, charts inline, deterministic, everything the Markdown has.

The browser checks (widths, contrast as rendered, charts drawn) are in test_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from report_helpers import AT, INITIATIVES, POLICY, build_portfolio

from budgetpolicy.report.charts import CHART_IDS
from budgetpolicy.report.html import render_html
from budgetpolicy.report.markdown import render_markdown
from budgetpolicy.report.style import KIND_HATCHES, KIND_MARKERS, OUTCOME_COLOURS, PRIORITY_COLOURS


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


class _Outline(HTMLParser):
    """The page's h2/h3 headings, in order, and each figure's parts."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3"):
            self._open = tag
            self.headings.append((tag, ""))

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def handle_data(self, data):
        if self._open:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)


def _html_headings(page: str) -> list[tuple[str, str]]:
    outline = _Outline()
    outline.feed(page)
    return [(tag, " ".join(text.split())) for tag, text in outline.headings]


def _markdown_headings(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        for marks, tag in (("## ", "h2"), ("### ", "h3")):
            if line.startswith(marks):
                out.append((tag, line[len(marks):].replace("`", "")))
    return out


def test_the_html_has_every_section_of_the_markdown_in_its_order(reviewed, html_report):
    markdown = _markdown_headings(render_markdown(reviewed[1]))
    html = _html_headings(html_report)
    # The HTML adds only its charts; everything else is the Markdown's, heading for heading, in order.
    assert [h for h in html if h != ("h2", "Charts")] == markdown
    for needed in (("h3", "How the pool is split"), ("h2", "Allocation breakdown"), ("h3", "By priority"),
                   ("h3", "By department"), ("h3", "By kind"), ("h2", "Totals"),
                   ("h3", "Forecast vs realised lift per quarter"), ("h3", "KPI progress toward targets")):
        assert needed in html, needed


def test_the_html_states_what_the_markdown_states(reviewed, html_report):
    text = render_markdown(reviewed[1])
    assert "<li>Baseline <code>sales-core</code>: at least 60,000 for Sales." in html_report
    assert "- Baseline `sales-core`: at least 60,000 for Sales." in text
    for label in ("Reserve used", "Reserve released", "Expected value of funded bets", "Left in the pool"):
        assert f'<div class="label">{label}</div>' in html_report
    # The allocation tables hold the summary's figures, as the Markdown's do.
    s = reviewed[0].allocation.summary
    for priority, amount in s.by_priority.items():
        assert f"<tr><td>{priority}</td><td class=\"n\">{amount:,}</td></tr>" in html_report
        assert f"| {priority} | {amount:,} |" in text
    # Each funded bet's particulars, e.g. its measurement plan and allocation line.
    assert "<li><strong>Allocation</strong>: " in html_report and "<li><strong>Measurement plan</strong>: " in html_report


def test_a_review_says_which_quarter_it_reviews(reviewed, html_report):
    text = render_markdown(reviewed[1])
    head = text.splitlines()[2]
    assert text.startswith("# Portfolio report: acme-people-dev 2026.1, review of 2026-Q2\n")
    assert head.startswith("Quarterly review of 2026-Q2 (2026-04-01 to 2026-06-30; outcomes read for 2026-Q1 to "
                           "2026-Q2) of the plan evaluated 2026-01-15T00:00:00+00:00 under policy")
    assert not head.startswith("Evaluated")
    assert "<h1>Portfolio report: acme-people-dev 2026.1, review of 2026-Q2</h1><p>Quarterly review of 2026-Q2 " \
        "(2026-04-01 to 2026-06-30;" in html_report
    plan_only = render_markdown(build_portfolio(POLICY, INITIATIVES, evaluated_at=AT)[1])
    assert plan_only.splitlines()[2].startswith("Evaluated 2026-01-15T00:00:00+00:00 under policy")


def test_every_chart_is_a_figure_with_a_caption_and_its_data_table(html_report):
    figures = re.findall(r'<figure class="panel">(.*?)</figure>', html_report, re.S)
    assert len(figures) == len(CHART_IDS)
    for chart_id, figure in zip(CHART_IDS, figures):
        assert figure.startswith(f'<svg id="{chart_id}" class="chart" role="img" aria-label="')
        assert f'aria-describedby="{chart_id}-caption"' in figure
        caption = re.search(rf'<figcaption id="{chart_id}-caption">(.*?)</figcaption>', figure, re.S)
        assert caption and len(caption.group(1)) > 60, chart_id
        assert figure.count("<table>") == 1, chart_id
    # The caption states the numbers: the allocation by priority lists each amount of the summary.
    assert "win-rate 177,500.00; defect-rate 147,000.00; csat 78,750.00; time-to-competence 76,250.00 " \
        "(total USD 479,500.00)." in figures[0]


def test_each_colour_has_one_meaning(reviewed, html_report):
    # Outcomes and priorities never share a colour; kinds are told apart by shape, one each.
    assert not set(OUTCOME_COLOURS.values()) & set(PRIORITY_COLOURS)
    assert len(set(PRIORITY_COLOURS)) == len(PRIORITY_COLOURS)
    assert len(set(KIND_HATCHES.values())) == len(KIND_HATCHES) and len(set(KIND_MARKERS.values())) == len(KIND_MARKERS)
    charts = dict(re.findall(r'<svg id="(chart-[a-z-]+)"(.*?)</svg>', html_report, re.S))
    fills = {k: set(re.findall(r"fill: ?(#[0-9a-f]{6})", v)) for k, v in charts.items()}
    outcome, priority = set(OUTCOME_COLOURS.values()), set(PRIORITY_COLOURS)
    assert fills["chart-by-priority"] & priority and not fills["chart-by-priority"] & outcome
    assert not (fills["chart-by-department"] | fills["chart-by-kind"]) & (outcome | priority)
    assert fills["chart-ev-vs-cost"] & outcome and not fills["chart-ev-vs-cost"] & priority
    for chart_id in ("chart-forecast-vs-realised", "chart-kpi-progress"):
        assert fills[chart_id] & priority and not fills[chart_id] & outcome, chart_id
