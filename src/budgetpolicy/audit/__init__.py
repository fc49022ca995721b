"""The audit stage: the hash-chained decision ledger, its policy store, and policy versions from git.

ledger.py (the API: append, query, verify), entry.py (what a record holds, and
a decision's entry), chain.py (the hash rule), eventstore.py (the storage seam:
the EventStore contract), storage.py (the SQLite file, its default: schema,
transactions, queries), store.py (content-addressed policy copies),
export.py (JSONL/CSV), record.py (what ``evaluate --ledger`` calls), git.py
(``path@REV``); batches.py (recorded decisions grouped as they were evaluated, and
the inputs rebuilt from them), replay.py, replayrun.py and diff.py re-evaluate recorded
decisions and compare them; policydiff.py compares two policies.
"""
