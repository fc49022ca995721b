"""Refuse one pending decision of the ledger's latest plan, as a holder of a role it requires.

  budgetpolicy refuse LEDGER ID --role ROLE --by NAME --reason TEXT [--at TIMESTAMP]

The same checks as ``approve``; a refusal is final for the plan and returns the initiative's money to
the pool.
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    from budgetpolicy.commands.approve import add_signing_options

    add_signing_options(parser)
    parser.add_argument("--reason", required=True, metavar="TEXT", help="why it is refused (kept in the ledger)")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.year.render import signoff_line

    at = api.parse_timestamp(args.at, "--at") if args.at else None
    result = api.refuse(args.ledger, args.initiative, role=args.role, by=args.by, reason=args.reason, at=at)
    print(signoff_line(result))
    return 0
