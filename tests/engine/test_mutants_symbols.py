"""The condition symbol table's edges that surviving mutants showed unpinned (issue #18 item 7; docs/reliability.md).

A declared ``date`` attribute is read by conditions as ISO text; an attribute type the schema would have
refused (a policy built in code) is a located BP306 error, with the file, key path and line of the
declaration, never a bare message.
"""

from __future__ import annotations

import attrs
import pytest

from budgetpolicy.engine.symbols import initiative_symbols
from budgetpolicy.expr import STRING, optional
from budgetpolicy.expr.types import TypeSyntaxError
from budgetpolicy.policy.load import load_policy_text
from budgetpolicy.testing import (SAMPLE_POLICY_TOML, evaluation_with, make_initiative, make_sample_initiatives,
                                  make_sample_policy, with_attributes, with_rule)


def test_a_date_attribute_is_iso_text_a_condition_can_compare():
    policy = with_rule(with_attributes(make_sample_policy(), due="date"), 'attributes.due < "2026-07-01"',
                       rule_id="early", message="due before July")
    assert dict(initiative_symbols(policy)["attributes"].fields)["due"] == optional(STRING)
    early = make_initiative({"due": "date"}, id="E", attributes={"due": "2026-05-01"})
    late = make_initiative({"due": "date"}, id="L", attributes={"due": "2026-09-30"})
    evaluation = evaluation_with(None, policy, [early, late])
    assert [d.flags for d in evaluation.decisions] == [("early",), ()]
    assert evaluation.explanation("E").rules[0].seen == {"attributes.due": "2026-05-01"}


def test_an_attribute_type_that_slipped_past_the_schema_is_located_at_its_declaration():
    loaded = load_policy_text(SAMPLE_POLICY_TOML, "sample.toml")
    policy = attrs.evolve(loaded, attributes={"mentor_hours": "decimal"})
    with pytest.raises(TypeSyntaxError) as info:
        initiative_symbols(policy)
    (d,) = info.value.diagnostics
    line = SAMPLE_POLICY_TOML.splitlines().index('mentor_hours = "number"') + 1
    assert (d.code, d.location.file, d.location.key, d.location.line) == ("BP306", "sample.toml",
                                                                         "attributes.mentor_hours", line)
    assert "decimal" in d.message


def test_without_the_policy_text_the_declaration_is_located_by_key_alone():
    loaded = load_policy_text(SAMPLE_POLICY_TOML, "sample.toml")
    policy = attrs.evolve(loaded, attributes={"mentor_hours": "decimal"},
                          source=attrs.evolve(loaded.source, text=""))
    with pytest.raises(TypeSyntaxError) as info:
        initiative_symbols(policy)
    (d,) = info.value.diagnostics
    assert (d.location.file, d.location.key, d.location.line) == ("sample.toml", "attributes.mentor_hours", None)


def test_a_policy_built_in_code_without_a_source_still_gets_the_key_path():
    policy = attrs.evolve(make_sample_policy(), attributes={"mentor_hours": "decimal"}, source=None)
    with pytest.raises(TypeSyntaxError) as info:
        initiative_symbols(policy)
    (d,) = info.value.diagnostics
    assert (d.code, d.location.file, d.location.key, d.location.line) == ("BP306", None, "attributes.mentor_hours",
                                                                         None)


def test_conditions_read_the_id_and_the_role_and_a_declared_attribute_a_row_lacks_is_null():
    policy = with_rule(make_sample_policy(), 'id == "SMP-1" and role == null and attributes.mentor_hours == null',
                       rule_id="who", message="who")
    evaluation = evaluation_with(None, policy, make_sample_initiatives()[:3])
    assert [d.flags for d in evaluation.decisions] == [("who",), (), ()]
