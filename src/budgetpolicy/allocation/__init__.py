"""The allocation stage: split the fixed pool among approved initiatives.

Takes allocation candidates (one per approved or pending initiative, with cost and value) and the
policy's ``[allocation]``; gives an ``AllocationResult``: a ``Funding`` per candidate that never exceeds
the pool, to the cent. The modules, in the order a run uses them:

* ``candidates``: one ``Candidate`` per approved or pending decision, and the settings with a what-if
  pool change applied (the engine and the explanation stage both build the problem here);
* ``allocate``: the stage entry; runs the strategy the policy names and checks its result;
* ``problem``: the ``Candidate`` value; money converted to whole units, the ranking, the limits;
* ``greedy``: the greedy strategy (the default);
* ``optimal``: the same problem solved for the most total value with HiGHS: ``formulation`` poses the
  mixed-integer program (a column per candidate), ``milp`` solves it exactly and fast (LP, fixing,
  branch and bound on what is left), ``quiet`` keeps the solver's printing off the terminal;
* ``result``: ``AllocationResult``, ``AllocationSummary`` and their assembly from what a strategy gave;
* ``wording``: the plain-English explanation of each funding;
* ``checks``: the ``[allocation]`` settings checked (BP6xx) against the registered strategies.
"""
