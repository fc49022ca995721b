"""Rewrite policy files in the canonical layout (schema key order, normalised numbers, comments kept).

PATHS are policy files, NAME_test.toml files or directories (default: the
current directory, searched recursively for TOML files that are policies
(have [[priorities]]) or policy tests (NAME_test.toml)); an explicit file that is
neither (pyproject.toml) is left alone with a note. Comments are kept and
the #:schema line stays first. --check and --diff change nothing (as in ruff
and black): --check lists the files that would change, --diff prints the
changes as a unified diff; both exit 1 if any file would change and say how
many files are already formatted otherwise. Exit 2 when a file is not valid TOML.
"""

from __future__ import annotations

import argparse
import difflib
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="policy files, NAME_test.toml files or directories (default: .)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    parser.add_argument("--diff", action="store_true",
                        help="write nothing; print a unified diff of the changes; exit 1 if a file would change")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.commands._common import write_atomic
    from budgetpolicy.errors import BudgetPolicyError
    from budgetpolicy.authoring.fmt import format_text, select_files

    changed: list[str] = []
    broken = False
    dry_run = args.check or args.diff
    files, skipped = select_files(args.paths)
    for path in skipped:
        print(f"left {path} alone: not a policy ([[priorities]]) or a policy test (NAME_test.toml)",
              file=sys.stderr)
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            formatted = format_text(text, str(path))
        except BudgetPolicyError as exc:
            broken = True
            for d in exc.diagnostics:
                print(d.format(), file=sys.stderr)
            continue
        if formatted == text:
            continue
        changed.append(str(path))
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), formatted.splitlines(True),
                                                       f"{path} (original)", f"{path} (formatted)"))
        if args.check:
            print(f"would reformat {path}")
        elif not dry_run:
            write_atomic(path, formatted)
            print(f"reformatted {path}")
    if broken:
        return 2
    if dry_run and changed:
        print(f"{len(changed)} file(s) would be reformatted (run: budgetpolicy fmt {' '.join(changed)})",
              file=sys.stderr)
        return 1
    if dry_run:
        print(f"{len(files)} file(s) already formatted")
    return 0


