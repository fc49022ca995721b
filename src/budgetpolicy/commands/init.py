"""Scaffold a policy repository in DIR: a starter policy with tests, sample initiatives, the JSON
Schemas for editors (the policy's #:schema line points at them) and a .pre-commit-config.yaml
running validate, fmt --check and test. Refuses a non-empty DIR unless --force.
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="directory to create (must be empty or new)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty DIR, overwriting starter files")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.authoring.init import init_repository

    for path in init_repository(args.directory, force=args.force):
        print(f"created {path}")
    print(f"next: cd {args.directory} && budgetpolicy validate policies/policy.toml && budgetpolicy test policies")
    return 0
