"""Explain one initiative's decision: every score line, every rule (fired or not, and why), the allocation.

The whole portfolio is evaluated (allocation depends on every initiative),
then the chosen decision is shown in plain language with the machine trace.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetpolicy.model import Decision, Explanation, Initiative


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", "-P", required=True, metavar="POLICY", help="policy file or path@REV")
    parser.add_argument("--initiatives", "-i", required=True, metavar="SOURCE", help="initiatives file or NAME:TARGET")
    parser.add_argument("initiative_id", metavar="ID", help="the initiative to explain")
    parser.add_argument("--format", "-f", choices=("text", "json"), default="text")
    parser.add_argument("--evaluated-at", metavar="TIMESTAMP")
    parser.add_argument("--as-of", metavar="DATE")
    parser.add_argument("--output", "-o", metavar="FILE")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.canonical import pretty_json, to_jsonable
    from budgetpolicy.commands._common import emit, registry_from_args
    from budgetpolicy.errors import UsageError, did_you_mean
    from budgetpolicy.model import explained

    registry = registry_from_args(args)
    compiled = api.open_policy(args.policy, registry)
    initiatives = api.read_initiatives(args.initiatives, registry, policy=compiled.policy)
    ids = [i.id for i in initiatives]
    if args.initiative_id not in ids:
        hint = did_you_mean(args.initiative_id, ids)
        raise UsageError(f"no initiative '{args.initiative_id}' in {args.initiatives}",
                         hint=hint or f"{len(ids)} initiatives, e.g. {', '.join(ids[:3])}")
    evaluation = api.evaluate(
        compiled, initiatives,
        evaluated_at=api.parse_timestamp(args.evaluated_at, "--evaluated-at") if args.evaluated_at else None,
        as_of=api.parse_date(args.as_of, "--as-of") if args.as_of else None)
    decision = evaluation.decision(args.initiative_id)
    explanation = evaluation.explanation(args.initiative_id)
    initiative = next(i for i in initiatives if i.id == args.initiative_id)
    if args.format == "json":
        emit(args, pretty_json(to_jsonable(explained(decision, explanation))))
    else:
        emit(args, explain_text(decision, explanation, initiative, evaluation.policy.currency))
    return 0


def explain_text(decision: Decision, explanation: Explanation, initiative: Initiative, currency: str) -> str:
    from budgetpolicy.formatting import value_text

    out = [f"{initiative.id}  {initiative.title}",
           f"  {initiative.kind}, {initiative.department}, requests {currency} {value_text(initiative.cost)}",
           "", f"Decision: {decision.outcome}", f"  {explanation.narrative}", "",
           f"Score {value_text(decision.score)} (expected value {value_text(decision.expected_value)})"]
    for line in explanation.scores:
        out.append(f"  {line.criterion:<16} {line.scorer:<15} raw {value_text(line.raw):<9} x weight "
                   f"{value_text(line.weight):<6} = {value_text(line.weighted):<9} {line.detail}")
    out += ["", "Rules (in order)"]
    marks = {"fired": "FIRED", "not_fired": "-", "not_reached": "skipped", "not_in_force": "not in force"}
    for trace in explanation.rules:
        seen = ", ".join(f"{k}={value_text(v)}" for k, v in trace.seen.items())
        role = f" ({trace.role})" if trace.role else ""
        out.append(f"  {marks[trace.status]:<12} {trace.rule_id:<28} {trace.effect}{role}: {trace.message}"
                   + (f"   [saw {seen}]" if seen else ""))
    if decision.funding is not None:
        f = decision.funding
        rank = f", rank {f.rank}" if f.rank else ""
        out += ["", f"Allocation: {currency} {value_text(f.amount)} of {value_text(f.requested)} "
                    f"({f.step}{rank}): {f.explanation}"]
    if explanation.counterfactuals:
        out += ["", "What would change the answer"] + [f"  - {c}" for c in explanation.counterfactuals]
    if decision.provenance is not None:
        p = decision.provenance
        out += ["", f"Provenance: policy {p.policy_id} {p.policy_version} sha256:{p.policy_sha256[:12]}, "
                    f"input sha256:{p.input_sha256[:12]}, engine {p.engine_version}, at {p.evaluated_at}"]
    return "\n".join(out) + "\n"
