"""Explain one initiative's decision: every score line, every rule (fired or not, and why), the allocation.

The whole portfolio is evaluated (allocation depends on every initiative),
then the chosen decision is shown in plain language with the machine trace.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from budgetpolicy.model import Decision, Explanation, Initiative


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", "-P", required=True, metavar="POLICY", help="policy file or path@REV")
    parser.add_argument("--initiatives", "-i", required=True, metavar="SOURCE", help="initiatives file or NAME:TARGET")
    parser.add_argument("initiative_id", metavar="ID", help="the initiative to explain")
    # No CSV: an explanation is a nested trace, not rows. "text" is the table's old name, kept for scripts.
    parser.add_argument("--format", "-f", choices=("table", "text", "json", "jsonl"), default="table",
                        help="output format: table (default; 'text' is the same), json, or jsonl (one line)")
    parser.add_argument("--evaluated-at", metavar="TIMESTAMP")
    parser.add_argument("--as-of", metavar="DATE")
    parser.add_argument("--output", "-o", metavar="FILE")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.canonical import json_line, pretty_json
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
        emit(args, pretty_json(explained(decision, explanation), normal=True))
    elif args.format == "jsonl":
        emit(args, json_line(explained(decision, explanation)))
    else:
        emit(args, explain_text(decision, explanation, initiative, evaluation.policy.currency,
                                evaluation.policy.scoring.precision))
    return 0


def explain_text(decision: Decision, explanation: Explanation, initiative: Initiative, currency: str,
                 places: int | None = None) -> str:
    """The explanation for people: one line per score line and per rule (so grep finds a rule with what
    it saw), numbers aligned, scores to the policy's ``places``; wrapped to the width on a terminal."""
    from budgetpolicy.formatting import fixed_places, number_column, value_text
    from budgetpolicy.output import wrapped

    def number(value: Any) -> str:
        return fixed_places(value, places) if places is not None else value_text(value)

    out = [f"{initiative.id}  {initiative.title}",
           f"  {initiative.kind}, {initiative.department}, requests {currency} {value_text(initiative.cost)}",
           "", f"Decision: {decision.outcome}", f"  {explanation.narrative}", "",
           f"Score {number(decision.score)} (expected value {number(decision.expected_value)})"]
    weights = number_column([line.weight for line in explanation.scores])
    raw = [number(line.raw) for line in explanation.scores]
    weighted = [number(line.weighted) for line in explanation.scores]
    wide = [max((len(t) for t in column), default=0) for column in (raw, weights, weighted)]
    for line, r, w, total in zip(explanation.scores, raw, weights, weighted):
        out.append(f"  {line.criterion:<16} {line.scorer:<15} raw {r:>{wide[0]}} x weight {w:>{wide[1]}} = "
                   f"{total:>{wide[2]}}  {line.detail}")
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
    return wrapped("\n".join(out)) + "\n"
