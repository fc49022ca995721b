"""Shared inputs of the report tests: the bundled policy, initiatives and outcomes."""

import datetime as dt
from pathlib import Path

from budgetpolicy.commands.report import evaluate_and_review
from budgetpolicy.report.facts import portfolio

REPO = Path(__file__).resolve().parents[2]
POLICY = str(REPO / "policies" / "acme-2026.toml")
INITIATIVES = str(REPO / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = str(REPO / "policies" / "acme-2026.outcomes.csv")
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)


def build_portfolio(policy: str, initiatives: str, **options):
    """(evaluation, portfolio facts), gathered the way ``budgetpolicy report`` gathers them."""
    evaluation, read, review = evaluate_and_review(policy, initiatives, **options)
    return evaluation, portfolio(evaluation, read, review)
