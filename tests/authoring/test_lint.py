"""Lint warnings (BP9xx) reported by validate, beyond the schema and the static checks."""

from __future__ import annotations

from pathlib import Path

from budgetpolicy.api import check_policy

from authoring_helpers import FIXTURES, REPO

HEAD = (FIXTURES / "mini.toml").read_text().split("[[approval.rules]]")[0]


def _policy(tmp_path: Path, rules: str, head: str = HEAD) -> str:
    path = tmp_path / "p.toml"
    path.write_text(head + rules)
    return str(path)


def _rule(rule_id: str, condition: str, effect: str = "flag") -> str:
    return f'[[approval.rules]]\nid = "{rule_id}"\ncondition = {condition!r}\neffect = "{effect}"\nmessage = "m"\n\n'


def _codes(spec: str) -> list[tuple[str, str, str]]:
    policy, diagnostics = check_policy(spec)
    assert policy is not None, [d.format() for d in diagnostics]
    return [(d.code, d.severity, d.location.key or "") for d in diagnostics if d.code.startswith("BP9")]


def test_bundled_policy_has_no_lint_warnings():
    assert _codes(str(REPO / "policies" / "acme-2026.toml")) == []


def test_constant_conditions(tmp_path):
    spec = _policy(tmp_path, _rule("never", "1 > 2") + _rule("always", "true or false"))
    assert _codes(spec) == [("BP901", "warning", "approval.rules[0].condition"),
                            ("BP902", "warning", "approval.rules[1].condition")]


def test_misspelt_names_get_did_you_mean(tmp_path):
    spec = _policy(tmp_path, _rule("a", 'kind == "strech"') + _rule("b", "forecast.outptu > 1")
                   + _rule("c", 'not ("outptu" in priorities)') + _rule("d", "ratings.feasability > 3")
                   + _rule("e", "attributes.cots > 3"))
    _, diagnostics = check_policy(spec)
    found = {d.code: d for d in diagnostics if d.code.startswith("BP9")}
    assert sorted(found) == ["BP907", "BP908", "BP909", "BP910"]
    assert found["BP910"].hint == "did you mean 'stretch'?"
    assert found["BP909"].hint == "did you mean 'feasibility'?"
    assert found["BP907"].hint == "did you mean 'cost'?"
    assert [d.hint for d in diagnostics if d.code == "BP908"] == ["did you mean 'output'?"] * 2
    assert all(d.severity == "warning" and d.location.line for d in found.values())


def test_unused_priority_and_normalised_weights(tmp_path):
    head = HEAD.replace('[[scoring.criteria]]\nid = "impact"', '[scoring]\nweights = "normalise"\n\n'
                        '[[scoring.criteria]]\nid = "impact"')
    head = head.replace('scorer = "expected_value"\nweight = 0.5', 'scorer = "rubric"\nweight = 3')
    spec = _policy(tmp_path, _rule("a", "cost > 1"), head)
    _, diagnostics = check_policy(spec)
    lint = {d.code: d for d in diagnostics if d.code.startswith("BP9")}
    assert sorted(lint) == ["BP905", "BP906"]
    assert lint["BP905"].location.key == "priorities[0]"
    assert lint["BP906"].message == ("criterion weights sum to 3.5, not 1; they are normalised to: "
                                     "impact 0.8571, feasibility 0.1429")


def test_strict_validate_fails_on_lint_warnings(cli, tmp_path):
    spec = _policy(tmp_path, _rule("never", "1 > 2"))
    code, out, _ = cli("validate", spec)
    assert code == 0 and "BP901 warning" in out
    code, _, _ = cli("validate", "--strict", spec)
    assert code == 1
