"""Show the impact of a policy change before it is merged: the same initiatives under --base and --head.

Prints the semantic difference of the two policies (rules added, removed,
changed or moved with the changed fields; weights, priorities, allocation
settings), every decision that changes (outcome, allocation, approvers,
score) and the money moved by priority, department and kind. --base and
--head are policy files or path@REV (any git revision). Exit 0, or 1 with
--fail-on-change when any decision changes (for CI); 2 on bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from budgetpolicy.formatting import money


def configure(parser: argparse.ArgumentParser) -> None:
    from budgetpolicy.commands._common import add_format_options

    parser.add_argument("--base", required=True, metavar="POLICY", help="the policy now: file or path@REV")
    parser.add_argument("--head", required=True, metavar="POLICY", help="the proposed policy: file or path@REV")
    parser.add_argument("--initiatives", "-i", required=True, metavar="SOURCE",
                        help="initiatives file (.csv/.json/.toml), or NAME:TARGET for a data-source plugin")
    add_format_options(parser)
    from budgetpolicy.commands._progress import add_quiet_option

    add_quiet_option(parser)  # progress on stderr: docs/cli.md
    parser.add_argument("--as-of", metavar="DATE", help="apply the rules in force on DATE (YYYY-MM-DD)")
    parser.add_argument("--fail-on-change", action="store_true", help="exit 1 when any decision changes")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.commands._progress import progress_for

    with progress_for(args) as progress, progress.phase("evaluating the initiatives under both policies"):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    import datetime as dt

    from budgetpolicy import api
    from budgetpolicy.audit.diff import impact_diff
    from budgetpolicy.commands._common import emit, registry_from_args
    from budgetpolicy.engine.compile import EvaluationContext

    registry = registry_from_args(args)
    base = api.open_policy(args.base, registry)
    head = api.open_policy(args.head, registry)
    initiatives = api.read_initiatives(args.initiatives, registry, policy=head.policy)
    as_of = api.parse_date(args.as_of, "--as-of") if args.as_of else None
    # The time only reaches provenance, which the diff does not show: fixed, so output is stable.
    at = dt.datetime.combine(base.policy.effective_date, dt.time(), tzinfo=dt.timezone.utc)
    result = impact_diff(base, head, initiatives, EvaluationContext(evaluated_at=at, as_of=as_of))
    if args.format in ("csv", "jsonl"):
        emit(args, changes_text(args.format, result.changes))
    else:
        emit(args, diff_json(args, result) if args.format == "json" else diff_table(result, len(initiatives)))
    return 1 if args.fail_on_change and result.changed else 0


def label(policy: Any) -> str:
    return f"{policy.id} {policy.version} ({policy.source.sha256[:12] if policy.source else 'no source'})"


def diff_json(args: argparse.Namespace, result: Any) -> str:
    from budgetpolicy.audit.diff import change_dict
    from budgetpolicy.canonical import pretty_json

    def side(spec: str, policy: Any) -> dict[str, Any]:
        return {"spec": spec, "id": policy.id, "version": policy.version,
                "sha256": policy.source.sha256 if policy.source else None,
                "revision": policy.source.revision if policy.source else None}
    return pretty_json(normal=True, value={
        "base": side(args.base, result.base.policy), "head": side(args.head, result.head.policy),
        "policy_changes": [c.to_dict() for c in result.policy_changes],
        "decisions": {"total": len(result.base.decisions), "changed": len(result.changes)},
        "changes": [change_dict(c) for c in result.changes],
        "money": result.money.to_dict(),
    })


# --format csv: one row per changed decision (replay's too), headline fields before and after.
CHANGE_COLUMNS = ("seq", "id", "outcome_before", "outcome_after", "allocation_before", "allocation_after",
                  "approvers_before", "approvers_after", "score_before", "score_after", "changed", "causes")


def changes_text(fmt: str, changes: Sequence[Any]) -> str:
    """The changed decisions as CSV rows (:data:`CHANGE_COLUMNS`) or JSON lines (one change each, as in
    the JSON output's ``changes``)."""
    from budgetpolicy.audit.diff import change_dict
    from budgetpolicy.output import records_csv, records_jsonl

    if fmt == "jsonl":
        return records_jsonl(change_dict(c) for c in changes)
    rows = [{"seq": c.seq, "id": c.initiative_id, "outcome_before": c.before.outcome, "outcome_after": c.after.outcome,
             "allocation_before": c.before.allocation, "allocation_after": c.after.allocation,
             "approvers_before": c.before.required_approvers, "approvers_after": c.after.required_approvers,
             "score_before": c.before.score, "score_after": c.after.score, "changed": c.changed,
             "causes": c.causes} for c in changes]
    return records_csv(CHANGE_COLUMNS, rows)


def diff_table(result: Any, total: int) -> str:
    base, head = result.base.policy, result.head.policy
    parts = [f"Impact of {label(head)} against {label(base)} on {total} initiatives\n",
             "\nPolicy changes\n"]
    parts += [f"  {c.describe()}\n" for c in result.policy_changes] or ["  none (same content)\n"]
    parts.append(f"\n{len(result.changes)} of {total} decisions change\n")
    parts.append(changes_table(result.changes, base.currency))
    parts.append(money_table(result.money, base.currency))
    return "".join(parts)


def _arrow(before: str, after: str) -> str:
    return before if before == after else f"{before} -> {after}"


def changes_table(changes: Sequence[Any], currency: str, *, with_seq: bool = False) -> str:
    """Changed decisions, one line each; causes (when known) on indented lines below the table."""
    from budgetpolicy.output import table

    if not changes:
        return ""
    headline = {"outcome", "allocation", "required_approvers", "score"}
    rows = []
    for c in changes:
        b, a = c.before, c.after
        row = [c.initiative_id, _arrow(b.outcome, a.outcome),
               _arrow(money(b.allocation), money(a.allocation)),
               _arrow(",".join(b.required_approvers) or "-", ",".join(a.required_approvers) or "-"),
               _arrow(format(b.score, "f"), format(a.score, "f")),
               ", ".join(f for f in c.changed if f not in headline) or "-"]
        rows.append([c.seq, *row] if with_seq else row)
    headers = ("ID", "OUTCOME", f"ALLOCATION ({currency})", "APPROVERS", "SCORE", "ALSO CHANGED")
    text = "\n" + table((("SEQ",) if with_seq else ()) + headers, rows)
    causes = [f"  {c.initiative_id}: {cause}\n" for c in changes for cause in c.causes]
    return text + ("\nCauses\n" + "".join(causes) if causes else "")


def money_table(moved: Any, currency: str) -> str:
    from budgetpolicy.output import table

    delta = moved.total_after - moved.total_before
    parts = [f"\nMoney ({currency}): allocated {money(moved.total_before)} -> {money(moved.total_after)} "
             f"({'+' if delta >= 0 else ''}{money(delta)}); {money(moved.gained)} more to some initiatives, "
             f"{money(moved.lost)} less to others\n"]
    for by in ("priority", "department", "kind"):
        rows = [(g, money(b), money(a), f"{'+' if d > 0 else ''}{money(d)}") for g, b, a, d in moved.rows(by)]
        if rows:
            parts.append(f"\nMoney moved by {by}\n")
            parts.append(table((by.upper(), "BEFORE", "AFTER", "DELTA"), rows))
    return "".join(parts)
