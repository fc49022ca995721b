"""The budget year: events, positions and sign-offs, recorded in the ledger and derived from it.

Takes a ledger file (:mod:`budgetpolicy.audit`): its latest funding plan (the decision records of one
``evaluate --ledger`` run), the plan's policy from the ledger's own policy store (never from a file),
and the events recorded after the plan. Gives the events as values, a sign-off or refusal appended
after the checks it must pass, and the positions: per initiative and for the pool, where every unit of
the pool stands (allocated, earmarked awaiting sign-off, returned by a refusal, left over).

events.py (the plan and the sign-off and refusal records read back, the entries written for them),
signoff.py (``approve`` and ``refuse``: the checks and the append, in one write transaction),
positions.py (the arithmetic, pure: positions from a plan and its events), render.py (positions as a
table, JSON or CSV; one line about a sign-off), quarters.py (a quarter reviewed from the ledger and
recorded), replay.py (the recorded quarters and sign-offs checked again, for ``replay --ledger``).
Nothing here is ever recomputed from policy or data files: the ledger is the year's system of record.
"""
