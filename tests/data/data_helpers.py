"""Constants shared by the data-loading tests (a uniquely named module, unlike conftest)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The [attributes] a policy would declare for the fixtures' attr.* columns.
TYPES = {"manager_nominated": "bool", "team_size": "number"}
