"""WCAG AA contrast of the HTML reports' text, computed from the colours in the page's CSS.

Each text style is paired with the background it sits on in the page; the ratio is WCAG 2.x's
(relative luminance of sRGB). test_browser.py checks the same as rendered, element by element.
"""

from __future__ import annotations

import re

import pytest

from budgetpolicy.report.style import CSS, OUTCOME_COLOURS

AA = 4.5  # normal text; every text in the reports is under 24 px (18.66 px bold)


def _rules(css: str) -> dict[str, dict[str, str]]:
    """``{selector: {property: value}}`` of the top-level rules (the @media block sets no colour)."""
    css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(d.split(":", 1) for d in body.split(";") if ":" in d)
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update({k.strip(): v.strip() for k, v in declarations.items()})
    return rules


def _luminance(colour: str) -> float:
    hex_ = colour.lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    channels = [int(hex_[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


RULES = _rules(CSS)


def _colour(selector: str, prop: str) -> str:
    value = RULES[selector][prop]
    assert re.fullmatch(r"#[0-9a-f]{3}|#[0-9a-f]{6}", value), (selector, prop, value)
    return value


# (what, text colour (selector, property), background (selector, property)) as they stack in the page.
PAIRS = [
    ("body text", ("body", "color"), ("body", "background")),
    ("text in cards, tables, panels", ("body", "color"), ("table", "background")),
    ("table headers", ("body", "color"), ("th", "background")),
    ("inline code", ("body", "color"), ("code", "background")),
    ("card labels", (".card .label", "color"), (".card", "background")),
    ("chart captions", ("figcaption", "color"), (".panel", "background")),
    ("header title", ("header", "color"), ("header", "background")),
    ("header line", ("header p", "color"), ("header", "background")),
    ("code in the header", ("header code", "color"), ("header code", "background")),
] + [(f"{outcome} badge", (".tag", "color"), (f".{outcome}", "background")) for outcome in OUTCOME_COLOURS]


def test_the_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    # The badges as they were (issue 21: "status badges have 3.2:1") fail the check.
    assert contrast("#ffffff", "#d97706") == pytest.approx(3.19, abs=0.01)
    assert contrast("#ffffff", "#16a34a") < AA


@pytest.mark.parametrize(("what", "text", "background"), PAIRS, ids=[p[0] for p in PAIRS])
def test_text_meets_wcag_aa(what, text, background):
    ratio = contrast(_colour(*text), _colour(*background))
    assert ratio >= AA, f"{what}: {ratio:.2f}:1"


def test_every_text_colour_in_the_css_is_checked():
    checked = {text for _, text, _ in PAIRS}
    coloured = {(selector, "color") for selector, props in RULES.items() if "color" in props}
    assert coloured <= checked, coloured - checked
