"""Evidence: did the development money move performance? (docs/evidence.md)

Takes a checked policy, an evaluation (and a review with its readings) and gives what the field's
standards compute from them: the money value of forecast and realised lifts (``value``: Phillips level 5
at plan time; ``roi``: realised benefit, fully loaded cost, BCR, ROI % and payback at review), the dual
values of the pool and of every cap and what the next amounts would buy (``duals``), declared against
effective criterion weights and forecasts that overclaim a KPI's gap (``weights``), and the plan-time
summary the ``evaluate`` command prints and writes to JSON (``plan``); the organisation's KPI actuals and
the lifts attributed to each initiative (``kpis``), effectiveness by kind and delivery method
(``formats``), plan versus actual in the TDRp shape (``tdrp``) and success-case drafts (``cases``). Money
and ratios are exact ``Decimal`` values, rounded once by the rules in ``exact``.
"""
