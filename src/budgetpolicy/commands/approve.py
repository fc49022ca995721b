"""Sign off one pending decision of the ledger's latest plan, as a holder of a role it requires.

  budgetpolicy approve LEDGER ID --role ROLE --by NAME [--note TEXT] [--at TIMESTAMP]

The signer must hold ROLE in the plan's policy [roles] (the copy the ledger stores). Refused with one
line, exit 2 and nothing written: no plan in the ledger, an unknown initiative, a decision that is not
pending approval, a role it does not require or the signer does not hold, a role that already signed,
an initiative already refused. Once every required role has signed, its money is allocated.
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    add_signing_options(parser)
    parser.add_argument("--note", metavar="TEXT", help="a note kept with the sign-off")


def add_signing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ledger", metavar="LEDGER", help="the ledger holding the plan (evaluate --ledger)")
    parser.add_argument("initiative", metavar="ID", help="the initiative, a pending decision of the plan")
    parser.add_argument("--role", required=True, metavar="ROLE", help="the role it is done for, e.g. vp or finance")
    parser.add_argument("--by", required=True, metavar="NAME", help="who: a holder of ROLE in the plan's [roles]")
    parser.add_argument("--at", metavar="TIMESTAMP", help="when (ISO 8601; default: now, UTC)")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.year.render import signoff_line

    at = api.parse_timestamp(args.at, "--at") if args.at else None
    result = api.approve(args.ledger, args.initiative, role=args.role, by=args.by, note=args.note, at=at)
    print(signoff_line(result))
    return 0
