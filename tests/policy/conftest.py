"""Shared helpers for the policy-loading tests: a minimal valid policy and diagnostic triples."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetpolicy.errors import Diagnostic
from budgetpolicy.policy.load import check_policy_text

FIXTURES = Path(__file__).parent / "fixtures"

# 21 lines; text appended to it starts on line 22.
MINIMAL = """\
id = "p"
version = "1"
effective_date = 2026-01-01
currency = "USD"

[[priorities]]
id = "a"
name = "A"
weight = 1
[priorities.kpi]
metric = "m"
unit = "%"
direction = "higher"
baseline = 1
target = 2

[scoring]
[[scoring.criteria]]
id = "value"
scorer = "expected_value"
weight = 1
"""


def triples(diags: list[Diagnostic]) -> list[tuple[str, str | None, int | None]]:
    return [(d.code, d.location.key, d.location.line) for d in diags]


@pytest.fixture
def check():
    """check(text) -> (policy or None, [(code, key, line), ...]) for text loaded as 'p.toml'."""

    def run(text: str):
        policy, diags = check_policy_text(text, "p.toml")
        assert all(d.location.file == "p.toml" for d in diags)
        return policy, triples(diags)

    return run
