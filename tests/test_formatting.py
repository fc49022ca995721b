"""formatting: each money and number format shows what its name says, and templates keep unknown names."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from budgetpolicy.formatting import (fill_template, money, money_cents, money_compact, plain_decimal, ratio_text,
                                     template_parts, trimmed_number, value_text)


@pytest.mark.parametrize(("amount", "held", "compact", "cents"), [
    (D("12000"), "12,000", "12,000", "12,000.00"),
    (D("12000.00"), "12,000.00", "12,000", "12,000.00"),
    (D("12000.5"), "12,000.5", "12,000.50", "12,000.50"),
    (D("1234.125"), "1,234.125", "1,234.125", "1,234.12"),  # compact keeps every place beyond two
    (D("-2500.10"), "-2,500.10", "-2,500.10", "-2,500.10"),
    (D("0"), "0", "0", "0.00"),
])
def test_the_three_money_formats(amount: D, held: str, compact: str, cents: str) -> None:
    assert money(amount) == held
    assert money_compact(amount) == compact
    assert money_cents(amount) == cents


def test_money_with_a_currency_and_without_an_amount() -> None:
    assert money(D("48000"), "USD") == "USD 48,000"
    assert money_cents(D("7000"), "EUR") == "EUR 7,000.00"
    assert money(None) == "" and money(None, "USD") == ""


@pytest.mark.parametrize(("value", "text"), [
    (D("12000.50"), "12,000.5"), (D("0.00"), "0"), (D("1E+3"), "1,000"), (None, "none"), (True, "yes"),
    (False, "no"), ([D("1.50"), "a"], "1.5, a"), ((), "none"), ({"fit": D("4.0"), "risk": None}, "fit: 4, risk: none"),
    ("Sales", "Sales"), (3, "3"),
])
def test_value_text_is_a_value_in_a_sentence(value: object, text: str) -> None:
    assert value_text(value) == text


def test_plain_trimmed_and_ratio_numbers() -> None:
    assert plain_decimal(D("0.70")) == "0.70" and plain_decimal(2) == "2" and plain_decimal(None) == "None"
    assert trimmed_number(D("0.523600")) == "0.5236"
    assert trimmed_number(D("1000")) == "1000" and trimmed_number(D("2.000")) == "2"
    assert trimmed_number(D(1) / D(3), places=6) == "0.333333"
    assert trimmed_number(D("0.25"), places=6) == "0.25"
    assert trimmed_number(None) == ""
    assert ratio_text(D("0.0123456")) == "0.012" and ratio_text(D("1234")) == "1200"
    assert ratio_text(None) == "free" and ratio_text(D(0)) == "0"


def test_templates_fill_known_names_and_keep_the_rest() -> None:
    assert template_parts("over {cost} in {department}") == ("over ", "cost", " in ", "department", "")
    values = {"cost": "12,000", "initiative.kind": "pilot"}
    assert fill_template("{cost} for {initiative.kind}, {missing} {0} {}", values.get) == \
        "12,000 for pilot, {missing} {0} {}"


def test_columns_and_readable_ratios() -> None:
    from budgetpolicy.formatting import fixed_places, money_column, number_column, per_thousand

    assert fixed_places(D("0.5236"), 6) == "0.523600" and fixed_places(D("0.4316665"), 6) == "0.431666"
    assert fixed_places(None, 2) == ""
    assert money_column([D(48000), D(500), None]) == ["48,000", "500", ""]
    assert money_column([D(48000), D("500.5")]) == ["48,000.00", "500.50"]  # cents for all when any has them
    assert money_column([D("1.125"), D(2)]) == ["1.125", "2.000"]
    assert number_column([D("0.4"), D("0.15"), D(1)]) == ["0.40", "0.15", "1.00"]
    assert per_thousand(D("0.0000015384")) == "0.0015" and per_thousand(None) == "free"
