"""budgetpolicy test: discovery, expectations, pytest-like output, exit codes."""

from __future__ import annotations

import re
from pathlib import Path

from budgetpolicy.authoring.policytests import Suite, discover

from authoring_helpers import FIXTURES, REPO


def test_bundled_policy_tests_pass(cli):
    code, out, err = cli("test", str(REPO / "policies"))
    assert code == 0, out + err
    assert out.splitlines()[-1] == "9 passed, 0 failed"
    assert out.count(" PASSED") == 9


def test_inline_and_sibling_tests_are_one_suite():
    suites = discover([str(FIXTURES)])
    assert suites == [Suite(str(FIXTURES / "mini.toml"),
                            (str(FIXTURES / "mini.toml"), str(FIXTURES / "mini_test.toml")))]
    # Naming only the test file finds its policy (and the policy's inline tests).
    assert discover([str(FIXTURES / "mini_test.toml")]) == suites


def test_each_case_is_reported_with_its_file(cli):
    code, out, _ = cli("test", str(FIXTURES))
    assert code == 0
    assert out.splitlines() == [
        f"{FIXTURES / 'mini.toml'}::inline-small-approved PASSED",
        f"{FIXTURES / 'mini_test.toml'}::big-needs-vp PASSED",
        f"{FIXTURES / 'mini_test.toml'}::pilot-gets-the-rest PASSED",
        f"{FIXTURES / 'mini_test.toml'}::no-plan-rejected PASSED",
        "4 passed, 0 failed",
    ]


def _break(mini: Path, old: str, new: str) -> None:
    path = mini / "mini_test.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_failing_case_shows_expected_and_actual(cli, mini):
    _break(mini, 'approvers = ["vp"]', 'approvers = ["vp", "finance"]')
    _break(mini, "allocation = 10000", "allocation = 12000")
    code, out, _ = cli("test", str(mini))
    assert code == 1
    lines = out.splitlines()
    assert f"{mini / 'mini_test.toml'}::big-needs-vp FAILED" in lines
    assert "    - approvers [finance, vp]" in lines
    assert "    + approvers [vp]" in lines
    assert "    - allocation = 12000" in lines
    assert "    + allocation 10000" in lines
    assert lines[-1] == "3 passed, 1 failed"


def test_score_range_and_flags_are_checked(cli, mini):
    _break(mini, 'flags = ["pilot"]', 'flags = ["pilot", "vp"]')
    path = mini / "mini.toml"
    path.write_text(path.read_text().replace("score_min = 0.7\nscore_max = 0.7", "score_min = 0.6\nscore_max = 0.69"))
    code, out, _ = cli("test", str(mini))
    assert code == 1
    assert "    - score in [0.6, 0.69]" in out
    assert re.search(r"^    \+ score 0\.70*$", out, re.M)  # the exact score, however many places shown
    assert "    + flags [pilot] (missing [vp])" in out
    assert out.splitlines()[-1] == "2 passed, 2 failed"


def test_outcome_mismatch(cli, mini):
    _break(mini, 'outcome = "rejected"', 'outcome = "approved"')
    code, out, _ = cli("test", str(mini / "mini_test.toml"))
    assert code == 1
    assert "    - outcome approved\n    + outcome rejected" in out


def test_a_bad_initiative_record_fails_its_case_with_the_field(cli, mini):
    _break(mini, "cost = 100\n", 'cost = "a lot"\n')
    code, out, _ = cli("test", str(mini))
    assert code == 1
    assert f"{mini / 'mini_test.toml'}::no-plan-rejected FAILED" in out
    assert "bad initiative record" in out and "cost" in out


def test_invalid_test_file_is_bad_input(cli, mini):
    _break(mini, 'outcome = "rejected"', 'outcom = "rejected"')
    code, out, err = cli("test", str(mini))
    assert code == 2
    assert "mini_test.toml" in err and "outcom" in err and "did you mean 'outcome'" in err


def test_test_file_without_policy_and_missing_path_are_usage_errors(cli, tmp_path):
    (tmp_path / "lonely_test.toml").write_text("[[tests]]\nname = 'x'\ninitiative = {}\nexpect = {}\n")
    code, _, err = cli("test", str(tmp_path))
    assert code == 2 and "no policy lonely.toml beside this test file" in err
    code, _, err = cli("test", str(tmp_path / "nope"))
    assert code == 2 and "no such file or directory" in err


def test_no_tests_found_exits_2(cli, tmp_path):
    code, out, err = cli("test", str(tmp_path))
    assert code == 2
    assert out.strip() == "0 passed, 0 failed"
    assert "no policy tests found" in err


def test_allocation_expectation_without_allocation_section(cli, mini):
    path = mini / "mini.toml"
    path.write_text(path.read_text().replace("[allocation]\npool = 15000\n", ""))
    code, out, _ = cli("test", str(mini))
    assert code == 1
    assert "the test expects an allocation but the policy has no [allocation] section" in out
