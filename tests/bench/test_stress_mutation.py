"""The mutation figures count an EQUIVALENT entry only while its function is the code it was read against
(benchmarks/stress_mutation.py): mutant numbers follow a function's code, so an edit may renumber them."""

from __future__ import annotations

import json
from pathlib import Path

QUARTERLY = '''
def x_review__mutmut_orig(policy, period):
    """Review."""
    return period  # the period
'''
APPROVE = '''
class RuleSet:
    def xǁRuleSetǁrun__mutmut_orig(self, env):
        return [rule(env) for rule in self.rules]
'''


def _tree(root: Path, quarterly: str = QUARTERLY, approve: str = APPROVE) -> Path:
    for name, text in (("review/quarterly.py", quarterly), ("engine/approve.py", approve)):
        path = root / "mutants" / "src" / "budgetpolicy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "mutants"


def test_a_fingerprint_follows_the_code_not_its_layout_or_comments(stress_mutation, tmp_path):
    fingerprint = stress_mutation.fingerprint
    first = fingerprint("budgetpolicy.review.quarterly.x_review", _tree(tmp_path / "a"))
    relaid = QUARTERLY.replace("return period  # the period", "return (\n        period\n    )")
    assert fingerprint("budgetpolicy.review.quarterly.x_review", _tree(tmp_path / "b", relaid)) == first
    edited = QUARTERLY.replace("return period", "return policy")
    assert fingerprint("budgetpolicy.review.quarterly.x_review", _tree(tmp_path / "c", edited)) != first
    assert len(first) == 16
    method = fingerprint("budgetpolicy.engine.approve.xǁRuleSetǁrun", tmp_path / "a" / "mutants")
    assert method is not None and method != first
    assert fingerprint("budgetpolicy.review.quarterly.x_gone", tmp_path / "a" / "mutants") is None
    assert fingerprint("budgetpolicy.review.missing.x_review", tmp_path / "a" / "mutants") is None


def test_an_equivalent_counts_only_while_its_function_is_unchanged(stress_mutation, tmp_path):
    names = ["budgetpolicy.review.quarterly.x_review__mutmut_66", "budgetpolicy.review.quarterly.x_review__mutmut_1",
             "budgetpolicy.engine.approve.xǁRuleSetǁrun__mutmut_28"]
    out = tmp_path / "read.json"
    mutants = _tree(tmp_path / "before")
    assert stress_mutation.record_read(names, mutants, out) == 2  # the functions of the two EQUIVALENT entries
    read = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(read) == ["budgetpolicy.engine.approve.xǁRuleSetǁrun", "budgetpolicy.review.quarterly.x_review"]
    assert stress_mutation.still_read(names[0], read, mutants) and stress_mutation.still_read(names[2], read, mutants)
    changed = _tree(tmp_path / "after", QUARTERLY.replace("return period", "return policy"))
    assert not stress_mutation.still_read(names[0], read, changed)
    assert stress_mutation.still_read(names[2], read, changed)
    assert not stress_mutation.still_read("budgetpolicy.review.other.x_f__mutmut_1", read, changed)  # never read


def test_the_recorded_functions_are_the_ones_the_equivalent_entries_name(stress_mutation):
    read = json.loads(stress_mutation.READ.read_text(encoding="utf-8"))
    assert read and all(value is not None and len(value) == 16 for value in read.values())
    for function in read:
        assert any(stress_mutation.equivalent_reason(f"{function}__mutmut_{n}") for n in range(1, 400)), function
