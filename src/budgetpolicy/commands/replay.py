"""Replay the decisions recorded in a ledger from their stored inputs, and report what differs.

Verifies the ledger first (a tampered ledger is refused). Without --policy
each decision is re-evaluated under the policy version it was made under,
read from the ledger's own store, and must reproduce exactly: the report says
"N of N reproduced (100%)" or lists each difference (exit 1). With --policy
FILE, path@REV or ledger:SHA256 (a policy copy the ledger stores) every decision is re-evaluated under that version instead
and the report shows which decisions change and how, with the money moved
(exit 0, or 1 with --fail-on-change). Records of one evaluation are replayed
together, since allocation depends on the whole portfolio (see docs/audit.md).

--mode live (default) re-scores with the plugins installed now and names the
plugin behind a changed score or plugin function result; --mode hermetic
reuses the recorded scorer outputs and plugin function results. Progress
(records replayed of the ledger's records) goes to stderr when it is a
terminal, after about a second (--progress forces it, --no-progress or
--quiet silences it).
"""

from __future__ import annotations

import argparse
from decimal import ROUND_DOWN, Decimal
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    from budgetpolicy.audit.replay import MODES
    from budgetpolicy.commands._common import add_format_options
    from budgetpolicy.commands._progress import add_quiet_option

    parser.add_argument("--ledger", "-l", required=True, metavar="FILE", help="the ledger (SQLite) to replay")
    parser.add_argument("--policy", "-P", metavar="POLICY",
                        help="replay under this policy (file, path@REV, or ledger:SHA256 for a copy stored in "
                             "the ledger) instead of each decision's own version")
    parser.add_argument("--mode", choices=MODES, default="live",
                        help="live: re-score with the plugins installed now (default); "
                             "hermetic: reuse the recorded scorer outputs and plugin function results")
    add_format_options(parser)
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress on stderr (default: only when stderr is a terminal)")
    add_quiet_option(parser)
    parser.add_argument("--fail-on-change", action="store_true",
                        help="with --policy: exit 1 when any decision changes")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.audit.replay import LEDGER_PREFIX, replay, stored_policy
    from budgetpolicy.commands._common import emit, registry_from_args, warn
    from budgetpolicy.commands._progress import progress_for
    from budgetpolicy.commands.ledger_proofs import located
    from budgetpolicy.errors import LedgerError, LedgerTamperedError
    from budgetpolicy.year.replay import replay_year

    registry = registry_from_args(args)
    policy = None
    if args.policy and args.policy.startswith(LEDGER_PREFIX):
        policy = stored_policy(args.ledger, args.policy[len(LEDGER_PREFIX):])
    elif args.policy:
        policy = api.load_policy(args.policy)
    try:
        with progress_for(args) as progress, progress.tracked("replaying records") as on_progress:
            report = replay(args.ledger, policy=policy, mode=args.mode, registry=registry, on_progress=on_progress)
    except LedgerTamperedError as exc:
        warn(str(exc))
        return 1  # like 'ledger verify': a tampered ledger is a finding, not a usage error
    except LedgerError as exc:
        raise located(exc, args.ledger) from exc
    # The year's quarters and sign-offs replay under their recorded policy only (the plan's).
    year = replay_year(args.ledger) if report.exact else None
    stretch = api.replay_stretch(args.ledger) if report.exact else ()  # docs/stretch.md
    if args.format in ("csv", "jsonl"):  # the changed decisions only; the counts are in table and json
        from budgetpolicy.commands.diff import changes_text

        emit(args, changes_text(args.format, report.changes))
    else:
        emit(args, replay_json(report, year, stretch) if args.format == "json"
             else replay_table(report, year, stretch))
    if report.exact:
        return 1 if report.changes or (year is not None and not year.ok) or any(d for _, d in stretch) else 0
    return 1 if args.fail_on_change and report.changes else 0


def percent(part: int, whole: int) -> str:
    if whole == 0:
        return "100%"
    # Rounded down, so one difference in a million never shows as 100%.
    value = (Decimal(part * 100) / whole).quantize(Decimal("0.1"), ROUND_DOWN)
    return f"{value.normalize():f}%"


def _headline(report: Any) -> str:
    where = ", ".join(sorted(set(report.policies.values()))) or "none"
    n = report.replayed
    if report.exact:
        return (f"Replayed {n:,} decision(s) in {report.batches:,} evaluation(s) from {report.ledger} under "
                f"their recorded policy versions ({where}), mode {report.mode}\n"
                f"{report.reproduced:,} of {n:,} reproduced ({percent(report.reproduced, n)})\n")
    return (f"Replayed {n:,} recorded decision(s) in {report.batches:,} evaluation(s) from {report.ledger} under "
            f"{report.target} (recorded under {where}), mode {report.mode}\n"
            f"{len(report.changes):,} of {n:,} decisions change\n")


def replay_table(report: Any, year: Any = None, stretch: Any = ()) -> str:
    from budgetpolicy.commands.diff import changes_table, money_table

    currency = report.currency or "money"
    parts = [_headline(report), *_year_lines(year), *_stretch_lines(stretch)]
    for name, (was, now) in sorted(report.plugin_drift.items()):
        parts.append(f"note: plugin '{name}' recorded {was}, installed {now}\n")
    parts.append(changes_table(report.changes, currency, with_seq=True))
    if report.exact and report.changes:
        parts.append("\nDifferences (recorded -> replayed)\n")
        for c in report.changes:
            for name, (before, after) in c.values.items():
                parts.append(f"  seq {c.seq} {c.initiative_id} {name}: {_short(before)} -> {_short(after)}\n")
        if report.mode == "live" and any(c.causes for c in report.changes):
            parts.append("hint: --mode hermetic reuses the recorded scorer outputs and plugin function results\n")
    if not report.exact and report.replayed:
        parts.append(money_table(report.money, currency))
    return "".join(parts)


def _count(ok: int, total: int, what: str) -> str:
    return f"{ok:,} {what}" if ok == total else f"{ok:,} of {total:,} {what}"


def _year_lines(year: Any) -> list[str]:
    """The year's events replayed (the plan's quarters and sign-offs), each difference by its record seq."""
    if year is None:
        return []
    lines = [f"{_count(year.quarters_reproduced, year.quarters, 'quarter(s) reproduced')}\n",
             f"{_count(year.signoffs_consistent, year.signoffs, 'sign-off(s) consistent')}\n"]
    if year.requests:
        lines.append(f"{_count(year.requests_reproduced, year.requests, 'new request(s) decided again alike')}\n")
    for q in (*year.quarter_mismatches, *year.request_mismatches):
        lines.append(f"  seq {q.seq} quarter {q.period} {q.field}: {_short(q.recorded)} -> {_short(q.replayed)}\n")
    for e in year.signoff_mismatches:
        lines.append(f"  seq {e.seq} {e.kind} {e.initiative_id} {e.role} by {e.by}: {e.code} {e.message}\n")
    return lines


def _stretch_lines(stretch: Any) -> list[str]:
    """Recorded stretch selections selected again: a count, and each one that differs by seq and part."""
    if not stretch:
        return []
    lines = [f"{_count(sum(1 for _, d in stretch if not d), len(stretch), 'stretch selection(s) reproduced')}\n"]
    lines.extend(f"  seq {seq} stretch_selection differs: {', '.join(d)}\n" for seq, d in stretch if d)
    return lines


def _year_json(year: Any) -> dict[str, Any]:
    return {
        "plan": year.plan, "quarters": year.quarters, "quarters_reproduced": year.quarters_reproduced,
        "signoffs": year.signoffs, "signoffs_consistent": year.signoffs_consistent,
        "requests": year.requests, "requests_reproduced": year.requests_reproduced,
        "quarter_differences": [{"seq": q.seq, "period": q.period, "field": q.field, "recorded": q.recorded,
                                 "replayed": q.replayed} for q in (*year.quarter_mismatches, *year.request_mismatches)],
        "signoff_differences": [{"seq": e.seq, "kind": e.kind, "initiative_id": e.initiative_id, "role": e.role,
                                 "by": e.by, "code": e.code, "message": e.message}
                                for e in year.signoff_mismatches],
    }


def _short(value: Any, width: int = 100) -> str:
    from budgetpolicy.canonical import display_json

    text = value if isinstance(value, str) else display_json(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def replay_json(report: Any, year: Any = None, stretch: Any = ()) -> str:
    from budgetpolicy.audit.diff import change_dict
    from budgetpolicy.canonical import pretty_json

    out: dict[str, Any] = {
        "ledger": report.ledger, "mode": report.mode, "exact": report.exact, "target": report.target,
        "policies": report.policies, "replayed": report.replayed, "batches": report.batches,
        "reproduced" if report.exact else "unchanged": report.reproduced,
        "changed": len(report.changes), "changes": [change_dict(c) for c in report.changes],
        "plugin_drift": {k: {"recorded": a, "installed": b} for k, (a, b) in sorted(report.plugin_drift.items())},
    }
    if not report.exact:
        out["money"] = report.money.to_dict()
    if year is not None:
        out["year"] = _year_json(year)
    if stretch:
        out["stretch_selections"] = [{"seq": seq, "reproduced": not d, "differences": list(d)} for seq, d in stretch]
    return pretty_json(out, normal=True)
