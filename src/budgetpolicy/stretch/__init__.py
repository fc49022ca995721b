"""Stretch selection: who takes each stretch assignment, chosen fairly within every capacity.

Takes the policy's ``[stretch]`` (rubric weights, mentors' capacities, each person's maximum load and
concurrent assignments, seats, grouping attributes), the initiatives (the assignments are those of kind
``stretch``) and a candidates file; gives a :class:`~budgetpolicy.stretch.select.Selection`: every
candidate ranked per assignment, picked or not with the reasons, the total score and the selection
rates by department and group. Modules: ``candidates`` (read and check the file), ``problem`` (options,
capacities, greedy), ``optimal`` (HiGHS), ``select`` (choose and explain), ``rates`` (selection rates),
``record`` (the ledger payload and its replay). Pure: the ledger append is :func:`budgetpolicy.api.select_stretch`.
"""
