"""errors.Diagnostics: the one collector places problems in a stage's own terms and raises them all at once."""

from __future__ import annotations

import pytest

from budgetpolicy.errors import DataError, Diagnostic, Diagnostics, Location, PolicyLoadError
from budgetpolicy.policy.locate import PolicyLocations, TomlLocator

TEXT = 'id = "p"\n\n[allocation]\npool = 100\n'


def test_places_are_located_by_the_stage_and_kept_in_order() -> None:
    found = Diagnostics(lambda field: Location(file="i.csv", row=4, field=field))
    found.add("BP413", "cost", "expected a number, got text \"x\"")
    found.add("BP411", None, "missing required field 'id'", "add an 'id' value")
    found.extend([Diagnostic("BP410", "duplicate", Location(file="i.csv", row=9))])
    assert [(d.code, d.location.row, d.location.field, d.hint) for d in found] == [
        ("BP413", 4, "cost", None), ("BP411", 4, None, "add an 'id' value"), ("BP410", 9, None, None)]
    assert len(found) == 3 and found.has_errors


def test_key_paths_of_a_policy_get_their_line_and_sort_in_source_order() -> None:
    found = Diagnostics(PolicyLocations("p.toml", TomlLocator(TEXT)), severity="warning")
    found.add("BP243", ("allocation", "pool"), "late")
    found.add("BP201", ("id",), "early", severity="error")
    assert [(d.code, d.location.line, d.location.key, d.severity) for d in found.in_source_order()] == [
        ("BP201", 1, "id", "error"), ("BP243", 4, "allocation.pool", "warning")]
    assert str(found.in_source_order()[1].location) == "p.toml:4: allocation.pool"


def test_raises_the_stages_error_with_everything_only_when_something_is_an_error() -> None:
    found = Diagnostics()
    found.add("BP204", Location(key="priorities"), "weights sum to 0.9", severity="warning")
    found.raise_if_errors(PolicyLoadError)  # warnings alone: nothing to raise
    found.add("BP205", Location(key="priorities[0].weight"), "weight 2 is outside (0, 1]")
    with pytest.raises(PolicyLoadError) as raised:
        found.raise_if_errors(PolicyLoadError)
    assert [d.code for d in raised.value.diagnostics] == ["BP204", "BP205"]
    assert [d.code for d in raised.value.errors] == ["BP205"]


def test_an_empty_collector_raises_nothing() -> None:
    found = Diagnostics()
    found.raise_if_errors(DataError)
    assert not found and list(found) == []
