"""The content-addressed policy store inside the ledger: what a policy copy is, and how the copies are checked.

Every policy version a decision was made under is kept once, keyed by the
sha256 of its canonical content (what ``Provenance.policy_sha256`` records),
with the exact file text, so an audit needs nothing but the ledger. Storing a
policy also appends a ``policy`` record to the hash chain carrying the sha256
of the text (and of the canonical data), which is what lets ``verify`` notice a
policy text edited in place: the store alone could be rewritten consistently,
the chain could not without breaking every later link.

The copies are kept by the ledger's event store (:mod:`budgetpolicy.audit.eventstore`), written in
the same transaction as their ``policy`` record; this module holds what does not depend on where.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from attrs import frozen

from budgetpolicy.canonical import canonical_json
from budgetpolicy.errors import PolicyLoadError
from budgetpolicy.policy.load import parse_policy_data


@frozen
class StoredPolicy:
    """One stored policy version: its content address, id and version, the exact text, the sha256 of the
    text, the canonical data (None for copies stored before it was kept) and the seq of its ``policy``
    record."""

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


def check_policies(stored: Iterable[StoredPolicy],
                   registered: dict[str, tuple[int, dict[str, Any]]]) -> tuple[int, tuple[int | None, str, str] | None]:
    """Compare the stored policy copies with the registrations found in the chain.

    ``registered`` maps sha256 -> (seq of its ``policy`` record, that record's
    payload). Returns (policies checked, first fault as (seq, code, problem) or None).
    """
    count, seen = 0, set()
    for p in stored:
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
