"""pytest plugin for budgetpolicy plugin authors (and budgetpolicy's own tests).

Loaded automatically wherever budgetpolicy is installed (the ``pytest11``
entry point ``budgetpolicy = "budgetpolicy.testing"``). Fixtures:

``budgetpolicy_pm``
    a plugin manager with only the built-in plugins: installed third-party
    plugins (and ``BUDGETPOLICY_PLUGINS``) never leak into your test.
``register_plugin``
    ``register_plugin(plugin, name=None) -> Registry``: register a plugin
    module (or a hashable object) into ``budgetpolicy_pm`` and get a fresh
    :class:`~budgetpolicy.registry.Registry`, built by calling the hooks
    through pluggy exactly as a real run does; always unregistered at teardown.
``sample_policy``
    a small :class:`~budgetpolicy.model.Policy` (two priorities, an expected
    value and a rubric criterion, four approval gates), no allocation.
``sample_initiatives``
    five initiatives against it: training, coaching over 25,000, a stretch
    assignment with a mentor, one without, and one linked to no priority.

Helpers (plain functions, import them): :func:`evaluate_with` runs a policy
with your plugin and returns the decisions (:func:`evaluation_with`: the whole
evaluation, whose ``explanation(id)`` shows your scorer's score lines);
:func:`with_criterion` adds your scorer to a policy as an extra rubric criterion.

Run your tests with ``BUDGETPOLICY_TRACE_PLUGINS=1`` to see every hook call
(pluggy's trace, on stderr: pytest shows it for a failing test).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable

import pluggy
import pytest
from attrs import evolve

from budgetpolicy.model import Criterion, Decision, Initiative, Policy
from budgetpolicy.plugins import get_plugin_manager
from budgetpolicy.registry import Registry

if TYPE_CHECKING:
    from budgetpolicy.engine.evaluation import Evaluation

__all__ = ["EVALUATED_AT", "SAMPLE_POLICY_TOML", "evaluate_with", "evaluation_with", "make_sample_initiatives",
           "make_sample_policy", "with_criterion"]

# A fixed clock: decisions (and their provenance) are identical on every run.
EVALUATED_AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)

SAMPLE_POLICY_TOML = '''\
id = "sample"
version = "1"
effective_date = 2026-01-01
currency = "USD"

[attributes]
mentor_hours = "number"

[[priorities]]
id = "win-rate"
name = "Sales win rate"
weight = 0.6
[priorities.kpi]
metric = "win_rate"
unit = "%"
direction = "higher"
baseline = 20
target = 25

[[priorities]]
id = "csat"
name = "Customer satisfaction"
weight = 0.4
[priorities.kpi]
metric = "csat"
unit = "points"
direction = "higher"
baseline = 80
target = 90

[scoring]
weights = "normalise"

[[scoring.criteria]]
id = "impact"
scorer = "expected_value"
weight = 0.6

[[scoring.criteria]]
id = "feasibility"
scorer = "rubric"
weight = 0.4

[[approval.rules]]
id = "must-link-priority"
condition = "len(priorities) == 0"
effect = "reject"
message = "Every initiative must link to a priority"

[[approval.rules]]
id = "stretch-needs-mentor"
condition = "kind == \\"stretch\\" and not mentor"
effect = "reject"
message = "A stretch assignment must name a mentor"

[[approval.rules]]
id = "vp-over-25k"
condition = "cost > 25000"
effect = "require"
role = "vp"
message = "Over 25,000 needs a VP"

[[approval.rules]]
id = "approve"
condition = "true"
effect = "approve"
message = "Meets the policy"
'''


def make_sample_policy() -> Policy:
    """The policy behind the ``sample_policy`` fixture (loaded and validated like a file)."""
    # Imported when used: pytest loads this module into every run wherever budgetpolicy is installed
    # (the pytest11 entry point, a seam like the CLI's commands), and the policy loader and the engine
    # would more than double its import time.
    from budgetpolicy.policy.load import load_policy_text

    return load_policy_text(SAMPLE_POLICY_TOML, "<budgetpolicy.testing sample policy>")


def make_sample_initiatives() -> tuple[Initiative, ...]:
    """The initiatives behind the ``sample_initiatives`` fixture."""
    D = Decimal
    common: dict[str, Any] = {"currency": "USD", "evaluation_plan": ("pre_post_assessment",)}
    return (
        Initiative(id="SMP-1", title="Consultative selling bootcamp", kind="training", department="Sales",
                   cost=D(20000), headcount=12, priorities=("win-rate",), forecast={"win-rate": D("2.5")},
                   probability=D("0.8"), ratings={"feasibility": D(4)}, **common),
        Initiative(id="SMP-2", title="Support-lead coaching", kind="coaching", department="Support",
                   cost=D(30000), headcount=6, priorities=("csat",), forecast={"csat": D(5)},
                   probability=D("0.6"), ratings={"feasibility": D(3)}, **common),
        Initiative(id="SMP-3", title="Stretch: lead the pricing pilot", kind="stretch", department="Sales",
                   cost=D(8000), priorities=("win-rate",), forecast={"win-rate": D(1)}, probability=D("0.5"),
                   mentor="A. Lee", ratings={"feasibility": D(4), "learning_agility": D(4),
                                             "collaboration": D(3), "risk_tolerance": D(2)},
                   attributes={"mentor_hours": D(6)}, **common),
        Initiative(id="SMP-4", title="Stretch: run the incident board", kind="stretch", department="Engineering",
                   cost=D(6000), priorities=("csat",), forecast={"csat": D(2)}, probability=D("0.5"),
                   ratings={"feasibility": D(2), "learning_agility": D(5), "collaboration": D(4),
                            "risk_tolerance": D(4)}, **common),
        Initiative(id="SMP-5", title="Generic time-management webinar", kind="microlearning",
                   department="Operations", cost=D(1500), probability=D("0.5"),
                   ratings={"feasibility": D(5)}, **common),
    )


def with_criterion(policy: Policy, scorer: str, params: Mapping[str, Any] | None = None,
                   weight: Decimal | int | str = 1, criterion_id: str | None = None) -> Policy:
    """``policy`` with one more rubric criterion using ``scorer`` (weights are normalised)."""
    criterion = Criterion(id=criterion_id or scorer, scorer=scorer, weight=Decimal(str(weight)),
                          params=dict(params or {}))
    scoring = evolve(policy.scoring, criteria=(*policy.scoring.criteria, criterion), weights="normalise")
    return evolve(policy, scoring=scoring)


def evaluate_with(plugin: Any, policy: Policy, initiatives: Sequence[Initiative], *,
                  evaluated_at: dt.datetime = EVALUATED_AT, as_of: dt.date | None = None) -> tuple[Decision, ...]:
    """Compile ``policy`` with the built-ins plus ``plugin`` (a module/object, a list of them, or None)
    and return the decisions for ``initiatives``. Installed plugins are not loaded."""
    return evaluation_with(plugin, policy, initiatives, evaluated_at=evaluated_at, as_of=as_of).decisions


def evaluation_with(plugin: Any, policy: Policy, initiatives: Sequence[Initiative], *,
                    evaluated_at: dt.datetime = EVALUATED_AT, as_of: dt.date | None = None) -> Evaluation:
    """:func:`evaluate_with`, returning the whole evaluation (its ``explanation(initiative_id)`` holds
    each decision's score lines, rule traces and narrative)."""
    # Imported when used, as in make_sample_policy.
    from budgetpolicy.engine.compile import EvaluationContext, compile_policy

    pm = get_plugin_manager(entry_points=False)
    plugins = [] if plugin is None else list(plugin) if isinstance(plugin, (list, tuple)) else [plugin]
    for p in plugins:
        pm.register(p, name=_name_of(p))
    compiled = compile_policy(policy, Registry.build(pm))
    return compiled.evaluate(tuple(initiatives), EvaluationContext(evaluated_at=evaluated_at, as_of=as_of))


def _name_of(plugin: Any) -> str:
    return getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{id(plugin):x}"


@pytest.fixture
def budgetpolicy_pm() -> pluggy.PluginManager:
    """A plugin manager with only the built-in plugins."""
    return get_plugin_manager(entry_points=False)


@pytest.fixture
def register_plugin(budgetpolicy_pm: pluggy.PluginManager) -> Iterator[Callable[..., Registry]]:
    """``register_plugin(plugin, name=None) -> Registry``; unregistered at teardown, even on failure."""
    registered: list[Any] = []

    def register(plugin: Any, name: str | None = None) -> Registry:
        budgetpolicy_pm.register(plugin, name=name or _name_of(plugin))
        registered.append(plugin)
        return Registry.build(budgetpolicy_pm)

    yield register
    for plugin in reversed(registered):
        if budgetpolicy_pm.is_registered(plugin):
            budgetpolicy_pm.unregister(plugin)


@pytest.fixture
def sample_policy() -> Policy:
    return make_sample_policy()


@pytest.fixture
def sample_initiatives() -> tuple[Initiative, ...]:
    return make_sample_initiatives()

