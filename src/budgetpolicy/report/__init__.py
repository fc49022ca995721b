"""Portfolio reports (``budgetpolicy report``): Markdown and a self-contained HTML dashboard.

The report stage renders; it runs nothing. Its caller (``budgetpolicy.commands.report``) evaluates
the initiatives and, given outcomes, reviews them; :func:`.facts.portfolio` takes that evaluation,
the initiatives and the review and gathers the report's facts; :mod:`.markdown` and :mod:`.html`
render them, :mod:`.charts` draws the charts with matplotlib.
"""
