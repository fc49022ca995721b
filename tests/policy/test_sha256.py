"""The policy content hash: stable across formatting, sensitive to every value."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import attrs

from budgetpolicy.policy.load import load_policy, load_policy_text, parse_policy_data, policy_sha256

from conftest import FIXTURES, MINIMAL


def test_hash_is_sha256_of_sorted_canonical_json():
    data = {"b": Decimal("1.50"), "a": dt.date(2026, 1, 1), "c": [1, "x", True], "t": dt.time(9, 30)}
    expected = hashlib.sha256(b'{"a":"2026-01-01","b":"1.50","c":[1,"x",true],"t":"09:30:00"}').hexdigest()
    assert policy_sha256(data) == expected


def test_reformatting_does_not_change_the_hash_or_the_policy():
    original = load_policy(FIXTURES / "acme.toml")
    reformatted = load_policy(FIXTURES / "acme_reformatted.toml")
    assert original.source.sha256 == reformatted.source.sha256
    # Everything but the source (path, text) is equal; rule locations are not part of equality.
    assert attrs.evolve(original, source=None) == attrs.evolve(reformatted, source=None)


def test_source_records_path_text_hash_and_revision():
    text = (FIXTURES / "acme.toml").read_text(encoding="utf-8")
    policy = load_policy_text(text, "policies/acme.toml", revision="abc123")
    assert policy.source.path == "policies/acme.toml"
    assert policy.source.revision == "abc123"
    assert policy.source.text == text
    assert policy.source.sha256 == policy_sha256(parse_policy_data(text))
    assert policy.approval.rules[0].location.file == "policies/acme.toml"


def test_comments_and_whitespace_only():
    noisy = "# a comment\n\n" + MINIMAL.replace(" = ", "   =   ").replace("\n[", "\n\n  # note\n[")
    assert load_policy_text(noisy).source.sha256 == load_policy_text(MINIMAL).source.sha256


def test_any_content_change_changes_the_hash():
    base = load_policy_text(MINIMAL).source.sha256
    changed = [
        MINIMAL.replace('version = "1"', 'version = "2"'),
        MINIMAL.replace("target = 2", "target = 3"),
        MINIMAL.replace("effective_date = 2026-01-01", "effective_date = 2026-01-02"),
        MINIMAL + '\n[metadata]\nowner = "x"\n',
        # Same number, different written precision: a different (auditable) text of the policy.
        MINIMAL.replace("target = 2", "target = 2.0"),
    ]
    hashes = {load_policy_text(t).source.sha256 for t in changed}
    assert base not in hashes and len(hashes) == len(changed)
