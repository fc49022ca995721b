"""Charts for the HTML report, drawn with matplotlib as inline SVG, each with its text alternative.

Each chart is a :class:`Chart`: one ``<svg id="chart-..." role="img">`` element ready to paste into
the page (no files, no network), described by ``caption``: what the chart shows, how it encodes it
and its numbers in words, for the ``<figcaption>`` the SVG's ``aria-describedby`` points at
(:func:`caption_id`). The page puts the chart's data table beside it.

Colours follow :mod:`.style`: outcome colours for outcomes, the priority palette for priorities,
hatches and marker shapes for kinds, a neutral grey for departments; so a colour never means two
things. Output is deterministic (the same report gives the same bytes): no date in the metadata and
``svg.hashsalt`` fixed per chart (which also keeps clip-path ids unique when several charts share a
page). Text stays text (``svg.fonttype = "none"``), in the page's font. The SVG scales to its panel
(its width and height attributes are replaced by a ``viewBox`` the page's CSS sizes). Chart
coordinates are floats because matplotlib draws with floats; every number printed, captions
included, comes from the Decimals.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import frozen

from budgetpolicy.formatting import money, trimmed_number
from budgetpolicy.report.style import KIND_HATCHES, KIND_MARKERS, NEUTRAL, OUTCOME_COLOURS

if TYPE_CHECKING:  # matplotlib itself is imported when a chart is drawn: it is slow to load
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

CHART_IDS = ("chart-by-priority", "chart-by-department", "chart-by-kind", "chart-ev-vs-cost",
             "chart-forecast-vs-realised", "chart-kpi-progress")
_EDGE = "#1f2937"


@frozen
class Chart:
    id: str
    title: str
    svg: str
    caption: str  # the text alternative: what is shown, how, and the numbers


def caption_id(chart_id: str) -> str:
    return f"{chart_id}-caption"


def _figure(width: float = 6.4, height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def _chart(fig: Figure, chart_id: str, title: str, caption: str) -> Chart:
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": f"budgetpolicy-{chart_id}", "svg.fonttype": "none",
                                "font.family": "sans-serif", "hatch.color": _EDGE}):
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "budgetpolicy (matplotlib)"})
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG is inline HTML
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # Fixed width and height attributes would keep the chart its drawn size on a phone; the viewBox
    # alone lets CSS scale it to the panel.
    text = re.sub(r'^<svg ([^>]*?)width="[^"]*" height="[^"]*"', r"<svg \1", text, count=1)
    escaped = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    text = text.replace("<svg ", f'<svg id="{chart_id}" class="chart" role="img" aria-label="{escaped}" '
                                 f'aria-describedby="{caption_id(chart_id)}" ', 1)
    return Chart(chart_id, title, text, caption)


def _title(fig: Figure, title: str) -> None:
    # Over the whole figure from its left edge (an axes title starts after the tick labels and can run
    # past the figure's right edge, where the page clips it).
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)


def _thousands(axis: Axis) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(5))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def _listing(items: Sequence[tuple[str, Decimal]], currency: str) -> str:
    total = sum((v for _, v in items), Decimal(0))
    return "; ".join(f"{k} {money(v)}" for k, v in items) + f" (total {money(total, currency)})."


def bar_chart(chart_id: str, title: str, amounts: Mapping[str, Decimal], currency: str, *,
              colours: Mapping[str, tuple[str, str]] | None = None, hatches: Mapping[str, str] | None = None,
              encoding: str = "") -> Chart:
    """Horizontal bars of an amount per label, largest at the top; ``colours`` gives a label its
    (colour, hatch) when colour means something (priorities), ``hatches`` a hatch (kinds); else neutral."""
    items = sorted(amounts.items(), key=lambda kv: (kv[1], kv[0]))
    fig = _figure(5.2, max(2.2, 0.42 * len(items) + 1.2))
    ax = fig.add_subplot()
    labels = [k for k, _ in items]
    looks = [(colours or {}).get(k, (NEUTRAL, (hatches or {}).get(k, ""))) for k in labels]
    bars = ax.barh(labels, [float(v) for _, v in items], color=[c for c, _ in looks], edgecolor=_EDGE,
                   linewidth=0.6)
    for bar, (_, hatch) in zip(bars, looks):
        bar.set_hatch(hatch)
    ax.bar_label(bars, labels=[f"{v:,.0f}" for _, v in items], padding=3, fontsize=9)
    _title(fig, title)
    ax.set_xlabel(currency)
    ax.margins(x=0.15)
    _thousands(ax.xaxis)
    _style(ax)
    largest_first = items[::-1]
    caption = (f"{title}, in {currency}: horizontal bars, largest at the top{encoding}. "
               + _listing(largest_first, currency))
    return _chart(fig, chart_id, title, caption)


def ev_cost_scatter(points: Sequence[tuple[str, str, Decimal, Decimal, str]], currency: str) -> Chart:
    """Expected value against requested cost, one marker per initiative: colour is the outcome, shape the
    kind. ``points``: (initiative id, kind, cost, expected value, outcome)."""
    title = "Expected value vs requested cost"
    fig = _figure(6.4, 4.4)
    ax = fig.add_subplot()
    for outcome, colour in OUTCOME_COLOURS.items():
        for kind, marker in KIND_MARKERS.items():
            chosen = [p for p in points if p[4] == outcome and p[1] == kind]
            if chosen:
                ax.scatter([float(p[2]) for p in chosen], [float(p[3]) for p in chosen], s=36, color=colour,
                           marker=marker, alpha=0.9, edgecolors="white", linewidths=0.5)
    _scatter_legends(ax, points)
    _title(fig, title)
    ax.set_xlabel(f"requested ({currency})")
    _thousands(ax.xaxis)
    ax.set_ylabel("expected value")
    _style(ax)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    counts = [(o.replace("_", " "), sum(1 for p in points if p[4] == o)) for o in OUTCOME_COLOURS]
    best = max(points, key=lambda p: (p[3], p[0]), default=None)
    caption = (f"{title}: one marker per initiative ({len(points)}), requested cost across, expected value "
               f"up; colour is the outcome ({', '.join(f'{n} {o}' for o, n in counts if n)}), "
               f"shape is the kind.")
    if best is not None:
        caption += (f" Highest expected value: {best[0]} ({trimmed_number(best[3])}, requested "
                    f"{money(best[2], currency)}, {best[4].replace('_', ' ')}).")
    return _chart(fig, "chart-ev-vs-cost", title, caption)


def _scatter_legends(ax: Axes, points: Sequence[tuple[str, str, Decimal, Decimal, str]]) -> None:
    from matplotlib.lines import Line2D

    # Outside the axes, right of them: the constrained layout makes room ("outside" locations).
    fig = ax.get_figure()
    assert fig is not None
    outcomes = [o for o in OUTCOME_COLOURS if any(p[4] == o for p in points)]
    kinds = [k for k in KIND_MARKERS if any(p[1] == k for p in points)]
    fig.legend(handles=[Line2D([], [], linestyle="", marker="o", color=OUTCOME_COLOURS[o], label=o.replace("_", " "))
                        for o in outcomes], title="outcome (colour)", fontsize=8, title_fontsize=8, frameon=False,
               loc="outside right upper")
    fig.legend(handles=[Line2D([], [], linestyle="", marker=KIND_MARKERS[k], color=_EDGE, label=k) for k in kinds],
               title="kind (shape)", fontsize=8, title_fontsize=8, frameon=False, loc="outside right lower")


def forecast_vs_realised(rows: Sequence[tuple[str, str, Decimal, Decimal]],
                         colours: Mapping[str, tuple[str, str]]) -> Chart:
    """Per quarter, forecast (hatched) and realised (solid) lift of each priority, one panel per priority
    in the priority's colour. ``rows``: (quarter, priority, forecast, realised)."""
    title = "Forecast vs realised lift per quarter"
    priorities = sorted({r[1] for r in rows})
    periods = sorted({r[0] for r in rows})
    fig = _figure(5.2, 1.9 * max(1, len(priorities)) + 0.6)
    axes = fig.subplots(max(1, len(priorities)), 1, squeeze=False)[:, 0]
    for ax, priority in zip(axes, priorities):
        colour, _ = colours.get(priority, (NEUTRAL, ""))
        data = {r[0]: r for r in rows if r[1] == priority}
        xs = list(range(len(periods)))
        forecast = [float(data[p][2]) if p in data else 0.0 for p in periods]
        realised = [float(data[p][3]) if p in data else 0.0 for p in periods]
        # The neutral grey is 2.6:1 on white: its bars are outlined in the edge colour, so every bar meets
        # WCAG's 3:1 for graphical objects (a priority's own colour is dark enough alone).
        edge = _EDGE if colour == NEUTRAL else colour
        ax.bar([x - 0.2 for x in xs], forecast, width=0.4, color="white", edgecolor=edge, hatch="///",
               linewidth=1, label="forecast")
        ax.bar([x + 0.2 for x in xs], realised, width=0.4, color=colour, edgecolor=edge, linewidth=0.6,
               label="realised")
        ax.set_xticks(xs, periods, fontsize=9)
        ax.set_title(priority, loc="left", fontsize=10)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].legend(fontsize=8, frameon=False, loc="upper right")
    _title(fig, title)
    latest = periods[-1] if periods else "-"
    words = "; ".join(f"{r[1]} forecast {trimmed_number(r[2])}, realised {trimmed_number(r[3])}"
                      for r in rows if r[0] == latest)
    caption = (f"{title}: one panel per priority, in its colour; for each quarter a hatched bar for the "
               f"forecast lift and a solid bar for the realised lift (sums over the initiatives read that "
               f"quarter, in each KPI's unit). In {latest}: {words or 'no readings'}.")
    return _chart(fig, "chart-forecast-vs-realised", title, caption)


def kpi_progress(rows: Sequence[tuple[str, str, Decimal]], colours: Mapping[str, tuple[str, str]]) -> Chart:
    """Share of each KPI's gap closed (0-100%), with the target line at 100%. ``rows``: (priority id,
    name, share 0..1), each bar in its priority's colour."""
    title = "KPI progress toward targets (share of gap closed)"
    fig = _figure(5.2, max(2.2, 0.5 * len(rows) + 1.2))
    ax = fig.add_subplot()
    shown = list(rows)[::-1]
    values = [float(r[2] * 100) for r in shown]
    looks = [colours.get(r[0], (NEUTRAL, "")) for r in shown]
    bars = ax.barh([r[1] for r in shown], values, color=[c for c, _ in looks], edgecolor=_EDGE, linewidth=0.6)
    for bar, (_, hatch) in zip(bars, looks):
        bar.set_hatch(hatch)
    ax.bar_label(bars, labels=[f"{trimmed_number(r[2] * 100)}%" for r in shown], padding=3, fontsize=9)
    ax.axvline(100, color=_EDGE, linestyle="--", linewidth=1)
    ax.set_xlim(0, 118)
    _title(fig, title)
    _style(ax)
    caption = (f"{title}: one bar per priority, in its colour, from 0% (the KPI's baseline) to the dashed "
               f"line at 100% (its target). " + "; ".join(f"{r[1]} {trimmed_number(r[2] * 100)}%" for r in rows)
               + ".")
    return _chart(fig, "chart-kpi-progress", title, caption)
