"""The EventStore contract (budgetpolicy/audit/eventstore.py), run against every implementation.

Each test takes ``kind`` (one per entry in store_kinds.STORES) and talks to the store through the
Protocol only: append(build), head, checkpoint, read, snapshot, policy, policies, close. Batches are
chained here with the ledger's hash rule (``chained``), as the Ledger does, so what is tested is the
store's share of the work: ordering, atomicity, what readers see, concurrency, read-only access.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from audit_helpers import make_entry
from store_kinds import STORES

from budgetpolicy.audit.chain import GENESIS, record_hash
from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord
from budgetpolicy.audit.eventstore import Batch, Checkpoint, EventStore
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.audit.store import StoredPolicy
from budgetpolicy.errors import LedgerError

WRITER = Path(__file__).with_name("ledger_writer.py")


@pytest.fixture(params=sorted(STORES))
def kind(request):
    return STORES[request.param]


@pytest.fixture
def target(kind, tmp_path) -> str:
    return kind.target(tmp_path)


@pytest.fixture
def store(kind, target):
    opened = kind.open(target)
    yield opened
    opened.close()


def chained(head: Checkpoint, entries: list[LedgerEntry]) -> list[LedgerRecord]:
    """``entries`` as records after ``head``: the ledger's job, done here as the Ledger does it."""
    records, prev = [], head.head_hash
    for seq, entry in enumerate(entries, head.size + 1):
        digest = record_hash(prev, seq, entry)
        records.append(LedgerRecord(seq, entry, prev, digest))
        prev = digest
    return records


def append(store: EventStore, entries: list[LedgerEntry]) -> list[int]:
    return store.append(lambda head: Batch(chained(head, entries)))


def entry(i: int, *, kind: str = "decision", initiative: str | None = None, period: str | None = "2026-Q1",
          version: str = "2026.1") -> LedgerEntry:
    return LedgerEntry.of(kind, initiative or f"INI-{i:03d}", period, "acme", version, "a" * 64,
                          "2026-01-05T09:00:00+00:00", {"i": i})


def policy_copy(sha256: str, seq: int, version: str = "2026.1") -> StoredPolicy:
    return StoredPolicy(sha256, "acme", version, f"# policy {version}\n", "t" * 64, "{}", seq)


def registration(sha256: str, version: str = "2026.1") -> LedgerEntry:
    return LedgerEntry.of("policy", "", None, "acme", version, sha256, "", {"sha256": sha256})


def test_a_new_store_is_empty(store):
    assert store.head() == Checkpoint(0, GENESIS) == store.checkpoint(0)
    assert list(store.read()) == [] and list(store.read(newest_first=True)) == []
    assert store.policy("f" * 64) is None and list(store.policies()) == []


def test_appends_are_numbered_in_order_and_read_back_as_written(store):
    first = [make_entry(i) for i in range(1, 4)]
    assert append(store, first) == [1, 2, 3]
    assert append(store, [make_entry(4), make_entry(5)]) == [4, 5]
    assert append(store, []) == [] and store.head().size == 5  # an empty batch writes nothing
    records = list(store.read())
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert [r.entry for r in records] == [*first, make_entry(4), make_entry(5)]  # every column as appended
    assert records[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in zip(records, records[1:]))
    assert list(store.read(newest_first=True)) == records[::-1]


def test_build_gets_the_committed_head_and_reads_inside_it_see_the_committed_records(store):
    append(store, [entry(1), entry(2)])
    committed = list(store.read())
    seen = {}

    def build(head: Checkpoint) -> Batch:
        seen.update(head=head, store_head=store.head(), records=list(store.read()),
                    newest=next(store.read(newest_first=True)).seq)
        return Batch(chained(head, [entry(3)]))

    assert store.append(build) == [3]
    assert seen == {"head": Checkpoint(2, committed[-1].hash), "store_head": Checkpoint(2, committed[-1].hash),
                    "records": committed, "newest": 2}


class Refused(Exception):
    pass


def test_a_build_that_raises_writes_nothing_and_its_exception_propagates(store):
    append(store, [entry(1)])
    before = (store.head(), list(store.read()))
    refusal = Refused("the check failed")

    def build(head: Checkpoint) -> Batch:
        list(store.read())  # a check that reads, then refuses
        raise refusal

    with pytest.raises(Refused) as raised:
        store.append(build)
    assert raised.value is refusal
    assert (store.head(), list(store.read())) == before
    assert append(store, [entry(2)]) == [2]  # and the store still takes appends


def test_a_write_that_fails_partway_leaves_nothing(store):
    """The second half of this batch (a policy copy stored already) fails after its records went in."""
    sha = "b" * 64
    store.append(lambda head: Batch(chained(head, [registration(sha)]), (policy_copy(sha, head.size + 1),)))
    before = (store.head(), list(store.read()), list(store.policies()))

    def build(head: Checkpoint) -> Batch:
        records = chained(head, [entry(2), registration(sha), entry(3)])
        return Batch(records, (policy_copy(sha, records[1].seq),))

    with pytest.raises(LedgerError) as raised:
        store.append(build)
    assert raised.value.diagnostics[0].code == "BP804"
    assert (store.head(), list(store.read()), list(store.policies())) == before


@pytest.mark.parametrize("fault", ["seq", "link", "policy"])
def test_a_batch_that_does_not_continue_the_head_is_refused(store, fault):
    append(store, [entry(1), entry(2)])
    before = (store.head(), list(store.read()))

    def build(head: Checkpoint) -> Batch:
        records = chained(head, [entry(3), entry(4)])
        if fault == "seq":  # chained after record 1, as if the head had not moved
            return Batch(chained(Checkpoint(1, before[1][0].hash), [entry(3)]))
        if fault == "link":
            return Batch([records[0], LedgerRecord(4, records[1].entry, "0" * 64, records[1].hash)])
        return Batch(records, (policy_copy("c" * 64, 1),))  # a copy this batch does not register

    with pytest.raises(LedgerError) as raised:
        store.append(build)
    assert raised.value.diagnostics[0].code == "BP804"
    assert (store.head(), list(store.read())) == before


def test_head_and_checkpoints_follow_the_appends(store):
    hashes = [GENESIS]
    for size in (3, 1, 4):
        append(store, [entry(len(hashes) + j) for j in range(size)])
        hashes += [r.hash for r in store.read(len(hashes))]
        assert store.head() == Checkpoint(len(hashes) - 1, hashes[-1])
    assert [store.checkpoint(size) for size in range(len(hashes))] == \
        [Checkpoint(size, digest) for size, digest in enumerate(hashes)]
    for beyond in (len(hashes), -1):
        with pytest.raises(LedgerError) as raised:
            store.checkpoint(beyond)
        assert raised.value.diagnostics[0].code == "BP808"


FILTERS = [{}, {"kind": "review"}, {"initiative_id": "INI-B"}, {"initiative_id": "INI-B", "kind": "review"},
           {"period": "2026-Q2"}, {"period": "2026-Q2", "policy_version": "2026.2"},
           {"initiative_id": "INI-A", "period": "2026-Q1"}, {"kind": "nothing-of-this-kind"}]


def test_range_reads_apply_every_filter_in_both_directions(store):
    for start in range(0, 36, 12):
        append(store, [entry(i, kind="review" if i % 5 == 0 else "decision", initiative=f"INI-{'ABC'[i % 3]}",
                             period=None if i % 7 == 0 else f"2026-Q{1 + i % 2}", version=f"2026.{1 + i // 18}")
                       for i in range(start, start + 12)])
    everything = list(store.read())
    assert len(everything) == 36

    def matches(record: LedgerRecord, filters: dict[str, str]) -> bool:
        return all(getattr(record.entry, key) == value for key, value in filters.items())

    for filters in FILTERS:
        for first, last in ((1, None), (5, None), (1, 20), (13, 24), (30, 29), (40, None)):
            expected = [r for r in everything if first <= r.seq <= (last or 99) and matches(r, filters)]
            assert list(store.read(first, last, **filters)) == expected, (filters, first, last)
            assert list(store.read(first, last, newest_first=True, **filters)) == expected[::-1]
    assert [r.seq for r in store.read(initiative_id="INI-B", kind="review")] == [11, 26]  # i = 10, 25


def test_policy_copies_are_found_by_exact_sha256_and_listed_in_the_order_stored(store):
    shas = ["d" * 64, "1" * 64, "e" * 64]
    for version, sha in zip(("2026.1", "2026.2", "2027.1"), shas):
        store.append(lambda head, sha=sha, version=version: Batch(
            chained(head, [registration(sha, version), entry(head.size)]),
            (policy_copy(sha, head.size + 1, version),)))
    assert store.policy(shas[1]) == policy_copy(shas[1], 3, "2026.2")
    assert store.policy(shas[1][:12]) is None  # exact only: prefixes are the Ledger's business
    assert [p.sha256 for p in store.policies()] == shas
    assert [p.registered_seq for p in store.policies(policy_id="acme")] == [1, 3, 5]
    assert [p.sha256 for p in store.policies(version="2026.2")] == [shas[1]]
    assert list(store.policies(policy_id="other")) == []


def test_a_snapshot_sees_one_committed_state(kind, target, store):
    append(store, [entry(1)])
    other = kind.open(target)
    try:
        with store.snapshot():
            head = store.head()
            append(other, [entry(2), entry(3)])  # another writer commits meanwhile
            assert store.head() == head and [r.seq for r in store.read()] == [1]
            assert [r.seq for r in store.read(newest_first=True)] == [1]
        assert store.head().size == 3 and [r.seq for r in store.read()] == [1, 2, 3]
    finally:
        other.close()


def test_two_processes_appending_lose_nothing_and_readers_never_see_part_of_a_batch(kind, target, tmp_path):
    writers, batches, size = 2, 30, 20
    kind.open(target).close()  # created before the race, so a reader can open it at once
    go = tmp_path / "go"
    # A pause after each batch, so the writers take turns (without one, the first holds the lock to the end).
    env = {**os.environ, "LEDGER_WRITER_STORE": kind.name, "LEDGER_WRITER_PAUSE": "0.01"}
    procs = [subprocess.Popen([sys.executable, str(WRITER), target, str(tmp_path / f"side{w}"), f"w{w}", str(size),
                               str(batches), str(go)], stdout=subprocess.PIPE, text=True, env=env)
             for w in range(writers)]
    reader = kind.open(target)
    try:
        for proc in procs:
            assert proc.stdout.readline() == "ready\n"
        go.touch()
        views = 0
        while any(proc.poll() is None for proc in procs) or views == 0:
            with reader.snapshot():
                head, records = reader.head(), list(reader.read())
            assert len(records) == head.size and [r.seq for r in records] == list(range(1, head.size + 1))
            partial = {b: n for b, n in Counter(r.entry.data()["batch"] for r in records).items() if n != size}
            assert not partial, f"a reader saw part of a batch: {partial}"
            plain = [r.seq for r in reader.read()]  # outside a snapshot: never a gap
            assert plain == list(range(1, len(plain) + 1))
            views += 1
        for proc in procs:
            assert proc.wait(timeout=120) == 0
            proc.stdout.close()
        assert reader.head().size == writers * batches * size
        per_writer: dict[str, list[int]] = {}
        for record in reader.read():
            payload = record.entry.data()
            per_writer.setdefault(payload["writer"], []).append(payload["i"])
        # Every batch whole and contiguous: each writer's records are runs of 0..size-1.
        assert per_writer == {f"w{w}": list(range(size)) * batches for w in range(writers)}
        turns = [record.entry.data()["writer"] for record in reader.read()][::size]
        assert sum(a != b for a, b in zip(turns, turns[1:])) >= 2, "the writers never took turns"
        assert Ledger(reader).verify().ok
    finally:
        reader.close()


def test_a_read_only_store_reads_everything_and_writes_nothing(kind, target):
    with Ledger(kind.open(target)) as ledger:
        policy_sha = "9" * 64
        ledger.storage.append(lambda head: Batch(chained(head, [registration(policy_sha)]),
                                                 (policy_copy(policy_sha, 1),)))
        ledger.append([entry(i) for i in range(2, 6)])
        written = (ledger.storage.head(), list(ledger.storage.read()), list(ledger.storage.policies()))
    fingerprint = kind.fingerprint(target)
    reader = kind.open(target, readonly=True, create=False)
    try:
        assert (reader.head(), list(reader.read()), list(reader.policies())) == written
        assert reader.checkpoint(3) == Checkpoint(3, written[1][2].hash)
        assert [r.seq for r in reader.read(2, 4, newest_first=True)] == [4, 3, 2]
        with reader.snapshot():
            assert reader.policy(policy_sha) == written[2][0]
        with pytest.raises(LedgerError) as raised:
            append(reader, [entry(6)])
        assert raised.value.diagnostics[0].code == "BP804"
        assert reader.head() == written[0]
    finally:
        reader.close()
    assert kind.fingerprint(target) == fingerprint


def test_opening_a_ledger_that_does_not_exist_without_create_is_bp801(kind, target):
    for readonly in (False, True):
        with pytest.raises(LedgerError) as raised:
            kind.open(target, readonly=readonly, create=False)
        assert raised.value.diagnostics[0].code == "BP801"


def test_a_ledger_over_a_store_is_the_ledger_over_its_path(kind, target, example_policy):
    src = example_policy.source
    with Ledger(kind.open(target)) as ledger:
        assert ledger.path == ledger.storage.name
        assert ledger.put_policy(src.text, src.sha256, example_policy.id, example_policy.version)
        assert not ledger.put_policy(src.text, src.sha256, example_policy.id, example_policy.version)
        assert ledger.append([make_entry(i) for i in range(1, 4)]) == [2, 3, 4]
        assert ledger.append_checked(lambda: [make_entry(len(ledger) + 1)]) == [5]
        assert ledger.checkpoint() == Checkpoint(*ledger.head()) == ledger.checkpoint(5) and len(ledger) == 5
        assert ledger.get_policy(src.sha256[:10]) == src.text
        report = ledger.verify()
        assert report.ok and report.records == 5 and report.policies == 1
