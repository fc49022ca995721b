"""Shared inputs of the report tests: the bundled policy, initiatives, outcomes and KPI actuals."""

import datetime as dt
from pathlib import Path

from budgetpolicy.commands.report import gather, read_actuals
from budgetpolicy.report.facts import portfolio

REPO = Path(__file__).resolve().parents[2]
POLICY = str(REPO / "policies" / "acme-2026.toml")
INITIATIVES = str(REPO / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = str(REPO / "policies" / "acme-2026.outcomes.csv")
KPIS = str(REPO / "policies" / "acme-2026.kpis.csv")
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)


def build_portfolio(policy: str, initiatives: str, kpis: str | None = None, **options):
    """(evaluation, portfolio facts), gathered the way ``budgetpolicy report`` gathers them."""
    evaluation, read, review, outcomes = gather(policy, initiatives, **options)
    return evaluation, portfolio(evaluation, read, review, outcomes, read_actuals(kpis, evaluation.policy))
