"""Sign-offs and refusals through the API: what is recorded, and each refused input leaves the ledger byte-identical."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from decimal import Decimal

import pytest
from year_helpers import AT, INITIATIVES, PLAN_SEQ, PLANNED_AT, POLICY, sha256

import budgetpolicy as bp
from budgetpolicy.audit.ledger import Ledger, LedgerEntry
from budgetpolicy.audit.record import record_evaluation
from budgetpolicy.errors import LedgerError, UsageError, YearError


def test_a_signoff_is_one_record_naming_the_plan(ledger):
    result = bp.approve(ledger, "INI-009", role="vp", by="e1042", note="fits the sales plan", at=AT)
    assert (result.event.seq, result.event.plan, result.event.kind) == (46, PLAN_SEQ, "signoff")
    with Ledger(ledger, create=False, readonly=True) as opened:
        (record,) = opened.iter_records(kind="signoff")
        (decision, *_) = opened.iter_records(initiative_id="INI-009")
        assert opened.verify().ok
    entry = record.entry
    assert (entry.initiative_id, entry.period, entry.evaluated_at) == ("INI-009", None, "2026-01-20T10:00:00+00:00")
    assert entry.header()[3:6] == decision.entry.header()[3:6]  # the plan's policy id, version and sha256
    assert entry.data() == {"plan": PLAN_SEQ, "role": "vp", "by": "e1042", "note": "fits the sales plan"}


def test_the_last_required_role_moves_the_money_from_earmarked_to_allocated(ledger):
    first = bp.approve(ledger, "INI-009", role="vp", by="e1187", at=AT)
    assert (first.position.state, first.position.earmarked, first.position.allocated) == \
        ("earmarked", Decimal(52000), 0)
    assert first.position.awaiting == ("finance",) and first.position.signed == ("vp",)
    before = bp.positions(ledger).pool
    last = bp.approve(ledger, "INI-009", role="finance", by="e2210", at=AT + dt.timedelta(days=1))
    assert (last.position.state, last.position.earmarked, last.position.allocated) == ("funded", 0, Decimal(52000))
    after = bp.positions(ledger).pool
    assert after.allocated - before.allocated == Decimal(52000) == before.earmarked - after.earmarked
    assert after.leftover == before.leftover


def test_a_refusal_returns_the_money_to_the_pool(ledger):
    result = bp.refuse(ledger, "INI-001", role="vp", by="e1042", reason="no sales hires this year", at=AT)
    assert result.event.kind == "refusal" and result.event.reason == "no sales hires this year"
    assert (result.position.state, result.position.returned, result.position.earmarked) == \
        ("refused", Decimal(48000), 0)
    pool = bp.positions(ledger).pool
    assert (pool.returned, pool.earmarked) == (Decimal(48000), Decimal(194000 - 48000))
    with Ledger(ledger, create=False, readonly=True) as opened:
        (record,) = opened.iter_records(kind="refusal")
    assert record.entry.data() == {"plan": PLAN_SEQ, "role": "vp", "by": "e1042",
                                   "reason": "no sales hires this year"}


def test_the_time_of_signing_defaults_to_now_in_utc(ledger):
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    at = dt.datetime.fromisoformat(bp.approve(ledger, "INI-011", role="vp", by="e1042").event.at)
    assert at.tzinfo is not None and before <= at <= dt.datetime.now(dt.timezone.utc)


def assert_refused(ledger, call, code: str) -> YearError:
    before = sha256(ledger)
    with pytest.raises(YearError) as raised:
        call()
    assert sha256(ledger) == before
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == code
    assert diagnostic.location.file == str(ledger) and diagnostic.location.key == f"plan at record {PLAN_SEQ}"
    assert len(str(raised.value).splitlines()) == 1
    return raised.value


def test_unknown_initiative_with_did_you_mean(ledger):
    error = assert_refused(ledger, lambda: bp.approve(ledger, "INI-09", role="vp", by="e1042", at=AT), "BP851")
    assert error.diagnostics[0].message == "no initiative 'INI-09' in the plan"
    assert error.diagnostics[0].hint == "did you mean 'INI-039'?"


def test_a_decision_that_is_not_pending(ledger):
    error = assert_refused(ledger, lambda: bp.approve(ledger, "INI-003", role="vp", by="e1042", at=AT), "BP852")
    assert "INI-003 is approved in the plan, not pending approval" in error.diagnostics[0].message
    assert_refused(ledger, lambda: bp.refuse(ledger, "INI-019", role="vp", by="e1042", reason="r", at=AT), "BP852")


def test_a_role_the_decision_does_not_require(ledger):
    error = assert_refused(ledger, lambda: bp.approve(ledger, "INI-011", role="finance", by="e2210", at=AT), "BP853")
    assert error.diagnostics[0].message == "INI-011 does not require a 'finance' sign-off (it requires: vp)"


def test_a_signer_who_does_not_hold_the_role(ledger):
    error = assert_refused(ledger, lambda: bp.approve(ledger, "INI-011", role="vp", by="e1043", at=AT), "BP854")
    assert error.diagnostics[0].message == "'e1043' does not hold role 'vp' in policy acme-people-dev 2026.1"
    assert error.diagnostics[0].hint == "the holders of vp in [roles]: e1042, e1187"  # never a guess at who
    error = assert_refused(ledger, lambda: bp.approve(ledger, "INI-011", role="vp", by="e2210", at=AT), "BP854")
    assert error.diagnostics[0].hint == "the holders of vp in [roles]: e1042, e1187"


def test_a_second_signoff_for_the_same_role(ledger):
    bp.approve(ledger, "INI-009", role="vp", by="e1042", at=AT)
    error = assert_refused(ledger, lambda: bp.approve(ledger, "INI-009", role="vp", by="e1187", at=AT), "BP855")
    assert error.diagnostics[0].message == \
        "INI-009 already has the vp sign-off (record 46, by e1042 at 2026-01-20T10:00:00+00:00)"
    assert error.diagnostics[0].hint == "each required role signs once; INI-009 awaits finance"
    assert_refused(ledger, lambda: bp.refuse(ledger, "INI-009", role="vp", by="e1187", reason="r", at=AT), "BP855")


def test_a_refused_initiative_takes_nothing_more(ledger):
    bp.refuse(ledger, "INI-009", role="finance", by="e2210", reason="over budget", at=AT)
    error = assert_refused(ledger, lambda: bp.approve(ledger, "INI-009", role="vp", by="e1042", at=AT), "BP856")
    assert error.diagnostics[0].message == \
        "INI-009 was refused by finance (e2210) at record 46: it takes no further sign-off or refusal"
    assert_refused(ledger, lambda: bp.refuse(ledger, "INI-009", role="vp", by="e1042", reason="r", at=AT), "BP856")


def test_a_signoff_dated_before_the_plan(ledger):
    early = PLANNED_AT - dt.timedelta(seconds=1)
    assert_refused(ledger, lambda: bp.approve(ledger, "INI-011", role="vp", by="e1042", at=early), "BP857")


def test_a_ledger_without_a_plan(tmp_path):
    path = tmp_path / "empty.db"
    Ledger(path).close()
    before = sha256(path)
    with pytest.raises(YearError) as raised:
        bp.approve(path, "INI-001", role="vp", by="e1042", at=AT)
    assert raised.value.diagnostics[0].code == "BP850" and sha256(path) == before
    with pytest.raises(YearError):
        bp.positions(path)


def test_a_missing_ledger_is_not_created(tmp_path):
    with pytest.raises(LedgerError) as raised:
        bp.approve(tmp_path / "nope.db", "INI-001", role="vp", by="e1042", at=AT)
    assert raised.value.diagnostics[0].code == "BP801" and not (tmp_path / "nope.db").exists()


@pytest.mark.parametrize("call", [
    lambda path: bp.approve(path, "INI-011", role="vp", by=" ", at=AT),
    lambda path: bp.approve(path, "INI-011", role="", by="e1042", at=AT),
    lambda path: bp.refuse(path, "INI-011", role="vp", by="e1042", reason="  ", at=AT),
])
def test_empty_arguments_are_usage_errors(ledger, call):
    before = sha256(ledger)
    with pytest.raises(UsageError):
        call(ledger)
    assert sha256(ledger) == before


def test_a_policy_without_roles_cannot_be_signed(ledger, tmp_path):
    # The plan's policy comes from the ledger's store: a plan recorded under a policy without [roles]
    # cannot be signed, whatever the policy file on disk says today.
    text = open(POLICY, encoding="utf-8").read()
    start, end = text.index("[roles]"), text.index("[allocation]\n")
    bare = tmp_path / "bare.toml"
    bare.write_text(text[:start] + text[end:], encoding="utf-8")
    path = tmp_path / "bare.db"
    evaluation = bp.run_cycle(str(bare), INITIATIVES, evaluated_at=PLANNED_AT)
    record_evaluation(path, evaluation, evaluation.initiatives)
    error = assert_refused(path, lambda: bp.approve(path, "INI-011", role="vp", by="e1042", at=AT), "BP854")
    assert "lists no holders for it in [roles]" in error.diagnostics[0].message


def test_signoffs_name_the_latest_plan_only(ledger):
    bp.approve(ledger, "INI-011", role="vp", by="e1042", at=AT)
    evaluation = bp.run_cycle(POLICY, INITIATIVES, evaluated_at=AT + dt.timedelta(days=30))
    record_evaluation(ledger, evaluation, evaluation.initiatives)  # a new plan: records 47-90
    positions = bp.positions(ledger)
    assert positions.plan == 47 and positions.signoffs == 0
    assert positions.initiative("INI-011").state == "earmarked"
    assert bp.approve(ledger, "INI-011", role="vp", by="e1042", at=AT + dt.timedelta(days=31)).event.plan == 47


def test_a_hand_written_event_without_a_signer_is_named(ledger):
    with Ledger(ledger) as opened:
        opened.append([LedgerEntry.of("signoff", "INI-011", None, "acme-people-dev", "2026.1", "0" * 64,
                                      "2026-01-20T10:00:00+00:00", {"plan": PLAN_SEQ, "role": "vp"})])
    with pytest.raises(YearError) as raised:
        bp.positions(ledger)
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.code, diagnostic.location.key) == ("BP858", "record 46")


def test_concurrent_signoffs_for_one_role_record_exactly_one(ledger):
    outcomes: list[object] = []
    start = threading.Barrier(4)

    def sign(by: str) -> None:
        start.wait()
        try:
            outcomes.append(bp.approve(ledger, "INI-009", role="vp", by=by, at=AT))
        except YearError as exc:
            outcomes.append(exc.diagnostics[0].code)

    threads = [threading.Thread(target=sign, args=(by,)) for by in ("e1042", "e1187", "e1042", "e1187")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["BP855"] * 3
    with Ledger(ledger, create=False, readonly=True) as opened:
        assert len(list(opened.iter_records(kind="signoff"))) == 1 and opened.verify().ok


def test_a_refused_signoff_does_not_upgrade_a_version_1_ledger(ledger):
    conn = sqlite3.connect(ledger, isolation_level=None)  # the version-1 layout: a plain initiative index
    conn.execute("DROP INDEX records_by_segment_initiative")
    conn.execute("CREATE INDEX records_by_initiative ON records (initiative_id)")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()
    assert_refused(ledger, lambda: bp.approve(ledger, "INI-003", role="vp", by="e1042", at=AT), "BP852")
    with Ledger(ledger, create=False, readonly=True) as opened:
        assert opened.storage.meta("schema_version") == "1"
    assert bp.approve(ledger, "INI-011", role="vp", by="e1042", at=AT).position.state == "funded"
