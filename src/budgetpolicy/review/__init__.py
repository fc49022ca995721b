"""The quarterly review stage: compare outcomes with forecasts and move money accordingly.

Takes the plan (an evaluation), outcome readings and a period; gives a review: realisation per
initiative and quarter (``realise``), calibration factors per forecaster group (``calibrate``),
sunsets (``sunset``), releases and reallocations (``reallocate``). ``quarterly`` runs them in order,
quarter by quarter (``periods``), after ``inputs`` has checked the readings against the plan.
"""
