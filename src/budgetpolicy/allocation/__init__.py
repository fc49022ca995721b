"""The allocation stage: split the fixed pool among approved initiatives.

Takes allocation candidates (one per approved or pending initiative, with cost and value) and the
policy's ``[allocation]``; gives an ``AllocationResult``: a ``Funding`` per candidate that never exceeds
the pool, to the cent. ``problem`` converts money to whole units and ranks; ``allocate`` runs the
greedy strategy and checks every result; ``optimal`` solves the same problem with HiGHS; ``checks``
validates ``[allocation]`` settings (BP6xx) against the registered strategies.
"""
