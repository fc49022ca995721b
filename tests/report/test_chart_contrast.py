"""WCAG 2.1 non-text contrast (1.4.11) of the report's charts: every mark that carries data (a bar, a
dot, a line, a glyph of the SVG's text) is told from the white chart by a 3:1 contrast, in its fill or
in its outline. Read from the SVG as drawn, so a colour added to a chart later is checked too."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from test_style import contrast

from budgetpolicy.report import charts
from budgetpolicy.report.style import NEUTRAL

NON_TEXT = 3.0
BACKGROUND = "#ffffff"
STYLE = re.compile(r"<path\b[^>]*?style=\"([^\"]*)\"")


def _declarations(style: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in (d.split(":", 1) for d in style.split(";") if ":" in d)}


def faint_marks(svg: str) -> list[str]:
    """The styles of the drawn paths that neither fill nor outline tell from the background: hatch
    patterns (inside <defs>) are texture, not marks; a path with no fill is a line, judged by its stroke
    unless it is the light grid (decorative, exempt)."""
    body = re.sub(r"<defs>.*?</defs>", "", svg, flags=re.S)
    faint = []
    for style in STYLE.findall(body):
        d = _declarations(style)
        fill, stroke = d.get("fill", "#000000"), d.get("stroke", "none")
        visible_stroke = stroke.startswith("#") and d.get("stroke-width", "1") not in ("0", "0.0")
        if fill.startswith("#") and fill.lower() != BACKGROUND:
            if contrast(fill, BACKGROUND) >= NON_TEXT or (visible_stroke and contrast(stroke, BACKGROUND) >= NON_TEXT):
                continue
            faint.append(style)
        elif visible_stroke and stroke.lower() not in ("#e5e7eb", BACKGROUND):  # an outline or a line
            if contrast(stroke, BACKGROUND) < NON_TEXT:
                faint.append(style)
    return faint


def test_every_mark_in_the_bundled_reports_charts_has_3_to_1_contrast(html_report):
    svgs = re.findall(r"<svg\b.*?</svg>", html_report, flags=re.S)
    assert len(svgs) >= 4
    assert {id_: faint_marks(svg) for svg in svgs for id_ in re.findall(r'<svg id="([^"]+)"', svg)} == \
        {id_: [] for svg in svgs for id_ in re.findall(r'<svg id="([^"]+)"', svg)}


@pytest.mark.parametrize("chart", [
    lambda: charts.kpi_progress([("p1", "Onboarding", D("0.4")), ("p2", "Win rate", D("0.9"))], {}),
    lambda: charts.forecast_vs_realised([("2026-Q1", "p1", D("2"), D("1.5"))], {}),
    lambda: charts.bar_chart("c", "Spend by kind", {"training": D("100"), "coaching": D("50")}, "USD"),
], ids=["kpi-progress", "forecast-vs-realised", "bar"])
def test_a_bar_without_a_meaningful_colour_is_outlined(chart):
    # The neutral grey (what a bar gets when colour means nothing) is light: 2.6:1 on white alone.
    assert contrast(NEUTRAL, BACKGROUND) < NON_TEXT
    svg = chart().svg
    assert NEUTRAL in svg and faint_marks(svg) == []


def test_the_check_catches_a_faint_mark():
    assert faint_marks(f'<svg><path d="M0 0" style="fill: {NEUTRAL}; stroke: none"/></svg>') == \
        [f"fill: {NEUTRAL}; stroke: none"]
    assert faint_marks(f'<svg><path d="M0 0" style="fill: {NEUTRAL}; stroke: #1f2937; stroke-width: 0.6"/></svg>') == []
    # A white bar outlined in the light grey (the forecast bar as it was) is as faint.
    assert len(faint_marks(f'<svg><path d="M0 0" style="fill: #ffffff; stroke: {NEUTRAL}"/></svg>')) == 1
