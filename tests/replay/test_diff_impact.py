"""budgetpolicy diff: decision changes, money moved and the semantic policy diff, checked by hand.

fixtures/policy.toml vs policy_head.toml: the VP threshold rises 25,000 -> 30,000 and
the pool 60,000 -> 100,000. Scores are feasibility / 5; greedy by score per dollar
funds A (1/20,000), D (0.4/10,000), B (0.8/28,000) = 58,000, and C (40,000, no
partial funding) only fits the larger pool. So B: pending -> approved (no VP);
C: deferred -> pending approval with 40,000 (Engineering, workshop, quality).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from replay_helpers import EXAMPLE_INITIATIVES, EXAMPLE_POLICY, SMALL_HEAD, SMALL_INITIATIVES, SMALL_POLICY, cli

from budgetpolicy.api import open_policy, read_initiatives
from budgetpolicy.audit.policydiff import diff_policies
from budgetpolicy.audit.diff import impact_diff
from budgetpolicy.engine.compile import EvaluationContext
from budgetpolicy.policy.load import load_policy, load_policy_text


def _impact():
    base, head = open_policy(str(SMALL_POLICY)), open_policy(str(SMALL_HEAD))
    initiatives = read_initiatives(str(SMALL_INITIATIVES), base.registry)
    context = EvaluationContext(evaluated_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    return impact_diff(base, head, initiatives, context)


def test_changed_decisions_by_hand() -> None:
    result = _impact()
    changes = {c.initiative_id: c for c in result.changes}
    assert sorted(changes) == ["INI-B", "INI-C"]
    b, c = changes["INI-B"], changes["INI-C"]
    assert (b.before.outcome, b.after.outcome) == ("pending_approval", "approved")
    assert (b.before.allocation, b.after.allocation) == (Decimal(28000), Decimal(28000))
    assert (c.before.outcome, c.after.outcome) == ("deferred", "pending_approval")
    assert (c.before.allocation, c.after.allocation) == (Decimal(0), Decimal(40000))
    assert c.before.required_approvers == c.after.required_approvers == ("vp",)
    assert c.changed[:1] == ("outcome",) and "allocation" in c.changed


def test_money_moved_by_hand() -> None:
    money = _impact().money
    assert (money.total_before, money.total_after) == (Decimal(58000), Decimal(98000))
    assert (money.gained, money.lost) == (Decimal(40000), Decimal(0))
    assert money.rows("department") == [("Engineering", 0, 40000, 40000)]
    assert money.rows("kind") == [("workshop", 0, 40000, 40000)]
    assert money.rows("priority") == [("quality", 58000, 98000, 40000)]


def test_semantic_policy_diff() -> None:
    changes = [c.describe() for c in _impact().policy_changes]
    assert changes == ["policy: version 1 -> 2",
                       "approval.rules 'vp-over-25k': condition 'cost > 25000' -> 'cost > 30000'",
                       "allocation: pool 60000 -> 100000"]


def test_semantic_diff_of_rules_weights_and_settings() -> None:
    text = EXAMPLE_POLICY.read_text()
    edited = (text.replace('id = "impact"\nscorer = "expected_value"\nweight = 0.4\n',
                           'id = "impact"\nscorer = "expected_value"\nweight = 0.35\n')
              .replace('id = "alignment"\nscorer = "rubric"\nweight = 0.15', 'id = "alignment"\nscorer = "rubric"\nweight = 0.20')
              .replace('Sales = 180000', 'Sales = 190000')
              .replace('target = 27.0', 'target = 28.0'))
    start = edited.index('[[approval.rules]]\nid = "probability-floor"')
    end = edited.index('[[approval.rules]]', start + 1)
    edited = edited[:start] + edited[end:]  # remove one rule
    edited = edited.replace("[allocation]", '[[approval.rules]]\nid = "big-spend"\ncondition = "cost > 70000"\n'
                                            'effect = "flag"\nmessage = "Big"\n\n[allocation]')
    head = load_policy_text(edited, "edited.toml")
    found = [c.describe() for c in diff_policies(load_policy(EXAMPLE_POLICY), head)]
    assert found == [
        "priorities 'win-rate': kpi.target 27.0 -> 28.0",
        "scoring.criteria 'impact': weight 0.4 -> 0.35",
        "scoring.criteria 'alignment': weight 0.15 -> 0.20",
        "approval.rules 'probability-floor' removed",
        "approval.rules 'big-spend' added",
        "allocation: caps.per_department.Sales 180000 -> 190000",
    ]


def test_layout_and_number_spelling_are_no_change() -> None:
    text = SMALL_POLICY.read_text().replace("pool = 60000", "pool = 60000.00  # same money")
    assert diff_policies(load_policy(SMALL_POLICY), load_policy_text(text, "x.toml")) == ()


def test_cli_table_json_and_exit_codes() -> None:
    args = ("diff", "--base", str(SMALL_POLICY), "--head", str(SMALL_HEAD), "--initiatives", str(SMALL_INITIATIVES))
    table = cli(*args)
    assert table.returncode == 0, table.stderr
    assert "2 of 5 decisions change" in table.stdout
    assert "INI-C  deferred -> pending_approval  0 -> 40,000" in table.stdout
    assert "allocated 58,000 -> 98,000 (+40,000)" in table.stdout
    assert cli(*args, "--fail-on-change").returncode == 1
    data = json.loads(cli(*args, "--format", "json").stdout)
    assert data["decisions"] == {"total": 5, "changed": 2}
    assert data["money"]["by_department"] == [{"group": "Engineering", "before": "0", "after": "40000",
                                               "delta": "40000"}]
    assert data["money"]["total"]["delta"] == "40000"
    assert {"section": "allocation", "item": None, "change": "changed",
            "fields": [{"name": "pool", "before": "60000", "after": "100000"}]} in data["policy_changes"]
    same = cli("diff", "--base", str(EXAMPLE_POLICY), "--head", str(EXAMPLE_POLICY), "--initiatives",
               str(EXAMPLE_INITIATIVES), "--fail-on-change")
    assert same.returncode == 0 and "0 of 44 decisions change" in same.stdout
    assert "none (same content)" in same.stdout


def test_cli_bad_input_exit_2(tmp_path) -> None:
    missing = cli("diff", "--base", str(SMALL_POLICY), "--head", str(tmp_path / "nope.toml"),
                  "--initiatives", str(SMALL_INITIATIVES))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "BP101" in missing.stderr
    norev = cli("diff", "--base", f"{SMALL_POLICY}@no-such-rev", "--head", str(SMALL_HEAD),
                "--initiatives", str(SMALL_INITIATIVES))
    assert norev.returncode == 2 and "BP833" in norev.stderr
