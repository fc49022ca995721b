"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG text.

Each chart is one ``<svg id="chart-...">`` element, ready to paste into the
page: no files, no network. Output is deterministic (the same report gives
the same bytes): no date in the metadata and ``svg.hashsalt`` fixed per
chart (which also keeps clip-path ids unique when several charts share a
page). Text stays text (``svg.fonttype = "none"``), in the page's font.
Chart coordinates are floats because matplotlib draws with floats; every
number printed in the report comes from the Decimals, never from here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib itself is imported when a chart is drawn: it is slow to load
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

CHART_IDS = ("chart-by-priority", "chart-by-department", "chart-by-kind", "chart-ev-vs-cost",
             "chart-forecast-vs-realised", "chart-kpi-progress")
_COLOURS = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563", "#db2777")
_OUTCOME_COLOURS = {"approved": "#16a34a", "pending_approval": "#d97706", "deferred": "#6b7280",
                    "rejected": "#dc2626", "sunset": "#111827"}


def _figure(width: float = 6.4, height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def _svg(fig: Figure, chart_id: str, title: str) -> str:
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": f"budgetpolicy-{chart_id}", "svg.fonttype": "none",
                                "font.family": "sans-serif"}):
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "budgetpolicy (matplotlib)"})
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG is inline HTML
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    escaped = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return text.replace("<svg ", f'<svg id="{chart_id}" class="chart" role="img" aria-label="{escaped}" ', 1)


def _thousands(axis: Axis) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(5))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def bar_chart(chart_id: str, title: str, amounts: Mapping[str, Decimal], currency: str) -> str:
    """Horizontal bars of an amount per label, largest at the top."""
    items = sorted(amounts.items(), key=lambda kv: (kv[1], kv[0]))
    fig = _figure(6.4, max(2.2, 0.42 * len(items) + 1.2))
    ax = fig.add_subplot()
    labels = [k for k, _ in items]
    values = [float(v) for _, v in items]
    bars = ax.barh(labels, values, color=[_COLOURS[i % len(_COLOURS)] for i in range(len(items))])
    ax.bar_label(bars, labels=[f"{v:,.0f}" for _, v in items], padding=3, fontsize=8)
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel(currency)
    ax.margins(x=0.15)
    _thousands(ax.xaxis)
    _style(ax)
    return _svg(fig, chart_id, title)


def ev_cost_scatter(points: Sequence[tuple[str, Decimal, Decimal, str]], currency: str) -> str:
    """Expected value against requested cost, one dot per initiative, coloured by outcome."""
    title = "Expected value vs requested cost"
    fig = _figure(6.4, 4.0)
    ax = fig.add_subplot()
    for outcome, colour in _OUTCOME_COLOURS.items():
        chosen = [p for p in points if p[3] == outcome]
        if chosen:
            ax.scatter([float(p[1]) for p in chosen], [float(p[2]) for p in chosen], s=28, color=colour,
                       label=outcome.replace("_", " "), alpha=0.85, edgecolors="white", linewidths=0.5)
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel(f"requested ({currency})")
    _thousands(ax.xaxis)
    ax.set_ylabel("expected value")
    ax.legend(fontsize=8, frameon=False)
    _style(ax)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    return _svg(fig, "chart-ev-vs-cost", title)


def forecast_vs_realised(rows: Sequence[tuple[str, str, Decimal, Decimal]]) -> str:
    """Grouped bars per quarter: forecast and realised lift for each priority (one panel per priority)."""
    title = "Forecast vs realised lift per quarter"
    priorities = sorted({r[1] for r in rows})
    periods = sorted({r[0] for r in rows})
    fig = _figure(6.4, 1.9 * max(1, len(priorities)) + 0.6)
    axes = fig.subplots(max(1, len(priorities)), 1, squeeze=False)[:, 0]
    for ax, priority in zip(axes, priorities):
        data = {r[0]: r for r in rows if r[1] == priority}
        xs = list(range(len(periods)))
        forecast = [float(data[p][2]) if p in data else 0.0 for p in periods]
        realised = [float(data[p][3]) if p in data else 0.0 for p in periods]
        ax.bar([x - 0.2 for x in xs], forecast, width=0.4, color="#93c5fd", label="forecast")
        ax.bar([x + 0.2 for x in xs], realised, width=0.4, color="#1d4ed8", label="realised")
        ax.set_xticks(xs, periods, fontsize=8)
        ax.set_title(priority, loc="left", fontsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].legend(fontsize=8, frameon=False, loc="upper right")
    fig.suptitle(title, x=0.02, ha="left", fontsize=11)
    return _svg(fig, "chart-forecast-vs-realised", title)


def kpi_progress(rows: Sequence[tuple[str, Decimal]]) -> str:
    """Share of each KPI's gap closed (0-100%), with the target line at 100%."""
    title = "KPI progress toward targets (share of gap closed)"
    fig = _figure(6.4, max(2.2, 0.5 * len(rows) + 1.2))
    ax = fig.add_subplot()
    labels = [r[0] for r in rows][::-1]
    values = [float(r[1] * 100) for r in rows][::-1]
    bars = ax.barh(labels, values, color="#16a34a")
    ax.bar_label(bars, labels=[f"{v:.0f}%" for v in values], padding=3, fontsize=8)
    ax.axvline(100, color="#111827", linestyle="--", linewidth=1)
    ax.set_xlim(0, 115)
    ax.set_title(title, loc="left", fontsize=11)
    _style(ax)
    return _svg(fig, "chart-kpi-progress", title)
