"""Bad policy input: each problem gives one diagnostic with its exact code, key path and line."""

from __future__ import annotations

import pytest

from budgetpolicy.errors import PolicyLoadError
from budgetpolicy.policy.load import check_policy, check_policy_text, load_policy, load_policy_text

from conftest import FIXTURES, MINIMAL, triples


def check_policy_from(text: str):
    return check_policy_text(text, "p.toml")


def swap(old: str, new: str) -> str:
    assert MINIMAL.count(old) == 1, old
    return MINIMAL.replace(old, new)


CASES = [
    # (name, policy text, expected (code, key path, line) diagnostics in order)
    ("version-as-number", swap('version = "1"', "version = 2026.1"), [("BP112", "version", 2)]),
    ("lowercase-currency", swap('currency = "USD"', 'currency = "usd"'), [("BP115", "currency", 4)]),
    ("datetime-not-date", swap("effective_date = 2026-01-01", "effective_date = 2026-01-01T09:00:00"),
     [("BP115", "effective_date", 3)]),
    ("bad-date-string", swap("effective_date = 2026-01-01", 'effective_date = "2026-13-01"'),
     [("BP115", "effective_date", 3)]),
    ("missing-currency", swap('currency = "USD"\n', ""), [("BP111", None, 1)]),
    ("missing-kpi-target", swap("target = 2\n", ""), [("BP111", "priorities[0].kpi", 10)]),
    ("unknown-key-typo", swap("weight = 1\n[priorities.kpi]", "wieght = 1\n[priorities.kpi]"),
     [("BP111", "priorities[0]", 6), ("BP110", "priorities[0].wieght", 9)]),
    ("enum-direction", swap('direction = "higher"', 'direction = "up"'),
     [("BP113", "priorities[0].kpi.direction", 13)]),
    ("weight-not-a-number", swap('weight = 1\n[priorities', 'weight = "heavy"\n[priorities'),
     [("BP115", "priorities[0].weight", 9)]),
    ("weight-boolean", swap('weight = 1\n[priorities', 'weight = true\n[priorities'),
     [("BP112", "priorities[0].weight", 9)]),
    ("nan", swap("baseline = 1", "baseline = nan"), [("BP105", "priorities[0].kpi.baseline", 14)]),
    ("inf-and-schema-error-together", swap("baseline = 1", "baseline = -inf\ncolour = 1"),
     [("BP105", "priorities[0].kpi.baseline", 14), ("BP110", "priorities[0].kpi.colour", 15)]),
    ("empty-criteria", swap('[[scoring.criteria]]\nid = "value"\nscorer = "expected_value"\nweight = 1\n',
                            "criteria = []\n"), [("BP116", "scoring.criteria", 18)]),
    ("precision-negative", swap("[scoring]\n", "[scoring]\nprecision = -1\n"),
     [("BP114", "scoring.precision", 18)]),
    ("rule-effect-typo", MINIMAL + '\n[[approval.rules]]\nid = "r"\ncondition = "cost > 1"\n'
     'effect = "aprove"\nmessage = "m"\n', [("BP113", "approval.rules[0].effect", 26)]),
    ("rule-missing-message-and-bad-id", MINIMAL + '\n[[approval.rules]]\nid = "R 1"\ncondition = "x"\n'
     'effect = "flag"\n', [("BP111", "approval.rules[0]", 23), ("BP115", "approval.rules[0].id", 24)]),
    ("pool-zero", MINIMAL + "\n[allocation]\npool = 0\n", [("BP114", "allocation.pool", 24)]),
    ("pool-negative-string", MINIMAL + '\n[allocation]\npool = "-10.00"\n', [("BP114", "allocation.pool", 24)]),
    ("pool-missing", MINIMAL + "\n[allocation]\nunit = 0.01\n", [("BP111", "allocation", 23)]),
    ("reserve-share-over-one", MINIMAL + "\n[allocation]\npool = 100\n[allocation.reserve]\nshare = 1.5\n",
     [("BP114", "allocation.reserve.share", 26)]),
    ("reserve-share-and-amount", MINIMAL + "\n[allocation]\npool = 100\n[allocation.reserve]\n"
     "share = 0.1\namount = 5\n", [("BP117", "allocation.reserve", 25)]),
    ("baseline-without-target", MINIMAL + '\n[allocation]\npool = 100\n\n[[allocation.baselines]]\n'
     'id = "b"\namount = 5\n', [("BP111", "allocation.baselines[0]", 26)]),
    ("negative-cap-by-department", MINIMAL + '\n[allocation]\npool = 100\n[allocation.caps.per_department]\n'
     '"Customer Support" = -1\n', [("BP114", 'allocation.caps.per_department."Customer Support"', 26)]),
    ("attribute-type", MINIMAL + '\n[attributes]\nteam_size = "int"\n', [("BP113", "attributes.team_size", 24)]),
    ("attribute-name", MINIMAL + '\n[attributes]\n"team size" = "number"\n',
     [("BP115", 'attributes."team size"', 24)]),
    ("test-outcome-typo", MINIMAL + '\n[[tests]]\nname = "t"\ninitiative = { id = "x" }\n'
     '[tests.expect]\noutcome = "aproved"\n', [("BP113", "tests[0].expect.outcome", 27)]),
    ("root-key-in-wrong-place", MINIMAL.replace('currency = "USD"\n', 'currency = "USD"\npool = 5\n'),
     [("BP110", "pool", 5)]),
]


@pytest.mark.parametrize("text,expected", [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_schema_error_code_key_and_line(check, text, expected):
    policy, found = check(text)
    assert policy is None
    assert found == expected


def test_array_written_as_table_says_expected_vs_got(check):
    _, found = check(swap("[[priorities]]", "[priorities]"))
    assert ("BP112", "priorities", 6) in found
    _, diags = check_policy_from(swap("[[priorities]]", "[priorities]"))
    message = next(d for d in diags if d.code == "BP112")
    assert message.message == "expected an array, got table"
    assert message.hint == "write each entry as [[priorities]]"


def test_did_you_mean_on_unknown_key():
    _, diags = check_policy_from(swap("weight = 1\n[priorities.kpi]", "wieght = 1\n[priorities.kpi]"))
    unknown = next(d for d in diags if d.code == "BP110")
    assert unknown.message == "unknown key 'wieght' in priorities[0]"
    assert unknown.hint == "did you mean 'weight'?"
    assert unknown.format() == ("p.toml:9: priorities[0].wieght: BP110 error: unknown key 'wieght' in "
                                "priorities[0] (did you mean 'weight'?)")


def test_misplaced_key_names_its_table():
    _, diags = check_policy_from(MINIMAL.replace('currency = "USD"\n', 'currency = "USD"\npool = 5\n'))
    assert diags[0].hint == "'pool' belongs in [allocation]"


def test_wrong_type_says_expected_and_got_with_fix():
    _, diags = check_policy_from(swap('version = "1"', "version = 2026.1"))
    assert diags[0].message == "expected a string, got number 2026.1"
    assert diags[0].hint == 'quote the value: version = "2026.1"'


def test_enum_typo_suggests_value():
    _, diags = check_policy_from(swap('direction = "higher"', 'direction = "hihger"'))
    assert diags[0].hint == "did you mean 'higher'?"
    assert diags[0].message == 'string "hihger" is not one of: higher, lower'


def test_every_error_reported_at_once_sorted_by_line():
    with pytest.raises(PolicyLoadError) as info:
        load_policy(FIXTURES / "many_errors.toml")
    found = triples(list(info.value.diagnostics))
    assert found == [
        ("BP112", "version", 3),
        ("BP115", "currency", 5),
        ("BP111", "priorities[0]", 7),
        ("BP110", "priorities[0].wieght", 10),
        ("BP113", "priorities[0].kpi.direction", 14),
        ("BP111", "scoring.criteria[0]", 20),
        ("BP110", "scoring.criteria[0].scorrer", 22),
        ("BP114", "allocation.pool", 26),
    ]
    lines = str(info.value).splitlines()
    assert len(lines) == len(found)
    assert all(line.startswith(str(FIXTURES / "many_errors.toml") + ":") for line in lines)
    assert "Traceback" not in str(info.value)


# -- reading and parsing ------------------------------------------------------


def test_missing_file():
    policy, diags = check_policy(FIXTURES / "does-not-exist.toml")
    assert policy is None
    assert triples(diags) == [("BP101", None, None)]
    assert diags[0].location.file == str(FIXTURES / "does-not-exist.toml")


def test_directory_is_not_a_policy(tmp_path):
    assert triples(check_policy(tmp_path)[1]) == [("BP101", None, None)]


def test_non_utf8_file_gives_line_and_column(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('id = "p"\nname = "café"\n'.encode("latin-1"))
    with pytest.raises(PolicyLoadError) as info:
        load_policy(path)
    diag = info.value.diagnostics[0]
    assert (diag.code, diag.location.line, diag.location.column) == ("BP102", 2, 12)
    assert diag.message == "not valid UTF-8 (byte 0xe9)"


@pytest.mark.parametrize("text", ["", "  \n\n", "# just a comment\n"])
def test_empty_policy(text):
    with pytest.raises(PolicyLoadError) as info:
        load_policy_text(text, "e.toml")
    assert triples(list(info.value.diagnostics)) == [("BP103", None, 1)]


def test_malformed_toml_keeps_line_and_column():
    with pytest.raises(PolicyLoadError) as info:
        load_policy(FIXTURES / "malformed.toml")
    diag = info.value.diagnostics[0]
    assert (diag.code, diag.location.line, diag.location.column) == ("BP104", 8, 8)
    assert diag.message.startswith("malformed TOML: ")
    assert "line" not in diag.message  # the position lives in the location, not repeated
    assert str(info.value).count("\n") == 0


def test_duplicate_key_is_malformed_toml():
    with pytest.raises(PolicyLoadError) as info:
        load_policy_text('id = "a"\nid = "b"\n')
    assert triples(list(info.value.diagnostics)) == [("BP104", None, 2)]


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_policy(path).id == "p"
