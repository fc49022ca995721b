"""The data stage: initiative and outcome rows from any registered data source, checked and frozen.

Takes a source spec (a file, or ``NAME:TARGET`` for a data-source plugin) and the policy's declared
attributes; gives frozen :class:`~budgetpolicy.model.Initiative` and
:class:`~budgetpolicy.model.OutcomeReading` values, and every bad row as a located diagnostic (file, row,
field), never dropped silently. ``load`` reads through the sources; ``records`` shapes and types one raw
record and ``schema`` checks it against the record schema.
"""
