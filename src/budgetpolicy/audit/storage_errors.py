"""What a failed SQLite read or write means for a person: typed ledger errors, each with its fix.

:mod:`budgetpolicy.audit.storage` (the only module that talks to SQLite) hands its exceptions here;
this module reads only their text and ``sqlite_errorcode``, so it needs no ``sqlite3`` import. Codes:
BP802 not a ledger, BP804 locked past the timeout (or a store opened read-only), BP820 disk full,
BP821 read-only file, directory or filesystem, BP822 a damaged file (a missing table, a malformed
page, a meta value that is not a number), BP823 text that is not UTF-8 (a lone surrogate).
"""

from __future__ import annotations

from typing import Any

from budgetpolicy.errors import LedgerError, Location

# SQLite's primary result codes (the low byte of an extended code) that name a cause a person can fix.
_SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 8, 11, 13, 14, 26
RESTORE = "restore the ledger from a copy; 'budgetpolicy ledger verify' runs SQLite's integrity check"


class LedgerDamagedError(LedgerError):
    """The file is damaged (BP822) or holds text that is not UTF-8 (BP823); ``seq``: the record, when known.
    ``verify`` reports it as a finding (exit 1); every other command refuses the ledger (exit 2)."""

    def __init__(self, *args: Any, seq: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seq = seq


def read_error(path: str, exc: Exception, seq: int | None = None) -> LedgerError:
    """A failed read, typed: text that is not UTF-8 (BP823), a damaged file (BP822), else BP802."""
    text = str(exc)
    primary = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    where = Location(file=path, key=None if seq is None else f"record {seq}")
    if "decode to UTF-8" in text:
        column = text.split("column '", 1)[1].split("'", 1)[0] if "column '" in text else "a text column"
        return LedgerDamagedError(f"its {column} is not valid UTF-8 text (a lone surrogate or a garbled byte): "
                                  "it was written outside budgetpolicy", where, code="BP823", hint=RESTORE, seq=seq)
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "no such table" in text or "malformed" in text:
        return LedgerDamagedError(f"the file is damaged and cannot be read: {text}", where, code="BP822",
                                  hint=RESTORE, seq=seq)
    return LedgerError(f"cannot read ledger '{path}': {text}", where, code="BP802",
                       hint="is this the right file? a ledger is a SQLite database")


def write_error(path: str, exc: Exception, readonly: bool, hint: str) -> LedgerError:
    """A failed write, by its cause: disk full (BP820), read-only media (BP821), damaged (BP822), else BP804
    (locked past the timeout, or a store opened read-only) with ``hint``."""
    primary = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    where = Location(file=path)
    if primary == _SQLITE_FULL:
        return LedgerError(f"cannot write ledger '{path}': the disk is full ({exc}); nothing was written",
                           where, code="BP820", hint="free space on its filesystem (or move the ledger) and retry")
    if primary in (_SQLITE_READONLY, _SQLITE_CANTOPEN) and not readonly:
        return LedgerError(f"cannot write ledger '{path}': the file or its directory is read-only ({exc})",
                           where, code="BP821",
                           hint="SQLite must write the file and create FILE-wal and FILE-shm beside it; a read-only "
                                "ledger can still be verified, exported, proven and replayed")
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return LedgerDamagedError(f"cannot write ledger '{path}': the file is damaged ({exc})", where,
                                  code="BP822", hint=RESTORE)
    return LedgerError(f"cannot write ledger '{path}': {exc}", where, hint=hint, code="BP804")
