"""The look of the HTML reports: the page's CSS and the one meaning each colour, hatch and marker carries.

Shared by the portfolio report (:mod:`.html`, :mod:`.charts`) and the year's report (:mod:`.yearhtml`).

- **Colour means an outcome or a priority, never anything else.** ``OUTCOME_COLOURS`` (green approved,
  amber pending approval, grey deferred, red rejected, near-black sunset) colour the status badges and the
  dots of the expected-value chart; ``PRIORITY_COLOURS`` (blues and purples, disjoint from the outcome
  colours) colour every chart about priorities, by the priority's position in the policy. A policy with
  more priorities than colours gets the colours again with a hatch, so each priority's look stays unique.
- **Kinds are told apart by shape, not colour**: a hatch pattern on bars (``KIND_HATCHES``) and a marker
  on dots (``KIND_MARKERS``), one per kind of :data:`budgetpolicy.model.KINDS`.
- Departments carry no colour: their bars are ``NEUTRAL``.

Every text colour meets WCAG AA (4.5:1) against the background it sits on, status badges included;
``tests/report/test_style.py`` computes the ratios from the CSS below. The page is responsive down to
a 375 px phone: the chart grid collapses to one column, charts scale to their panel, and each table
scrolls inside its own container (``.table-wrap``) so the page is never wider than the viewport.
"""

from __future__ import annotations

from collections.abc import Sequence

from budgetpolicy.model import KINDS

# White text on each: 5.0:1 or better (approved 5.02, pending 5.02, deferred 7.56, rejected 6.47).
OUTCOME_COLOURS = {"approved": "#15803d", "pending_approval": "#b45309", "deferred": "#4b5563",
                   "rejected": "#b91c1c", "sunset": "#111827"}
PRIORITY_COLOURS = ("#1d4ed8", "#7e22ce", "#0e7490", "#c026d3", "#4338ca", "#0369a1")
NEUTRAL = "#94a3b8"
KIND_HATCHES = dict(zip(KINDS, ("//", "\\\\", "xx", "--", "||", "++", "..", "oo", "**", "OO")))
KIND_MARKERS = dict(zip(KINDS, ("o", "s", "^", "v", "D", "P", "X", "*", "<", ">")))
_EXTRA_HATCHES = ("", "//", "..", "xx")


def priority_looks(priority_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{priority id: (colour, hatch)}`` in the policy's order; unique for up to 24 priorities."""
    n = len(PRIORITY_COLOURS)
    return {pid: (PRIORITY_COLOURS[i % n], _EXTRA_HATCHES[(i // n) % len(_EXTRA_HATCHES)])
            for i, pid in enumerate(priority_ids)}


_BADGES = "".join(f".{outcome}{{background:{colour}}}" for outcome, colour in OUTCOME_COLOURS.items())

CSS = """
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#111827;
background:#f3f4f6;line-height:1.45;overflow-wrap:break-word}main{max-width:1200px;margin:0 auto;padding:24px}
header{background:#111827;color:#f9fafb;padding:20px 24px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#d1d5db;font-size:13px}header code{background:#374151;color:#f9fafb}
h2{font-size:18px;margin:28px 0 10px}h3{font-size:15px;margin:16px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.card .label{font-size:12px;color:#4b5563;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:20px;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(480px,100%),1fr));gap:14px}
figure{margin:0;min-width:0}
.panel{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
figcaption{font-size:13px;color:#374151;margin-top:6px}
svg.chart{width:100%;height:auto;display:block}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;
text-align:left;vertical-align:top}th{background:#f9fafb;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
details{background:#fff;border-radius:8px;margin:6px 0;padding:8px 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
summary{cursor:pointer;font-weight:600}summary h3{display:inline;font-size:15px;margin:0}
figure details{box-shadow:none;padding:4px 0;margin:6px 0 0}
ol li,ul li{margin:3px 0}code{background:#f3f4f6;padding:0 3px;border-radius:3px}
.tag{display:inline-block;border-radius:9px;padding:0 8px;font-size:12px;color:#fff;white-space:nowrap}
""" + _BADGES + """
@media (max-width:600px){main{padding:12px}header{padding:14px 12px}h2{margin-top:20px}}
"""
