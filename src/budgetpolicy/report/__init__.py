"""Portfolio reports (``budgetpolicy report``): Markdown and a self-contained HTML dashboard.

The report stage renders; it runs nothing. Its caller (``budgetpolicy.commands.report``) evaluates
the initiatives and, given outcomes, reviews them; :func:`.facts.portfolio` takes that evaluation,
the initiatives and the review and gathers the report's facts; :mod:`.markdown` and :mod:`.html`
render them, :mod:`.charts` draws the charts with matplotlib. The evidence sections (KPI actuals and
attribution, effectiveness by format, plan versus actual, case-study drafts) are gathered by
:mod:`.evidencefacts` and worded once by :mod:`.evidencesections` for both reports and the terminal
(:mod:`.evidencetext`).
"""
