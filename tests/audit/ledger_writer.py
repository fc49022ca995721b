"""A ledger writer process for the crash and concurrency tests (run as a script, killed at random).

    python ledger_writer.py LEDGER SIDE_FILE WRITER_ID BATCH_SIZE BATCHES [GO_FILE]

Appends BATCHES batches of BATCH_SIZE records; after each append returns it
writes the batch id to SIDE_FILE, so the parent knows which batches were
reported committed. Prints "ready" once the ledger is open. With GO_FILE it
waits for that file to exist before writing (a start barrier for concurrency).
With LEDGER_WRITER_STORE set to a kind in store_kinds.STORES, LEDGER is that
store's address and the ledger is opened over it (the EventStore contract tests);
LEDGER_WRITER_PAUSE (seconds) is a pause after each batch, so that writers take
turns rather than one holding the lock until it is done.
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal

from store_kinds import STORES

from budgetpolicy.audit.ledger import Ledger, LedgerEntry


def main() -> None:
    path, side, writer, size, batches = sys.argv[1:6]
    go = sys.argv[6] if len(sys.argv) > 6 else None
    kind = os.environ.get("LEDGER_WRITER_STORE")
    pause = float(os.environ.get("LEDGER_WRITER_PAUSE", "0"))
    ledger = Ledger(STORES[kind].open(path)) if kind else Ledger(path)
    print("ready", flush=True)
    while go and not os.path.exists(go):
        time.sleep(0.001)
    fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    for k in range(int(batches)):
        batch = f"{writer}-{k}"
        ledger.append([
            LedgerEntry.of("decision", f"{writer}-I{j}", "2026-Q1", "acme", "1", "0" * 64,
                           "2026-01-05T00:00:00+00:00",
                           {"batch": batch, "i": j, "writer": writer, "amount": Decimal("1250.50"),
                            "note": "x" * 200})
            for j in range(int(size))])
        os.write(fd, f"{batch}\n".encode())
        time.sleep(pause)


if __name__ == "__main__":
    main()
