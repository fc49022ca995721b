"""Run the policy tests kept beside policies: ``[[tests]]`` tables and sibling ``NAME_test.toml`` files.

PATHS are policy files, ``*_test.toml`` files or directories (default: the
current directory, searched recursively for policies with ``[[tests]]`` and
for ``NAME_test.toml`` files). One line per case (PASSED/FAILED, with the
expected (-) and actual (+) values on failure), then the summary line
``N passed, N failed``. Exit 0 when every test passes, 1 when one fails,
2 when a policy or test file is invalid or no test was found.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="policy files, NAME_test.toml files or directories (default: .)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.commands._common import registry_from_args
    from budgetpolicy.errors import BudgetPolicyError
    from budgetpolicy.authoring.policytests import discover, format_result, run_suite, summary_line

    suites = discover(args.paths)
    registry = registry_from_args(args)
    results = []
    broken = False
    for suite in suites:
        try:
            suite_results = run_suite(suite, registry)
        except BudgetPolicyError as exc:  # an invalid policy or test file: say where, keep testing the rest
            broken = True
            for d in exc.diagnostics:
                print(d.format(), file=sys.stderr)
            print(f"{suite.policy}: tests not run (the policy or a test file is invalid)", file=sys.stderr)
            continue
        for result in suite_results:
            if not (args.quiet and result.passed):
                print(format_result(result))
        results.extend(suite_results)
    if not results and not broken:
        print(f"no policy tests found in {', '.join(args.paths)} "
              "(add [[tests]] to a policy or a sibling NAME_test.toml)", file=sys.stderr)
    print(summary_line(results))
    if broken or not results:
        return 2
    return 0 if all(r.passed for r in results) else 1
