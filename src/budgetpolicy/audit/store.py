"""The content-addressed policy store inside the ledger file.

Every policy version a decision was made under is kept once, keyed by the
sha256 of its canonical content (what ``Provenance.policy_sha256`` records),
with the exact file text, so an audit needs nothing but the ledger. Storing a
policy also appends a ``policy`` record to the hash chain carrying the sha256
of the text (and of the canonical data), which is what lets ``verify`` notice a
policy text edited in place: the store alone could be rewritten consistently,
the chain could not without breaking every later link.

These functions take an open connection; :class:`budgetpolicy.audit.ledger.Ledger`
owns transactions and calls them inside one.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from typing import Any

from attrs import frozen

from budgetpolicy.canonical import canonical_json
from budgetpolicy.errors import LedgerError, Location, PolicyLoadError, did_you_mean
from budgetpolicy.policy.load import parse_policy_data

POLICIES_DDL = """
CREATE TABLE IF NOT EXISTS policies (
    sha256 TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL,
    version TEXT NOT NULL,
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    data TEXT,
    registered_seq INTEGER NOT NULL
) WITHOUT ROWID
"""


@frozen
class StoredPolicy:
    sha256: str
    policy_id: str
    version: str
    text: str
    text_sha256: str
    data: str | None
    registered_seq: int


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_policy_data(text: str) -> str:
    """The canonical JSON of a policy text's parsed data: its sha256 is the policy's content address."""
    return canonical_json(parse_policy_data(text))


def content_sha256(text: str) -> str | None:
    """The content address a policy text has today, or None when it no longer parses."""
    try:
        return text_sha256(canonical_policy_data(text))
    except PolicyLoadError:
        return None


def registration_payload(text: str, sha256: str, policy_id: str, version: str,
                         data: str | None) -> dict[str, Any]:
    """What the chain records about a stored policy (hashes only; the text lives in the store)."""
    return {
        "sha256": sha256, "policy_id": policy_id, "version": version,
        "text_sha256": text_sha256(text),
        "data_sha256": None if data is None else text_sha256(data),
    }


def has_policy(conn: sqlite3.Connection, sha256: str) -> bool:
    return conn.execute("SELECT 1 FROM policies WHERE sha256 = ?", (sha256,)).fetchone() is not None


def insert_policy(conn: sqlite3.Connection, text: str, sha256: str, policy_id: str, version: str,
                  data: str | None, registered_seq: int) -> None:
    conn.execute(
        "INSERT INTO policies (sha256, policy_id, version, text, text_sha256, data, registered_seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (sha256, policy_id, version, text, text_sha256(text), data, registered_seq))


def get_policy(conn: sqlite3.Connection, sha256: str, ledger_path: str = "") -> StoredPolicy:
    """The stored policy with this sha256 (a unique prefix of at least 8 hex digits also works)."""
    row = conn.execute("SELECT * FROM policies WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None and len(sha256) >= 8:
        rows = conn.execute("SELECT * FROM policies WHERE sha256 >= ? AND sha256 < ? LIMIT 2",
                            (sha256, sha256 + "g")).fetchall()
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        known = [r[0] for r in conn.execute("SELECT sha256 FROM policies ORDER BY sha256")]
        hint = did_you_mean(sha256, known) or (
            f"the ledger stores {len(known)} policy version(s); list them with "
            f"'budgetpolicy ledger show {ledger_path or 'FILE'} --kind policy'")
        raise LedgerError(f"no policy with sha256 '{sha256}' is stored in the ledger",
                          Location(file=ledger_path or None), hint=hint, code="BP806")
    return StoredPolicy(*row)


def find_policies(conn: sqlite3.Connection, policy_id: str | None = None,
                  version: str | None = None) -> list[StoredPolicy]:
    """Stored policies by id and/or version, in the order they were first stored."""
    sql, params = "SELECT * FROM policies WHERE 1=1", []
    if policy_id is not None:
        sql += " AND policy_id = ?"
        params.append(policy_id)
    if version is not None:
        sql += " AND version = ?"
        params.append(version)
    return [StoredPolicy(*r) for r in conn.execute(sql + " ORDER BY registered_seq", params)]


def iter_policies(conn: sqlite3.Connection) -> Iterator[StoredPolicy]:
    for row in conn.execute("SELECT * FROM policies ORDER BY registered_seq"):
        yield StoredPolicy(*row)


def check_policies(conn: sqlite3.Connection,
                   registered: dict[str, tuple[int, dict[str, Any]]]) -> tuple[int, tuple[int | None, str, str] | None]:
    """Compare the store with the registrations found in the chain.

    ``registered`` maps sha256 -> (seq of its ``policy`` record, that record's
    payload). Returns (policies checked, first fault as (seq, code, problem) or None).
    """
    count, seen = 0, set()
    for p in iter_policies(conn):
        count += 1
        seen.add(p.sha256)
        label = f"policy {p.policy_id} {p.version} (sha256 {p.sha256[:12]})"
        reg = registered.get(p.sha256)
        if reg is None:
            return count, (None, "BP814", f"{label} is in the store but was never registered in the "
                                          f"chain (inserted outside the ledger)")
        seq, payload = reg
        actual = text_sha256(p.text)
        if actual != p.text_sha256 or actual != payload.get("text_sha256"):
            return count, (seq, "BP814", f"{label}: the stored text no longer matches the sha256 "
                                         f"recorded when it was stored (edited)")
        if content_sha256(p.text) != p.sha256:
            return count, (seq, "BP814", f"{label}: the stored text no longer hashes to its content "
                                         f"address (edited)")
        data_hash = None if p.data is None else text_sha256(p.data)
        if data_hash != payload.get("data_sha256") or (p.data is not None and data_hash != p.sha256):
            return count, (seq, "BP814", f"{label}: the stored canonical data no longer matches "
                                         f"its recorded sha256 (edited)")
        if (p.policy_id, p.version) != (payload.get("policy_id"), payload.get("version")):
            return count, (seq, "BP814", f"{label}: id or version differs from the registration (edited)")
    for sha, (seq, payload) in registered.items():
        if sha not in seen:
            return count, (seq, "BP815", f"policy {payload.get('policy_id')} {payload.get('version')} "
                                         f"(sha256 {sha[:12]}) is registered but missing from the store "
                                         f"(deleted)")
    return count, None
