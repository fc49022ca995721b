"""One evaluation (and review) of the bundled example, shared by the report tests."""

from __future__ import annotations

import pytest
from report_helpers import AT, INITIATIVES, KPIS, OUTCOMES, POLICY, build_portfolio


@pytest.fixture(scope="session")
def reviewed():
    """(evaluation, portfolio facts) with outcomes reviewed up to 2026-Q2 and the KPI actuals."""
    return build_portfolio(POLICY, INITIATIVES, KPIS, outcomes_spec=OUTCOMES, period="2026-Q2", evaluated_at=AT)


@pytest.fixture(scope="session")
def html_report(reviewed):
    from budgetpolicy.report.html import render_html

    return render_html(reviewed[1])
