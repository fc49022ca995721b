"""Money, numbers and reason templates as text: every number a reader sees is formatted here.

The narrative, tables, reports, diagnostics and the CLI all format through this module, so one value
reads the same wherever it appears. Core level: the standard library only. Several formats exist on
purpose, each named for what it shows (the values are never changed, only written):

- :func:`money`: an amount as held, thousands separated (``12,000.00`` keeps its cents, ``12,000`` has
  none): tables, reports, diffs, check messages.
- :func:`money_compact`: cents only when there are some (``12,000``, ``12,000.50``): allocation wording.
- :func:`money_cents`: always two places (``12,000.00``): review summaries.
- :func:`value_text`: any value a rule saw, for sentences (``12,000.5``, ``none``, ``yes``, lists
  joined): narratives, reason templates, explanations, table cells.
- :func:`plain_decimal`: exact, no separators, scale kept (``0.70``): sunset numbers.
- :func:`trimmed_number`: exact, no separators, trailing zeros dropped (``0.5236``): scores and
  weights in reports and hints.
- :func:`ratio_text`: two significant digits, never scientific: value-per-cost ratios.
- :func:`per_thousand`: a value-per-cost ratio per 1,000 spent (``0.0000015`` -> ``0.0015``), two
  significant digits: what the allocation wording shows, since per unit it reads as noise.
- :func:`fixed_places`: exactly ``places`` decimals (``0.5236`` -> ``0.523600``): score columns, aligned.
- :func:`money_column`: a column of amounts in one format (cents for all when any has them).
- :func:`number_column`: a column of numbers with one number of places (``0.40`` beside ``0.15``).

Reason templates (``{name}`` placeholders) are split and filled by :func:`template_parts` and
:func:`fill_template`; a placeholder nobody knows stays as written, so a typo shows instead of vanishing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, localcontext
from typing import Any

# Dotted names (``initiative.cost``) and ids with '-' are allowed: rules read nested values.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """An amount as held, thousands separated; ``currency`` goes in front; nothing for None."""
    if amount is None:
        return ""
    return f"{currency} {amount:,}" if currency is not None else f"{amount:,}"


def percent(share: Decimal | None) -> str:
    """A share as a percentage with one place (``0.7953`` -> ``79.5%``); ``-`` when there is none."""
    return "-" if share is None else f"{share * 100:.1f}%"


def money_compact(amount: Decimal) -> str:
    """``12000`` -> ``12,000``; cents are shown only when there are some (all places beyond two)."""
    if amount == amount.to_integral_value():
        return f"{amount.to_integral_value():,}"
    exponent = amount.normalize().as_tuple().exponent
    return f"{amount.normalize():,f}" if isinstance(exponent, int) and exponent < -2 else f"{amount:,.2f}"


def money_cents(amount: Decimal, currency: str | None = None) -> str:
    """Always two places, thousands separated (summaries whose columns of cents should line up)."""
    return f"{currency} {amount:,.2f}" if currency is not None else f"{amount:,.2f}"


def value_text(value: Any) -> str:
    """A value in a sentence: numbers without trailing zeros, lists and maps joined, None as ``none``."""
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}" if value else "0"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value) or "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) or "none"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def plain_decimal(value: Any) -> str:
    """A Decimal exactly as held (``0.70`` stays ``0.70``), anything else as ``str``."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def trimmed_number(value: Decimal | None, places: int | None = None) -> str:
    """A score or ratio without trailing zeros (0.523600 -> 0.5236), rounded to ``places`` first if given."""
    if value is None:
        return ""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def ratio_text(ratio: Decimal | None) -> str:
    """A value-per-cost ratio with two significant digits, never in scientific notation."""
    if ratio is None:
        return "free"
    if ratio == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec = 2
        rounded = +ratio
    return format(rounded, "f")


PER = Decimal(1000)


def per_thousand(ratio: Decimal | None) -> str:
    """A value-per-cost ratio as value per 1,000 spent, two significant digits (``free`` for no cost)."""
    return ratio_text(None if ratio is None else ratio * PER)


def fixed_places(value: Decimal | None, places: int) -> str:
    """``value`` rounded half-even to exactly ``places`` decimals, no separators; nothing for None."""
    if value is None:
        return ""
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def money_column(amounts: list[Decimal | None]) -> list[str]:
    """Amounts of one column, thousands separated, all with the most places any of them has (none when
    all are whole, else at least cents), so the column reads and aligns as one format; None stays empty."""
    places = _places(amounts)
    places = max(places, 2) if places else 0
    return ["" if a is None else f"{a:,.{places}f}" for a in amounts]


def number_column(values: list[Decimal | None]) -> list[str]:
    """Numbers of one column (weights, factors) with the most places any of them needs, no separators:
    ``0.4`` beside ``0.15`` reads ``0.40``, so the points align; None stays empty."""
    places = _places(values)
    return ["" if v is None else f"{v:.{places}f}" for v in values]


def _places(values: list[Decimal | None]) -> int:
    places = 0
    for value in values:
        if value is not None and value.is_finite() and value != value.to_integral_value():
            exponent = value.normalize().as_tuple().exponent
            places = max(places, -exponent if isinstance(exponent, int) else 0)
    return places


def template_parts(template: str) -> tuple[str, ...]:
    """``"over {cost} in {dept}"`` -> literal text at even positions, placeholder names at odd ones."""
    return tuple(PLACEHOLDER.split(template))


def fill_template(template: str, text_of: Callable[[str], str | None]) -> str:
    """``template`` with each ``{name}`` replaced by ``text_of(name)``; unknown names (None) stay as written."""
    def fill(match: re.Match[str]) -> str:
        text = text_of(match.group(1))
        return match.group(0) if text is None else text

    return PLACEHOLDER.sub(fill, template)
