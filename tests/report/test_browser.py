"""The HTML reports in a real browser: headless Chromium at 1400 px and on a 375 px phone.

Each page is written through the CLI as a user writes it (the portfolio report of a plan, of a Q3
review, and the year's report from a ledger), opened at each width with the viewport set exactly by
the DevTools protocol (:mod:`browser`), photographed whole (the screenshots are kept under
``artifacts/report-browser/``, printed below) and measured: the page is never wider than the viewport,
every chart is drawn inside its panel (no text cut off at its edge) with a caption, and every piece of text meets WCAG AA contrast
as the browser computes its colours.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import Browser, artifacts_dir, chromium
from report_helpers import INITIATIVES, KPIS, OUTCOMES, POLICY

from budgetpolicy.cli import main
from budgetpolicy.report.charts import CHART_IDS

AT = "2026-01-15T09:00:00+00:00"
WIDTHS = (1400, 375)
PAGES = ("plan", "review", "year")

# Elements wider than the page's own width, outside the containers allowed to scroll: what a reader
# would have to scroll sideways for.
MEASURE = """(() => {
  const d = document.documentElement, limit = d.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > limit + 0.5)
    .slice(0, 8).map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className.baseVal ?? e.className}`
                          + ` right=${Math.round(e.getBoundingClientRect().right)}`);
  return {scrollWidth: d.scrollWidth, clientWidth: limit, innerWidth: innerWidth, wide};
})()"""

# WCAG 2.x contrast of every element's own text, against the first opaque background behind it.
CONTRAST = """(() => {
  const parse = c => c.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = parse(c).slice(0, 3).map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const opaque = c => { const p = parse(c); return p.length < 4 || p[3] > 0; };
  const behind = e => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
      if (opaque(c)) return c; } return 'rgb(255, 255, 255)'; };
  let checked = 0; const failures = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('svg') || ![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(e), bg = behind(e), a = lum(s.color), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize), large = size >= 24 || (size >= 18.66 && +s.fontWeight >= 700);
    checked++;
    if (ratio < (large ? 3 : 4.5))
      failures.push(`${e.tagName.toLowerCase()}.${e.className}: ${ratio.toFixed(2)}:1, ${s.color} on ${bg}, `
                    + JSON.stringify(e.textContent.trim().slice(0, 30)));
  }
  return {checked, failures: [...new Set(failures)]};
})()"""

CHARTS = """(() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const figure = svg.closest('figure'), caption = figure && figure.querySelector('figcaption');
  const described = document.getElementById(svg.getAttribute('aria-describedby') || '-');
  const box = svg.getBoundingClientRect();
  const clipped = [...svg.querySelectorAll('text')].filter(t => { const r = t.getBoundingClientRect();
    return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5
           || r.bottom > box.bottom + 0.5; }).map(t => t.textContent);
  return {id: svg.id, width: svg.getBoundingClientRect().width,
          panel: figure ? figure.getBoundingClientRect().width : null,
          caption: caption ? caption.textContent : null, described: described === caption,
          drawn: svg.querySelectorAll('path').length, table: figure ? figure.querySelectorAll('table').length : 0,
          clipped};
}))()"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pages")
    plan = ["-P", POLICY, "-i", INITIATIVES, "--evaluated-at", AT]
    ledger = str(out / "year.db")
    for argv in (["report", *plan, "-o", str(out / "plan.html")],
                 ["report", *plan, "-O", OUTCOMES, "--kpis", KPIS, "--period", "2026-Q3", "-o", str(out / "review.html")],
                 ["evaluate", *plan, "--ledger", ledger, "-o", str(out / "plan.txt")],
                 # the sign-offs the example readings need (they spend on every pending bet), as make demo has them
                 *(["approve", ledger, iid, "--role", role, "--by", by, "--at", "2026-01-20T10:00:00+00:00"]
                   for iid, role, by in (("INI-009", "vp", "e1042"), ("INI-009", "finance", "e2210"),
                                         ("INI-001", "vp", "e1187"), ("INI-002", "vp", "e1187"),
                                         ("INI-011", "vp", "e1187"), ("INI-021", "vp", "e1187"))),
                 ["review", "--ledger", ledger, "-O", OUTCOMES, "--period", "2026-Q1",
                  "--evaluated-at", "2026-04-02T09:00:00+00:00", "-o", str(out / "q1.txt")],
                 ["review", "--ledger", ledger, "-O", OUTCOMES, "--period", "2026-Q2",
                  "--evaluated-at", "2026-07-02T09:00:00+00:00", "-o", str(out / "q2.txt")],
                 ["report", "--ledger", ledger, "--kpis", KPIS, "-o", str(out / "year.html")]):
        assert main(argv) == 0, argv
    return {name: out / f"{name}.html" for name in PAGES}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium binary (apt-get install chromium; `make browser` installs it)")
    with Browser(binary, tmp_path_factory.mktemp("chromium-profile")) as opened:
        yield opened


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_the_page_is_no_wider_than_the_viewport(browser, pages, name, width, record_property):
    page = browser.open(pages[name].as_uri(), width)
    measured = page.evaluate(MEASURE)
    shot = page.screenshot(artifacts_dir() / f"{name}-{width}.png")
    record_property("screenshot", str(shot))
    print(f"screenshot: {shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == width
    # A phone widens its layout viewport to fit content wider than the screen: innerWidth says so.
    assert measured["innerWidth"] == width, (measured, str(shot))
    assert measured["scrollWidth"] <= measured["clientWidth"], (measured, str(shot))
    assert measured["wide"] == [], (measured, str(shot))


@pytest.mark.parametrize("width", WIDTHS)
def test_every_chart_is_drawn_in_its_panel_with_a_caption_and_its_data(browser, pages, width):
    charts = browser.open(pages["review"].as_uri(), width).evaluate(CHARTS)
    assert [c["id"] for c in charts] == list(CHART_IDS)
    for chart in charts:
        assert chart["drawn"] > 3, chart
        assert 0 < chart["width"] <= chart["panel"] <= width, chart
        assert chart["described"] and len(chart["caption"]) > 40, chart
        assert chart["table"] == 1, chart
        assert chart["clipped"] == [], chart  # text drawn past the SVG's edge is cut off by the page


@pytest.mark.parametrize("name", PAGES)
def test_all_text_meets_wcag_aa_contrast(browser, pages, name):
    result = browser.open(pages[name].as_uri(), 1400).evaluate(CONTRAST)
    assert result["checked"] > 30
    assert result["failures"] == []
