"""Shared inputs of the report tests: the bundled policy, initiatives and outcomes."""

import datetime as dt
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
POLICY = str(REPO / "policies" / "acme-2026.toml")
INITIATIVES = str(REPO / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = str(REPO / "policies" / "acme-2026.outcomes.csv")
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)
