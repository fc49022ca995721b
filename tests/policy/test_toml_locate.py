"""The key-path-to-line locator used for error messages."""

from __future__ import annotations

from budgetpolicy.policy.locate import TomlLocator, format_key_path

TEXT = '''\
id = "x"
description = """
[not.a.table]
weight = 3
"""
values = [
  1,
  2,
]
[[tests]]
name = "one"
[tests.expect]
outcome = "approved"
[[tests]]
name = "two"
initiative = { id = "a", cost = 5 }
[tests.expect]
outcome = "rejected"
"odd key".'quoted' = 1
[allocation.caps.per_department]
"Customer Support" = 10
kpi.target = 2  # dotted
'''


def test_format_key_path():
    assert format_key_path(("approval", "rules", 3, "condition")) == "approval.rules[3].condition"
    assert format_key_path(("caps", "Customer Support")) == 'caps."Customer Support"'
    assert format_key_path(()) == ""


def test_lines_of_headers_keys_and_array_items():
    loc = TomlLocator(TEXT)
    assert loc.exact_line(("id",)) == 1
    assert loc.exact_line(("description",)) == 2
    assert loc.exact_line(("not",)) is None  # inside a multi-line string
    assert loc.exact_line(("weight",)) is None
    assert loc.exact_line(("values",)) == 6
    assert loc.exact_line(("tests",)) == 10
    assert loc.exact_line(("tests", 0)) == 10
    assert loc.exact_line(("tests", 0, "expect", "outcome")) == 13
    assert loc.exact_line(("tests", 1)) == 14
    assert loc.exact_line(("tests", 1, "expect")) == 17
    assert loc.exact_line(("tests", 1, "expect", "odd key", "quoted")) == 19
    assert loc.exact_line(("allocation", "caps", "per_department", "Customer Support")) == 21
    assert loc.exact_line(("allocation", "caps", "per_department", "kpi", "target")) == 22


def test_unknown_paths_fall_back_to_the_nearest_known_one():
    loc = TomlLocator(TEXT)
    assert loc.line_of(("tests", 1, "initiative", "cost")) == 16
    assert loc.line_of(("values", 1)) == 6
    assert loc.line_of(("tests", 1, "expect", "approvers")) == 17
    assert loc.line_of(("nowhere",)) == 1


def test_strings_escapes_and_brackets_do_not_confuse_the_scanner():
    text = '\n'.join([
        'a = "a [ bracket, a \\" quote and a # hash"  # a comment',
        "b = 'literal \\ with a backslash [ and # hash'",
        'c = """multi',
        'line \\""" still inside ] }',
        '"""',
        "d = '''raw [",
        "still raw ''' ",
        'e = [ "x]", { f = "}" },',
        '  "\\\\", # a comment in an array ]',
        ']',
        'g = 1',
    ]) + "\n"
    loc = TomlLocator(text)
    assert [loc.exact_line((k,)) for k in "abcdeg"] == [1, 2, 3, 6, 8, 11]


def test_a_megabyte_line_is_located_exactly():
    # The speed of this is benchmarks/bench_policy_limits.py's (issue #17: nothing measured is a timed test).
    long_value = 'x = "' + "cost > 1 or " * 90_000 + '"\ny = 2\n'
    escapes = 'x = "' + "\\n" * 200_000 + '\\"" z = 1\ny = 2\n'
    for text in (long_value, escapes):
        assert TomlLocator(text).exact_line(("y",)) == 2
