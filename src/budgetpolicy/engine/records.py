"""An evaluation as rows for notebooks: plain dicts (``to_records``) and a pandas DataFrame (``to_pandas``).

One row per decision, in decision order, with the initiative's own columns (title, kind, department,
currency, requested cost) beside the decision's (outcome, score, expected value, allocation, approvers,
flags, reasons) and the policy it was decided under. Money and scores are Decimals (exact); on request
they are the canonical decimal text of the JSON output (``canonical.decimal_text``), never floats.

pandas is optional (the ``pandas`` extra) and imported only by :func:`to_pandas`. Its columns have
stated dtypes, never a silent ``object``: text as pandas' ``string`` dtype; Decimal columns as ``string``
(exact, the default) or ``float64`` on request (``decimals="float"``, for plotting and arithmetic; a
float is not exact, so sum money as Decimals); list columns (approvers, flags, reasons) as ``string``
joined with ``", "`` (reason messages with ``"; "``: they hold commas).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from budgetpolicy.canonical import decimal_text
from budgetpolicy.model import Decision, Initiative, Policy

if TYPE_CHECKING:
    import pandas

COLUMNS = ("initiative_id", "title", "kind", "department", "currency", "requested", "outcome", "score",
           "expected_value", "allocated", "funding_step", "required_approvers", "flags", "reasons",
           "reason_messages", "policy_id", "policy_version", "evaluated_at")
DECIMAL_COLUMNS = ("requested", "score", "expected_value", "allocated")
LIST_COLUMNS = ("required_approvers", "flags", "reasons", "reason_messages")


def decision_records(policy: Policy, decisions: Sequence[Decision], initiatives: Sequence[Initiative],
                     evaluated_at: str, decimals: Literal["decimal", "string"] = "decimal") -> list[dict[str, Any]]:
    """One plain dict per decision, keys :data:`COLUMNS`; Decimals kept or (``decimals="string"``) as text."""
    if decimals not in ("decimal", "string"):
        raise ValueError(f"decimals must be 'decimal' or 'string', not {decimals!r}")
    by_id = {i.id: i for i in initiatives}
    rows = []
    for d in decisions:
        initiative = by_id.get(d.initiative_id)
        row: dict[str, Any] = {
            "initiative_id": d.initiative_id,
            "title": initiative.title if initiative else None,
            "kind": initiative.kind if initiative else None,
            "department": initiative.department if initiative else None,
            "currency": (initiative.currency if initiative and initiative.currency else policy.currency),
            "requested": d.funding.requested if d.funding else (initiative.cost if initiative else None),
            "outcome": d.outcome,
            "score": d.score,
            "expected_value": d.expected_value,
            "allocated": d.allocation,
            "funding_step": d.funding.step if d.funding else None,
            "required_approvers": list(d.required_approvers),
            "flags": list(d.flags),
            "reasons": [r.code for r in d.reasons],
            "reason_messages": [r.message for r in d.reasons],
            "policy_id": policy.id,
            "policy_version": policy.version,
            "evaluated_at": evaluated_at,
        }
        if decimals == "string":
            row.update({k: decimal_text(v) for k, v in row.items() if isinstance(v, Decimal)})
        rows.append(row)
    return rows


def records_frame(records: list[dict[str, Any]], decimals: Literal["string", "float"] = "string") -> pandas.DataFrame:
    """``records`` (Decimals kept) as a DataFrame with the dtypes the module docstring states."""
    if decimals not in ("string", "float"):
        raise ValueError(f"decimals must be 'string' or 'float', not {decimals!r}")
    try:
        import pandas  # optional and heavy: only a notebook that asks for a frame pays for it
    except ImportError:
        raise ImportError("to_pandas needs pandas: pip install pandas (or budgetpolicy's 'pandas' extra)") from None
    columns: dict[str, Any] = {}
    for name in COLUMNS:
        values = [r[name] for r in records]
        if name in DECIMAL_COLUMNS and decimals == "float":
            columns[name] = pandas.Series([float(v) if v is not None else None for v in values], dtype="float64")
        elif name in DECIMAL_COLUMNS:
            columns[name] = pandas.Series([decimal_text(v) if v is not None else None for v in values],
                                          dtype="string")
        elif name in LIST_COLUMNS:
            joiner = "; " if name == "reason_messages" else ", "  # messages hold commas ("48,000")
            columns[name] = pandas.Series([joiner.join(v) for v in values], dtype="string")
        else:
            columns[name] = pandas.Series(values, dtype="string")
    return pandas.DataFrame(columns, columns=list(COLUMNS))
