"""budgetpolicy fmt: canonical layout, comments kept, idempotence, --check exit codes."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from budgetpolicy.authoring.fmt import FormatError, format_text, normalise_decimal
from budgetpolicy.policy.load import load_policy_text

from authoring_helpers import REPO

MESSY = '''#:schema ../schemas/policy.schema.json
# Who approved this: the board, 2026-01-05.
version = "1"   # bump on every change
currency = "EUR"
id = "messy"
effective_date = 2026-01-01
priorities = [{ id = "output", name = "Productivity", weight = 1.00, kpi = { metric = "output", unit = "u", direction = "higher", target = 1_0, baseline = 0 } }]

[scoring]
criteria = [{ weight = 1e0, scorer = "expected_value", id = "impact" }]

[approval]
# Gates first.
rules = [
  # the only rule
  { message = "over 10,000", id = "vp", role = "vp", effect = "require", condition = "cost > 10000" },
]
# trailing note
'''

EXPECTED = '''#:schema ../schemas/policy.schema.json
# Who approved this: the board, 2026-01-05.
id = "messy"
version = "1"  # bump on every change
effective_date = 2026-01-01
currency = "EUR"

[[priorities]]
id = "output"
name = "Productivity"
weight = 1.0

[priorities.kpi]
metric = "output"
unit = "u"
direction = "higher"
baseline = 0
target = 10

[[scoring.criteria]]
id = "impact"
scorer = "expected_value"
weight = 1.0

# Gates first.
# the only rule
[[approval.rules]]
id = "vp"
condition = "cost > 10000"
effect = "require"
role = "vp"
message = "over 10,000"

# trailing note
'''


def test_canonical_layout_keeps_every_comment():
    assert format_text(MESSY) == EXPECTED


def test_formatting_is_idempotent_and_keeps_the_values():
    once = format_text(MESSY)
    assert format_text(once) == once
    assert tomllib.loads(once, parse_float=Decimal) == tomllib.loads(MESSY, parse_float=Decimal)
    assert load_policy_text(once).approval.rules[0].role == "vp"


def test_bundled_policy_formats_idempotently_with_its_comments():
    text = (REPO / "policies" / "acme-2026.toml").read_text()
    once = format_text(text)
    assert format_text(once) == once
    for comment in ("# Owned by People Operations; approved by the CFO and the CHRO on 2025-12-15.",
                    "# Gates first, then sign-offs, then flags. Reject always wins; every reject reason is reported."):
        assert comment in once
    assert once.startswith("#:schema ../schemas/policy.schema.json\n")
    assert "weight = 0.3\n" in once and "weight = 0.30" not in once


@pytest.mark.parametrize("text, expected", [("0.30", "0.3"), ("22.0", "22.0"), ("1E+3", "1000.0"),
                                            ("2.50", "2.5"), ("-0.0", "-0.0")])
def test_numbers_are_normalised_without_changing_their_toml_type(text, expected):
    assert normalise_decimal(Decimal(text)) == expected


def test_malformed_toml_is_refused():
    with pytest.raises(FormatError) as info:
        format_text("id = \n", "bad.toml")
    assert info.value.diagnostics[0].code == "BP104"


def test_check_and_write_through_the_cli(cli, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(MESSY)
    code, out, err = cli("fmt", "--check", str(path))
    assert code == 1
    assert f"would reformat {path}" in out and "1 file(s) would be reformatted" in err
    assert path.read_text() == MESSY  # --check writes nothing
    code, out, _ = cli("fmt", "--check", "--diff", str(path))
    assert code == 1 and "+[[approval.rules]]" in out
    code, out, err = cli("fmt", "--diff", str(path))  # as ruff and black: --diff shows, never writes
    assert code == 1 and "+[[approval.rules]]" in out and "would reformat" not in out
    assert "1 file(s) would be reformatted" in err
    assert path.read_text() == MESSY
    code, out, _ = cli("fmt", str(tmp_path))  # a directory: policies found by their [[priorities]]
    assert code == 0 and out == f"reformatted {path}\n"
    assert path.read_text() == EXPECTED
    code, out, _ = cli("fmt", "--check", str(tmp_path))
    assert (code, out) == (0, "1 file(s) already formatted\n")
    code, out, _ = cli("fmt", "--diff", str(path))
    assert (code, out) == (0, "1 file(s) already formatted\n")


def test_directories_skip_data_files_but_bad_toml_is_reported(cli, tmp_path):
    (tmp_path / "initiatives.toml").write_text('[[initiatives]]\nid = "A"\n')
    code, out, _ = cli("fmt", "--check", str(tmp_path))
    assert (code, out) == (0, "0 file(s) already formatted\n")
    (tmp_path / "broken.toml").write_text("id = \n")
    code, _, err = cli("fmt", "--check", str(tmp_path))
    assert code == 2 and "broken.toml" in err and "BP104" in err
