"""Helpers for the audit tests: entries with hand-known content, raw (tampering) access."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from budgetpolicy.audit.ledger import Ledger, LedgerEntry
from budgetpolicy.policy.load import load_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICY = ROOT / "policies" / "acme-2026.toml"


def make_entry(i: int, *, kind: str = "decision", period: str | None = "2026-Q1",
               version: str = "2026.1", outcome: str = "approved") -> LedgerEntry:
    return LedgerEntry.of(kind, f"INI-{i:03d}", period, "acme", version, "a" * 64,
                          "2026-01-05T09:00:00+00:00",
                          {"decision": {"initiative_id": f"INI-{i:03d}", "outcome": outcome,
                                        "score": Decimal("0.75"), "funding": {"amount": Decimal(1000 + i)}},
                           "input": {"id": f"INI-{i:03d}", "cost": Decimal(1000 + i)}})


def raw(path: Path) -> sqlite3.Connection:
    """A plain SQLite connection with the append-only triggers dropped: what a tamperer would do."""
    conn = sqlite3.connect(path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn
