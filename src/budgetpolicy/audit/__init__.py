"""The audit stage: the hash-chained decision ledger, its policy store, and policy versions from git.

ledger.py (append, query, verify), chain.py (the hash rule), store.py
(content-addressed policy copies), export.py (JSONL/CSV), record.py (what
``evaluate --ledger`` calls), git.py (``path@REV``).
"""
