"""Build stage of policy loading: schema-valid TOML data -> frozen model objects.

Runs only after the schema check passed, so shapes and types are known
here; this module converts values exactly (numbers to ``Decimal`` from their
source text, dates to ``datetime.date``), applies documented defaults and
attaches source locations to rules and tests. It never judges meaning: that
is :mod:`budgetpolicy.policy.checks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from budgetpolicy.model import (
    KPI, AllocationPolicy, Approval, Baseline, CalibrationPolicy, Caps, Criterion, EvidencePolicy, FrozenMap, MilestonePolicy,
    Policy, PolicySource, PolicyTest, Priority, ReallocationPolicy, RequestsPolicy, Reserve, RolloutPolicy, Rule,
    Scoring,
    SignoffPolicy, SpendPolicy, SunsetCriterion, SunsetPolicy,
)
from budgetpolicy.policy.locate import PolicyLocations
from budgetpolicy.policy.stretch import build_stretch

# Expectation keys holding numbers: converted to Decimal so test runners compare exactly.
_EXPECT_NUMBERS = frozenset({
    "score_min", "score_max", "expected_value_min", "expected_value_max",
    "allocation", "allocation_min", "allocation_max",
})


def dec(value: Any) -> Decimal:
    """Exact Decimal from a parsed TOML int, Decimal (floats parse as Decimal) or decimal string."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):  # pragma: no cover - the schema rejects booleans for numbers
        raise TypeError("boolean is not a number")
    return Decimal(value) if isinstance(value, (int, str)) else Decimal(str(value))


def opt_dec(value: Any) -> Decimal | None:
    return None if value is None else dec(value)


def date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    return dt.date.fromisoformat(str(value))


def freeze(value: Any) -> Any:
    """Deep-freeze free-form tables (metadata, params, test records): dicts -> FrozenMap, lists -> tuples."""
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def build_policy(data: Mapping[str, Any], source: PolicySource, places: PolicyLocations) -> Policy:
    rules = tuple(
        Rule(
            id=r["id"], condition=r["condition"], effect=r["effect"], message=r["message"],
            role=r.get("role"), reason=r.get("reason"),
            effective_from=date(r.get("effective_from")), effective_until=date(r.get("effective_until")),
            location=places(("approval", "rules", i)),
        )
        for i, r in enumerate(data.get("approval", {}).get("rules", []))
    )
    tests = tuple(
        PolicyTest(name=t["name"], initiative=freeze(t["initiative"]), expect=expectations(t["expect"]),
                   location=places(("tests", i)))
        for i, t in enumerate(data.get("tests", []))
    )
    return Policy(
        id=data["id"],
        version=data["version"],
        effective_date=_required_date(data["effective_date"]),
        effective_until=date(data.get("effective_until")),
        currency=data["currency"] if isinstance(data["currency"], str) else data["currency"]["code"],
        currency_rates=FrozenMap({} if isinstance(data["currency"], str) else
                                 {code: dec(rate) for code, rate in data["currency"].get("rates", {}).items()}),
        plugins=tuple(data.get("plugins", ())),
        metadata=freeze(data.get("metadata", {})),
        attributes=FrozenMap(data.get("attributes", {})),
        priorities=tuple(_priority(p) for p in data["priorities"]),
        scoring=_scoring(data["scoring"]),
        approval=Approval(rules=rules),
        roles=FrozenMap({role: tuple(holders) for role, holders in data.get("roles", {}).items()}),
        allocation=_allocation(data["allocation"]) if "allocation" in data else None,
        calibration=_calibration(data["calibration"]) if "calibration" in data else None,
        reallocation=_reallocation(data["reallocation"]) if "reallocation" in data else None,
        sunset=SunsetPolicy(criteria=tuple(_sunset(c) for c in data["sunset"].get("criteria", [])))
        if "sunset" in data else None,
        milestones=_milestones(data["milestones"]) if "milestones" in data else None,
        spend=_spend(data["spend"]) if "spend" in data else None,
        signoff=_signoff(data["signoff"]) if "signoff" in data else None,
        requests=_requests(data["requests"]) if "requests" in data else None,
        stretch=build_stretch(data["stretch"], dec) if "stretch" in data else None,
        rollout=_rollout(data["rollout"]) if "rollout" in data else None,
        evidence=_evidence(data["evidence"]) if "evidence" in data else None,
        tests=tests,
        source=source,
    )


def _required_date(value: Any) -> dt.date:
    result = date(value)
    assert result is not None  # the schema requires it
    return result


def _priority(p: Mapping[str, Any]) -> Priority:
    k = p["kpi"]
    kpi = KPI(metric=k["metric"], unit=k["unit"], direction=k["direction"],
              baseline=dec(k["baseline"]), target=dec(k["target"]))
    return Priority(id=p["id"], name=p["name"], kpi=kpi, weight=dec(p["weight"]), sponsor=p.get("sponsor"),
                    value_per_unit=opt_dec(p.get("value_per_unit")), value_unit=p.get("value_unit"))


def _scoring(s: Mapping[str, Any]) -> Scoring:
    criteria = tuple(
        Criterion(id=c["id"], scorer=c["scorer"], weight=dec(c["weight"]),
                  params=freeze(c.get("params", {})), description=c.get("description"),
                  normalise=c.get("normalise"))
        for c in s["criteria"]
    )
    return Scoring(criteria=criteria, weights=s.get("weights", "strict"), precision=s.get("precision", 6))


def _allocation(a: Mapping[str, Any]) -> AllocationPolicy:
    defaults = AllocationPolicy(pool=Decimal("0"))
    baselines = tuple(
        Baseline(id=b["id"], amount=dec(b["amount"]), role=b.get("role"), department=b.get("department"),
                 kind=b.get("kind"), reason=b.get("reason"))
        for b in a.get("baselines", [])
    )
    reserve = None
    if "reserve" in a:
        r = a["reserve"]
        reserve = Reserve(kinds=tuple(r.get("kinds", Reserve().kinds)), share=opt_dec(r.get("share")),
                          amount=opt_dec(r.get("amount")), include_pilots=r.get("include_pilots", True),
                          release_unused=r.get("release_unused", True), reason=r.get("reason"))
    c = a.get("caps", {})
    caps = Caps(per_initiative=opt_dec(c.get("per_initiative")),
                per_department=FrozenMap({k: dec(v) for k, v in c.get("per_department", {}).items()}),
                per_kind=FrozenMap({k: dec(v) for k, v in c.get("per_kind", {}).items()}))
    return AllocationPolicy(
        pool=dec(a["pool"]),
        strategy=a.get("strategy", defaults.strategy),
        value=a.get("value", defaults.value),
        unit=dec(a.get("unit", defaults.unit)),
        rounding=a.get("rounding", defaults.rounding),
        partial=a.get("partial", defaults.partial),
        min_viable=dec(a.get("min_viable", defaults.min_viable)),
        min_viable_share=dec(a.get("min_viable_share", defaults.min_viable_share)),
        tie_break=tuple(a.get("tie_break", defaults.tie_break)),
        baselines=baselines, reserve=reserve, caps=caps,
        time_limit=opt_dec(a.get("time_limit")), mip_gap=opt_dec(a.get("mip_gap")),
    )


def _calibration(c: Mapping[str, Any]) -> CalibrationPolicy:
    d = CalibrationPolicy()
    return CalibrationPolicy(
        group_by=c.get("group_by", d.group_by),
        lookback_quarters=c.get("lookback_quarters", d.lookback_quarters),
        shrinkage=dec(c.get("shrinkage", d.shrinkage)),
        min_factor=dec(c.get("min_factor", d.min_factor)),
        max_factor=dec(c.get("max_factor", d.max_factor)),
        normalise_ratings=c.get("normalise_ratings", d.normalise_ratings),
    )


def _reallocation(r: Mapping[str, Any]) -> ReallocationPolicy:
    d = ReallocationPolicy()
    return ReallocationPolicy(
        release_below=dec(r.get("release_below", d.release_below)),
        release_share=dec(r.get("release_share", d.release_share)),
        release_finished_unspent=r.get("release_finished_unspent", d.release_finished_unspent),
        scale_above=dec(r.get("scale_above", d.scale_above)),
        scale_max_share=dec(r.get("scale_max_share", d.scale_max_share)),
        reason=r.get("reason"), release_completion_below=opt_dec(r.get("release_completion_below")),
    )


def _milestones(m: Mapping[str, Any]) -> MilestonePolicy:
    d = MilestonePolicy()
    return MilestonePolicy(ramp=m.get("ramp", d.ramp), completed_at=dec(m.get("completed_at", d.completed_at)))


def _spend(s: Mapping[str, Any]) -> SpendPolicy:
    d = SpendPolicy()
    return SpendPolicy(tolerance=dec(s.get("tolerance", d.tolerance)), on_mismatch=s.get("on_mismatch", d.on_mismatch))


def _signoff(s: Mapping[str, Any]) -> SignoffPolicy:
    d = SignoffPolicy()
    return SignoffPolicy(release_unsigned_at=s.get("release_unsigned_at", d.release_unsigned_at),
                         reallocate_to_unsigned=s.get("reallocate_to_unsigned", d.reallocate_to_unsigned))


def _requests(r: Mapping[str, Any]) -> RequestsPolicy:
    return RequestsPolicy(reserve=dec(r.get("reserve", 0)), kinds=tuple(r.get("kinds", ())))


def _rollout(r: Mapping[str, Any]) -> RolloutPolicy:
    d = RolloutPolicy()
    gain = r.get("min_learning_gain")
    return RolloutPolicy(min_realisation=dec(r.get("min_realisation", d.min_realisation)),
                         min_quarters=r.get("min_quarters", d.min_quarters),
                         min_learning_gain=None if gain is None else dec(gain), cost=r.get("cost", d.cost))


def _evidence(e: Mapping[str, Any]) -> EvidencePolicy:
    d = EvidencePolicy()
    return EvidencePolicy(attribution=dec(e.get("attribution", d.attribution)),
                          confidence=dec(e.get("confidence", d.confidence)),
                          hourly_cost=dec(e.get("hourly_cost", d.hourly_cost)),
                          max_benefit_years=dec(e.get("max_benefit_years", d.max_benefit_years)))


def _sunset(c: Mapping[str, Any]) -> SunsetCriterion:
    return SunsetCriterion(id=c["id"], kind=c["kind"], threshold=opt_dec(c.get("threshold")),
                           quarters=c.get("quarters", 1), reason=c.get("reason"))


def expectations(e: Mapping[str, Any]) -> FrozenMap:
    """A policy test's ``expect`` table, numbers as Decimal: shared with ``NAME_test.toml`` files
    (:mod:`budgetpolicy.authoring.policytests`), so both kinds of test compare the same way."""
    out: dict[str, Any] = {}
    for key, value in e.items():
        if key in _EXPECT_NUMBERS:
            out[key] = dec(value)
        elif isinstance(value, list):
            out[key] = tuple(value)
        else:
            out[key] = value
    return FrozenMap(out)
