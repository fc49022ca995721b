"""Check policy files: JSON Schema, semantic checks, expressions, scorers, plugins and allocation settings.

Every problem is reported at once, one line each (file:line: key: code severity:
message (fix)). Exit 0 when every policy is valid, 1 when any has an error
(or a warning with --strict), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("policies", nargs="+", metavar="POLICY",
                        help="policy files, path@REV, or directories (their *.toml except *_test.toml)")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--format", "-f", choices=("text", "json"), default="text")
    parser.add_argument("--today", metavar="DATE",
                        help="the date for the already-expired rule warning (BP247); default: today")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.api import check_policy
    from budgetpolicy.canonical import pretty_json
    from budgetpolicy.commands._common import registry_from_args

    import datetime as dt

    from budgetpolicy.api import parse_date

    today = parse_date(args.today, "--today") if args.today else dt.date.today()
    registry = registry_from_args(args)
    failed = False
    report = []
    for spec in _expand(args.policies):
        policy, diagnostics = check_policy(spec, registry, today=today)
        errors = [d for d in diagnostics if d.severity == "error"]
        bad = bool(errors) or (args.strict and bool(diagnostics))
        failed = failed or bad
        report.append({"policy": spec, "ok": not bad, "diagnostics": [d.to_dict() for d in diagnostics]})
        if args.format == "text":
            for d in diagnostics:
                print(d.format(), file=sys.stderr if d.severity == "error" else sys.stdout)
            if not bad and policy is not None:
                warn = f", {len(diagnostics)} warning(s)" if diagnostics else ""
                print(f"{spec}: ok ({policy.id} {policy.version}: {len(policy.priorities)} priorities, "
                      f"{len(policy.scoring.criteria)} criteria, {len(policy.approval.rules)} rules{warn})")
            elif bad:
                print(f"{spec}: invalid ({len(errors)} error(s), {len(diagnostics) - len(errors)} warning(s))",
                      file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(pretty_json(report))
    return 1 if failed else 0


def _expand(specs: list[str]) -> list[str]:
    """Directories stand for the policies in them (sorted); policy test files are not policies."""
    from pathlib import Path

    out: list[str] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            out.extend(str(p) for p in sorted(path.glob("*.toml")) if not p.name.endswith("_test.toml"))
        else:
            out.append(spec)
    return out
