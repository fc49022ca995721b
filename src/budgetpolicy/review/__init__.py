"""The quarterly review stage: compare outcomes with forecasts and move money accordingly.

Takes the plan (an evaluation), outcome readings and a period; gives a review: realisation per
initiative and quarter against the lift due by then (``realise``, with ``milestones``: declared
milestones or the policy's ramp), calibration factors per forecaster group (``calibrate``),
completions of bets that are over (``complete``), sunsets of bets in flight (``sunset``), releases
and reallocations (``reallocate``). ``quarterly`` runs them in order, quarter by quarter
(``periods``), after ``inputs`` has checked the readings and milestones against the plan and policy.
"""
