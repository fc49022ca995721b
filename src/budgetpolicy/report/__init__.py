"""Portfolio reports (``budgetpolicy report``): Markdown and a self-contained HTML dashboard.

``build_portfolio`` runs the funding cycle (and, given outcomes, the quarterly
review) and returns the report's facts; :mod:`.markdown` and :mod:`.html`
render them, :mod:`.charts` draws the charts with matplotlib.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def build_portfolio(policy_spec: str, initiatives_spec: str, *, outcomes_spec: str | None = None,
                    period: str | None = None, evaluated_at: dt.datetime | None = None, registry: Any = None):
    """Evaluate ``initiatives_spec`` under ``policy_spec`` (and review ``outcomes_spec`` up to ``period``)."""
    from budgetpolicy import api
    from budgetpolicy.plugins import build_registry
    from budgetpolicy.report.facts import portfolio

    registry = registry or build_registry()
    compiled = api.open_policy(policy_spec, registry)
    policy = compiled.policy
    initiatives = api.read_initiatives(initiatives_spec, registry, attribute_types=policy.attributes)
    at = evaluated_at or dt.datetime.combine(policy.effective_date, dt.time(), tzinfo=dt.timezone.utc)
    evaluation = api.evaluate(compiled, initiatives, evaluated_at=at)
    result = None
    if outcomes_spec:
        from budgetpolicy.data.load import load_outcomes
        from budgetpolicy.review.quarterly import review

        outcomes = load_outcomes(outcomes_spec, registry, initiative_ids=[i.id for i in initiatives]).items
        if period is None:
            period = max(o.period for o in outcomes) if outcomes else None
        if period is not None:
            result = review(policy, initiatives, evaluation.decisions, outcomes, period)
    return evaluation, portfolio(evaluation, initiatives, result)
