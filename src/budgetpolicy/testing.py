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

Helpers (plain functions, import them), one per kind of extension:

- scorers: :func:`evaluate_with` runs a policy with your plugin and returns the
  decisions (:func:`evaluation_with`: the whole evaluation, whose
  ``explanation(id)`` shows your scorer's score lines); :func:`with_criterion`
  adds your scorer to a policy as an extra rubric criterion;
- expression functions: :func:`function_value` compiles a condition that calls
  your function (type-checked against its registered signature, as a policy
  would be) and evaluates it on an initiative; :func:`with_rule` adds a rule
  that calls it to a policy, for :func:`evaluate_with`;
- data sources: :func:`read_with` reads ``NAME:TARGET`` through your source,
  every record checked exactly as ``budgetpolicy evaluate -i`` checks it;
- attributes and initiatives: :func:`make_initiative` builds an initiative from
  a record written like a data row (defaults for what you leave out; custom
  attributes converted with ``attribute_types``, a policy's ``[attributes]``);
  :func:`with_attributes` declares attributes on a policy.

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

from budgetpolicy.model import Criterion, Decision, Initiative, Policy, Rule
from budgetpolicy.plugins import get_plugin_manager
from budgetpolicy.registry import Registry

if TYPE_CHECKING:
    from budgetpolicy.engine.evaluation import Evaluation

__all__ = ["EVALUATED_AT", "SAMPLE_POLICY_TOML", "evaluate_with", "evaluation_with", "function_value",
           "make_initiative", "make_sample_initiatives", "make_sample_policy", "read_with", "registry_with",
           "with_attributes", "with_criterion", "with_rule"]

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

    compiled = compile_policy(policy, registry_with(plugin))
    return compiled.evaluate(tuple(initiatives), EvaluationContext(evaluated_at=evaluated_at, as_of=as_of))


def registry_with(plugin: Any) -> Registry:
    """A registry of the built-ins plus ``plugin`` (a module/object, a list of them, or None), built by
    calling the hooks through pluggy as a real run does. Installed plugins are not loaded."""
    pm = get_plugin_manager(entry_points=False)
    plugins = [] if plugin is None else list(plugin) if isinstance(plugin, (list, tuple)) else [plugin]
    for p in plugins:
        pm.register(p, name=_name_of(p))
    return Registry.build(pm)


# A plain record for make_initiative: what a data row needs, so a test writes only what it is about.
_DEFAULT_RECORD: dict[str, Any] = {"id": "T-1", "title": "Test initiative", "kind": "training",
                                   "department": "Sales", "cost": 10000, "priorities": ["win-rate"],
                                   "forecast": {"win-rate": 1}, "probability": "0.5",
                                   "evaluation_plan": ["kpi_tracking"]}


def make_initiative(attribute_types: Mapping[str, str] | None = None, **fields: Any) -> Initiative:
    """An initiative from a record written like a data-file row (``cost=48000``, ``forecast={"win-rate": 2}``,
    ``attributes={"due": "2026-05-01"}``), converted and checked exactly as a data file's rows are; fields left
    out take defaults that fit :data:`SAMPLE_POLICY_TOML`. ``attribute_types`` (name -> number, string, bool,
    date, list<string>, list<number>) types custom attributes as a policy's ``[attributes]`` does.
    A bad field raises DataError naming it."""
    from budgetpolicy.data.load import record_to_initiative  # imported when used, as in make_sample_policy
    from budgetpolicy.errors import Location

    record = {**_DEFAULT_RECORD, **fields}
    return record_to_initiative(record, Location(file="<make_initiative>"), attribute_types)


def with_attributes(policy: Policy, **types: str) -> Policy:
    """``policy`` with more declared ``[attributes]`` (``due="date"``, ``team_size="number"``)."""
    return evolve(policy, attributes={**policy.attributes, **types})


def with_rule(policy: Policy, condition: str, effect: str = "flag", rule_id: str = "plugin-rule",
              message: str = "plugin rule fired", **fields: Any) -> Policy:
    """``policy`` with one more approval rule, first in order (a flag by default): a rule that calls your
    expression function, so :func:`evaluate_with` shows what it does to decisions."""
    rule = Rule(id=rule_id, condition=condition, effect=effect, message=message, **fields)  # type: ignore[arg-type]
    return evolve(policy, approval=evolve(policy.approval, rules=(rule, *policy.approval.rules)))


def function_value(plugin: Any, expression: str, initiative: Initiative | None = None,
                   policy: Policy | None = None) -> Any:
    """The value of ``expression`` (a condition that calls your function, e.g. ``"reach(headcount) > 0.5"``)
    on ``initiative`` (default: :func:`make_initiative`), compiled against ``policy``'s names (default: the
    sample policy) and the functions of the built-ins plus ``plugin``, exactly as a rule is. Numbers come
    back as Decimals; a function that raises gives the ExpressionError a policy run would."""
    from budgetpolicy.engine.symbols import initiative_env, initiative_symbols
    from budgetpolicy.expr import compile_expression, function_specs

    policy = policy or make_sample_policy()
    initiative = initiative or make_initiative()
    compiled = compile_expression(expression, initiative_symbols(policy), function_specs(registry_with(plugin)))
    env = {**initiative_env(initiative, policy.attributes), "score": Decimal(0), "expected_value": Decimal(0),
           "scores": {c.id: Decimal(0) for c in policy.scoring.criteria}}
    return compiled(env)


def read_with(plugin: Any, spec: str, kind: str = "initiatives",
              attribute_types: Mapping[str, str] | None = None) -> tuple[Any, ...]:
    """Read ``spec`` (``NAME:TARGET`` for your source, or a file your source claims by extension) with the
    built-ins plus ``plugin``: ``kind="initiatives"`` gives Initiatives, ``"outcomes"`` OutcomeReadings,
    every record checked as ``budgetpolicy evaluate -i`` / ``review --outcomes`` check them. A bad record
    raises DataError naming the source's location, field and fix."""
    from budgetpolicy.data.load import load_initiatives, load_outcomes
    from budgetpolicy.errors import UsageError

    registry = registry_with(plugin)
    if kind == "initiatives":
        return tuple(load_initiatives(spec, registry, attribute_types=attribute_types).items)
    if kind == "outcomes":
        return tuple(load_outcomes(spec, registry).items)
    raise UsageError(f"kind must be 'initiatives' or 'outcomes', not {kind!r}")


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

