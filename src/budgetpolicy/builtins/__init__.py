"""The default plugins: built-in scorers, data sources, expression functions and allocators.

Each module implements the same hooks a third-party plugin would (:mod:`budgetpolicy.hookspecs`) and is
registered exactly like one, from :data:`budgetpolicy.plugins.DEFAULT_PLUGINS`: ``scorers``
(``expected_value``, ``rubric``, ``field``), ``sources`` (CSV, JSON, TOML, SQLite), ``functions`` (what
conditions may call) and ``allocators`` (``greedy``, ``optimal``).
"""
