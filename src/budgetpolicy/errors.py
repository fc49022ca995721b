"""The error tree and diagnostics shared by every stage of the pipeline.

Every problem the engine reports is a :class:`Diagnostic`: a stable code, a
message, a :class:`Location` (file, key path, line/column or data row/field)
and a hint saying how to fix it. Stages collect all diagnostics they can find
in one :class:`Diagnostics` collector and raise one exception carrying them,
so users see every problem at once.

Code ranges: BP1xx policy loading and schema, BP2xx policy semantics, BP3xx
expressions, BP4xx data, BP5xx plugins, BP6xx allocation, BP7xx review,
BP8xx ledger and audit, BP9xx lint warnings, BP0xx command-line usage.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, Literal, TypeVar, overload

from attrs import evolve, field, frozen

Severity = Literal["error", "warning"]
Place = TypeVar("Place")


@frozen
class Location:
    """Where a problem is: any combination of file, key path, line/column, row and field."""

    file: str | None = None
    key: str | None = None
    line: int | None = None
    column: int | None = None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        head = self.file or ""
        if self.line is not None:
            head += f":{self.line}"
            if self.column is not None:
                head += f":{self.column}"
        if head:
            parts.append(head)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.key:
            parts.append(self.key)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts) if parts else "<input>"

    def evolve(self, **changes: Any) -> "Location":
        """A copy with ``changes`` applied (attrs.evolve)."""
        return evolve(self, **changes)


@frozen
class Diagnostic:
    """One problem, with a stable code so tools and tests can match on it."""

    code: str
    message: str
    location: Location = field(factory=Location)
    hint: str | None = None
    severity: Severity = "error"

    def format(self) -> str:
        """The one-line form the CLI prints: ``LOCATION: CODE severity: message (hint)``."""
        text = f"{self.location}: {self.code} {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split("\n"))

    def to_dict(self) -> dict[str, object]:
        """The diagnostic as plain JSON values (the ``--format json`` shape)."""
        loc = {k: v for k, v in {
            "file": self.location.file, "key": self.location.key, "line": self.location.line,
            "column": self.location.column, "row": self.location.row, "field": self.location.field,
        }.items() if v is not None}
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "location": loc, "hint": self.hint}


class BudgetPolicyError(Exception):
    """Root of every error the package raises on purpose.

    Carries one or more diagnostics; ``str(err)`` is one line per diagnostic,
    ready for a terminal.
    """

    default_code = "BP000"

    def __init__(self, message: str | Sequence[Diagnostic], location: Location | None = None,
                 hint: str | None = None, code: str | None = None) -> None:
        if isinstance(message, str):
            diags: tuple[Diagnostic, ...] = (
                Diagnostic(code or self.default_code, message, location or Location(), hint),
            )
        else:
            diags = tuple(message)
        self.diagnostics = diags
        super().__init__("\n".join(d.format() for d in diags))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics of severity "error" (warnings left out)."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


class UsageError(BudgetPolicyError):
    """Bad command-line arguments."""

    default_code = "BP001"


class PolicyLoadError(BudgetPolicyError):
    """A policy file cannot be read, parsed or fails its schema or semantic checks."""

    default_code = "BP100"


class ExpressionError(BudgetPolicyError):
    """A condition does not parse, type-check, or fails while evaluating."""

    default_code = "BP300"


class DataError(BudgetPolicyError):
    """Initiative or outcome data is malformed."""

    default_code = "BP400"


class PluginError(BudgetPolicyError):
    """A plugin is missing, raised, or returned something of the wrong type."""

    default_code = "BP500"


class AllocationError(BudgetPolicyError):
    """The pool cannot be allocated (for example an infeasible optimal problem)."""

    default_code = "BP600"


class ReviewError(BudgetPolicyError):
    """A quarterly review cannot be computed from the outcomes given."""

    default_code = "BP700"


class LedgerError(BudgetPolicyError):
    """The decision ledger is unreadable, tampered with, or cannot be written."""

    default_code = "BP800"


class LedgerTamperedError(LedgerError):
    """The ledger failed verification, so it was not used (replay refuses it). A finding about the
    ledger rather than a mistake in the command: the CLI exits 1 for it, as ``ledger verify`` does."""

    default_code = "BP810"


class YearError(LedgerError):
    """The budget year refuses an event (a sign-off or refusal with no plan to sign, for an unknown or
    settled initiative, a role the decision does not need or the signer does not hold, a second
    sign-off), or the events recorded in a ledger do not add up. Nothing is written (BP85x)."""

    default_code = "BP850"


def _at(location: Location) -> Location:
    return location


class Diagnostics(Generic[Place]):
    """The one collector of a stage's problems: gather every one, then raise the stage's error once.

    ``locate`` turns a place in a stage's own terms (a policy key path, a record's field name) into
    a :class:`Location`, so each check names places the way it thinks of them; without it the
    collector takes Locations. ``severity`` is the default of :meth:`add` (the static checks mostly
    warn). Iterating gives the diagnostics in the order they were found.
    """

    @overload
    def __init__(self: "Diagnostics[Location]", *, severity: Severity = "error") -> None: ...

    @overload
    def __init__(self, locate: Callable[[Place], Location], *, severity: Severity = "error") -> None: ...

    def __init__(self, locate: Callable[[Any], Location] = _at, *, severity: Severity = "error") -> None:
        self._locate = locate
        self._severity: Severity = severity
        self._found: list[Diagnostic] = []

    def add(self, code: str, where: Place, message: str, hint: str | None = None,
            severity: Severity | None = None) -> None:
        self._found.append(Diagnostic(code, message, self._locate(where), hint, severity or self._severity))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Take the diagnostics of a check that reports on its own (a sub-stage, a plugin's checks)."""
        self._found.extend(diagnostics)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self._found)

    def in_source_order(self) -> list[Diagnostic]:
        """By line, then key path, then code: how a reader goes through the file (stable otherwise)."""
        return sorted(self._found, key=lambda d: (d.location.line or 0, d.location.key or "", d.code))

    def raise_if_errors(self, error: type[BudgetPolicyError]) -> None:
        """Raise the stage's ``error`` carrying everything found (warnings too) when anything is an error."""
        if self.has_errors:
            raise error(self._found)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A ``did you mean 'x'?`` hint, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None
