"""The fast ledger path writes exactly the bytes the json module would.

Ledger entries encode their payloads with orjson (canonical.canonical_bytes)
and appends hash those bytes without re-encoding them. A ledger's hashes must
not depend on that: the stored text and every hash must equal what
``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
and the documented chain rule give, for the bundled example's decisions and
for the awkward corners (non-ASCII, control characters, key order across
Unicode planes, Decimals of every shape, ints beyond 64 bits, deep nesting,
lone surrogates).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetpolicy.api import evaluate, open_policy, read_initiatives
from budgetpolicy.audit.chain import GENESIS
from budgetpolicy.audit.ledger import Ledger, LedgerEntry, entry_for_decision
from budgetpolicy.canonical import canonical_bytes, canonical_json, sha256_hex, to_jsonable
from budgetpolicy.errors import LedgerError
from budgetpolicy.model import FrozenMap, explained

ROOT = Path(__file__).resolve().parents[1]
AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)


def reference(data, sort_keys=True) -> bytes:
    """The definition of canonical JSON (canonical.py's docstring), through the json module."""
    return json.dumps(data, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def reference_hash(prev: str, seq: int, row: tuple, payload_text: str) -> str:
    """The chain rule as docs/audit.md states it, written independently of chain.py."""
    header = json.dumps([seq, *row], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev}\n{header}\n{payload_text}".encode("utf-8")).hexdigest()


class Colour(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


EDGE_STRINGS = [
    "", "plain", "é", "中文", "\U0001F600 emoji", "\u2028\u2029", "\ufeffbom", "\x7f\x80\xa0",
    "".join(map(chr, range(32))), 'quote " backslash \\ slash / </script>', "\ud7ff\ue000\uffff",
]
EDGE_DECIMALS = ["0", "-0", "-0.00", "0.000001", "1E-30", "1.5e-7", "2E+3", "1E+19", "1E+20", "1E+30",
                 "123456789012345678901234567890.5", "-18234.50", "0.734512", "1.000", "NaN"]
EDGE_INTS = [0, -1, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -2**63, -2**63 - 1, 10**30, -10**40]


def edge_values() -> list:
    nested: object = "bottom"
    for _ in range(300):  # deeper than orjson's limit of 254 levels: must fall back, not fail
        nested = [nested]
    return [
        *EDGE_STRINGS, *[Decimal(d) for d in EDGE_DECIMALS], *EDGE_INTS, True, False, None, [], {}, (),
        {s: i for i, s in enumerate(reversed(EDGE_STRINGS))},  # key order across planes and escapes
        {"\U0001F600": 1, "\uffff": 2, "\ue000": 3, "z": 4, "Z": 5, "é": 6, "": 7, "\x00": 8},
        {"b": {"d": (1, "x", (Decimal("2.50"),)), "c": {"é": [None, True]}}, "a": []},
        FrozenMap({"z": Decimal("1E+3"), "a": dt.date(2026, 1, 5)}),
        dt.datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        frozenset({"b", "a", "é"}), [Colour.RED, Level.HIGH], {"colour": Colour.RED}, nested,
    ]


@pytest.fixture(scope="module")
def example():
    compiled = open_policy(str(ROOT / "policies" / "acme-2026.toml"))
    initiatives = read_initiatives(str(ROOT / "policies" / "acme-2026.initiatives.csv"), compiled.registry,
                                   attribute_types=compiled.policy.attributes)
    return evaluate(compiled, initiatives, evaluated_at=AT), {i.id: i for i in initiatives}


@pytest.mark.parametrize("value", edge_values(), ids=lambda v: type(v).__name__)
def test_canonical_json_is_the_json_module_text(value):
    data = to_jsonable(value)
    assert canonical_json(value) == reference(data).decode("utf-8")
    assert canonical_bytes(value) == reference(data)
    assert canonical_bytes(data) == reference(data)  # converted data converts to itself
    if not isinstance(value, str):  # a str is hashed as the text itself
        assert sha256_hex(value) == hashlib.sha256(reference(data)).hexdigest()


def test_canonical_bytes_falls_back_for_what_orjson_refuses():
    # Non-str keys become strings; huge ints are written by json, with json's rules.
    assert canonical_bytes({2: "b", 1: "a"}) == b'{"1":"a","2":"b"}'
    assert canonical_bytes({"n": [2**64, -2**63 - 1]}) == b'{"n":[18446744073709551616,-9223372036854775809]}'
    # A lone surrogate has no UTF-8 form: an error, exactly as encoding json's text would raise.
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes({"bad": "\ud800"})
    assert canonical_json({"bad": "\ud800"}) == '{"bad":"\ud800"}'  # the text itself is unchanged
    with pytest.raises(TypeError):  # not JSON data at all
        canonical_bytes({"x": object()})


def test_example_decisions_encode_identically(example):
    evaluation, by_id = example
    assert len(evaluation.decisions) == 44
    for decision in evaluation.decisions:
        assert canonical_json(decision) == reference(to_jsonable(decision)).decode("utf-8")
        explanation = evaluation.explanation(decision.initiative_id)
        entry = entry_for_decision(decision, by_id[decision.initiative_id], explanation=explanation)
        payload = json.loads(entry.payload)
        assert entry.payload.encode("utf-8") == reference(payload)  # the stored text is the json module's
        assert payload["decision"] == to_jsonable(explained(decision, explanation))  # ...of exactly this decision
    assert canonical_json(evaluation.decisions) == reference(to_jsonable(evaluation.decisions)).decode("utf-8")


_json_leaves = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70)
                | st.text(st.characters(blacklist_categories=("Cs",))))


@settings(max_examples=300, deadline=None)
@given(st.recursive(_json_leaves,
                    lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
                                      inner, max_size=5),
                    max_leaves=40))
def test_canonical_bytes_matches_json_module_on_any_json_data(data):
    assert canonical_bytes(data) == reference(data)
    assert canonical_json(data) == reference(data).decode("utf-8")


def test_appended_records_hash_the_reference_bytes(tmp_path, example):
    evaluation, by_id = example
    entries = [entry_for_decision(d, by_id[d.initiative_id], explanation=e) for d, e in evaluation.explained()]
    unicode_payload = {"z": "中\u2028\x00", "n": [2**70, Decimal("-0")], "\U0001F600": {"\uffff": 1}}
    unicode_entry = LedgerEntry.of("note", "INI-é", None, "acme", "2026.1", "a" * 64, "2026-01-15T09:00:00+00:00",
                                   unicode_payload)
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.append(entries)
        ledger.append([unicode_entry])
        assert ledger.verify().ok
    rows = sqlite3.connect(tmp_path / "l.db").execute("SELECT * FROM records ORDER BY seq").fetchall()
    assert len(rows) == 45
    prev = GENESIS
    payloads = [*(json.loads(e.payload) for e in entries), to_jsonable(unicode_payload)]
    for row, payload in zip(rows, payloads):
        payload_text = reference(payload).decode("utf-8")
        assert row[8] == payload_text
        assert row[10] == reference_hash(prev, row[0], row[1:8], payload_text)
        assert row[9] == prev
        prev = row[10]


def test_chain_bytes_are_pinned(tmp_path):
    """A hand-made chain hashes to the value the json-only implementation gave (budgetpolicy at ad8b23c)."""
    entries = [
        LedgerEntry.of("decision", "INI-001", "2026-Q1", "acme", "2026.1", "a" * 64, "2026-01-05T09:00:00+00:00",
                       {"decision": {"outcome": "approved", "score": Decimal("0.7345"), "funding": None},
                        "input": {"id": "INI-001", "cost": Decimal("30000"), "title": "Ünïcødé \u2028 ✓"},
                        "big": [2**64, Decimal("1E+30"), Decimal("1E-30")]}),
        LedgerEntry.of("note", "INI-002", None, "acme", "2026.1", "a" * 64, "2026-01-05T09:00:00+00:00",
                       {"b": (1, 2), "a": {"\U0001F600": Decimal("-0.00")}}),
    ]
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.append(entries)
        assert ledger.head() == (2, PINNED_HEAD)


PINNED_HEAD = "877b9e5bdae56e205ebc01c5c85062d8386afc92dc5f4a3b896ad894e3329618"


def test_unencodable_payload_is_refused_before_anything_is_written(tmp_path, example):
    evaluation, by_id = example
    decision = evaluation.decisions[0]
    broken = attrs.evolve(by_id[decision.initiative_id], title="broken \udc80 text")
    for build in (lambda: entry_for_decision(decision, broken),
                  lambda: LedgerEntry.of("decision", "INI-1", None, "acme", "1", "a" * 64, "t", {"x": "\ud800"})):
        with pytest.raises(LedgerError, match="BP805.*valid Unicode"):
            build()
    # Text given as it is (no encoding by the entry) is checked by the append, before the lock.
    good = LedgerEntry.of("decision", "INI-0", None, "acme", "1", "a" * 64, "t", {})
    bad = LedgerEntry("decision", "INI-1", None, "acme", "1", "a" * 64, "t", '{"x":"\ud800"}')
    with Ledger(tmp_path / "l.db") as ledger:
        with pytest.raises(LedgerError, match="BP805.*valid Unicode"):
            ledger.append([good, bad])
        assert ledger.head() == (0, GENESIS)
        assert len(ledger) == 0


def test_writer_keeps_full_sync_and_checkpoints_every_64_mb(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        conn = ledger.storage.conn
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: the documented default
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] * 8192 == 64 * 2**20
        ledger.append([LedgerEntry.of("note", "INI-1", None, "acme", "1", "a" * 64, "t", {"n": 1})])
    with Ledger(tmp_path / "l.db", durable=False) as relaxed:
        assert relaxed.storage.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert not (tmp_path / "l.db-wal").exists()  # closing the last connection checkpointed it
    with Ledger(tmp_path / "l.db", create=False, readonly=True) as reader:
        assert reader.verify().ok and len(reader) == 1
