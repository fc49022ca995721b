"""KPI actuals: the organisation's own KPI readings, and what the initiatives may claim of them.

An initiative's realised lift is measured on its own population (24 account executives, one onboarding
cohort); adding every initiative's lift to the KPI's baseline is not the organisation's KPI. The KPI
actuals file (``--kpis FILE``, docs/evidence.md) gives the KPI itself per priority and quarter:

    priority,period,value          (or ``metric`` in place of ``priority``: the KPI's metric name)
    win-rate,2026-Q1,22.6

``read_kpis(path, policy)`` checks every row (BP680..BP686, all at once, each with file, line and
column) and gives frozen :class:`KpiActual` values. ``kpi_evidence(policy, actuals, claims, forecasts,
period)`` then gives per priority the observed change up to ``period`` (the latest actual at or before
it, against the KPI's baseline, in the KPI's good direction) and each initiative's **attributed lift**:
its claim (its latest realised lift) when the claims together fit in the observed change, else scaled
down proportionally, ``claim * observed / sum(claims)``, rounded down to 4 places so the sum never
claims more than the observed change. Notes say when claims or funded forecasts overclaim.
Pure except :func:`read_kpis`, which reads the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from attrs import field, frozen

from budgetpolicy.data.records import to_decimal
from budgetpolicy.errors import DataError, Diagnostics, Location, did_you_mean
from budgetpolicy.formatting import trimmed_number
from budgetpolicy.model import Policy, Priority
from budgetpolicy.review.periods import is_period, parse_period
from budgetpolicy.review.realise import Realisation

ZERO = Decimal(0)
PLACES = Decimal("0.0001")  # attributed lifts and shares: 4 places, rounded down (never above the change)
COLUMNS = ("priority", "metric", "period", "value")
MAX_BYTES = 10_000_000  # an organisation's KPI history is a few hundred rows; a bigger file is a mistake


@frozen
class KpiActual:
    """One organisation-level KPI reading: the KPI's raw value for a priority in a quarter."""

    priority: str
    period: str
    value: Decimal
    location: Location = field(factory=Location, eq=False)


@frozen
class Attribution:
    """One initiative's share of a KPI's observed change."""

    initiative_id: str
    period: str  # the quarter of the reading its claim comes from
    claimed: Decimal  # its latest realised lift, in the KPI's good direction
    attributed: Decimal  # what the report credits it with: never above the claim, never negative


@frozen
class KpiEvidence:
    """One priority's KPI: the observed change up to the period, the lifts attributed, and notes."""

    priority: Priority
    period: str | None  # the quarter of the latest actual at or before the period; None without one
    actual: Decimal | None  # the KPI's value then
    observed: Decimal | None  # its change from the baseline in the good direction
    share_of_gap: Decimal | None  # observed / gap, 4 places (may be negative or above 1: the KPI decides)
    forecast: Decimal  # the funded bets' forecast lifts, summed
    attributions: tuple[Attribution, ...]
    notes: tuple[str, ...] = ()

    @property
    def claimed(self) -> Decimal:
        return sum((a.claimed for a in self.attributions), ZERO)

    @property
    def attributed(self) -> Decimal:
        return sum((a.attributed for a in self.attributions), ZERO)


def change(priority: Priority, value: Decimal) -> Decimal:
    """A raw KPI value as a change from the baseline in the KPI's good direction."""
    kpi = priority.kpi
    return value - kpi.baseline if kpi.direction == "higher" else kpi.baseline - value


def attribute(claims: Mapping[str, Decimal], observed: Decimal) -> dict[str, Decimal]:
    """Each claim's attributed lift: negative claims get nothing; positive claims in full when they fit in
    ``observed``, else ``claim * observed / total`` rounded down to 4 places (so the sum <= observed);
    nothing at all when the KPI did not move in its good direction."""
    total = sum((c for c in claims.values() if c > 0), ZERO)
    out: dict[str, Decimal] = {}
    for key, claim in claims.items():
        if claim <= 0 or observed <= 0:
            out[key] = ZERO
        elif total <= observed:
            out[key] = claim
        else:
            out[key] = (claim * observed / total).quantize(PLACES, rounding=ROUND_DOWN)
    return out


def kpi_evidence(policy: Policy, actuals: Sequence[KpiActual], claims: Mapping[str, Mapping[str, tuple[str, Decimal]]],
                 forecasts: Mapping[str, Decimal], period: str | None) -> tuple[KpiEvidence, ...]:
    """Per priority: ``claims`` is priority -> initiative -> (quarter, realised lift) (the latest reading of
    each initiative, at or before ``period``); ``forecasts`` priority -> the funded bets' forecast lifts."""
    until = parse_period(period) if period else None
    out = []
    for p in policy.priorities:
        seen = [a for a in actuals if a.priority == p.id and (until is None or parse_period(a.period) <= until)]
        latest = max(seen, key=lambda a: parse_period(a.period)) if seen else None
        mine = claims.get(p.id, {})
        forecast = forecasts.get(p.id, ZERO)
        notes = _forecast_note(p, forecast)
        if latest is None:
            rows = tuple(Attribution(iid, q, lift, ZERO) for iid, (q, lift) in sorted(mine.items()))
            out.append(KpiEvidence(p, None, None, None, None, forecast, rows, notes))
            continue
        observed = change(p, latest.value)
        given = attribute({iid: lift for iid, (_, lift) in mine.items()}, observed)
        rows = tuple(Attribution(iid, q, lift, given[iid]) for iid, (q, lift) in sorted(mine.items()))
        gap = p.kpi.gap
        share = (observed / gap).quantize(PLACES, rounding=ROUND_DOWN) if gap > 0 else None
        notes += _claim_note(p, rows, observed)
        out.append(KpiEvidence(p, latest.period, latest.value, observed, share, forecast, rows, notes))
    return tuple(out)


def claims(realisations: Iterable[Realisation], period: str) -> dict[str, dict[str, tuple[str, Decimal]]]:
    """priority -> initiative -> (quarter, realised lift) of each initiative's latest reading of that KPI
    at or before ``period``."""
    until = parse_period(period)
    out: dict[str, dict[str, tuple[str, Decimal]]] = {}
    for r in realisations:
        q = parse_period(r.period)
        for k in r.kpis:
            if k.realised is None or q > until:
                continue
            mine = out.setdefault(k.priority, {})
            if r.initiative_id not in mine or parse_period(mine[r.initiative_id][0]) <= q:
                mine[r.initiative_id] = (r.period, k.realised)
    return out


def _forecast_note(p: Priority, forecast: Decimal) -> tuple[str, ...]:
    gap = p.kpi.gap
    if gap <= 0 or forecast <= gap:
        return ()
    return (f"Funded forecasts add to {trimmed_number(forecast)} {p.kpi.unit}, "
            f"{trimmed_number((forecast / gap).quantize(Decimal('0.01')))}x the gap of {trimmed_number(gap)} "
            f"{p.kpi.unit}: they overclaim.",)


def _claim_note(p: Priority, rows: Sequence[Attribution], observed: Decimal) -> tuple[str, ...]:
    claimed = sum((r.claimed for r in rows if r.claimed > 0), ZERO)
    unit = p.kpi.unit
    if observed <= 0 and claimed > 0:
        return (f"The KPI did not move in its good direction ({trimmed_number(observed)} {unit}): "
                f"the initiatives' lifts of {trimmed_number(claimed)} {unit} are not attributed.",)
    if claimed > observed:
        return (f"The initiatives' realised lifts add to {trimmed_number(claimed)} {unit}, more than the observed "
                f"change of {trimmed_number(observed)} {unit}: each is scaled by "
                f"{trimmed_number(observed)}/{trimmed_number(claimed)}.",)
    return ()


def read_kpis(path: str, policy: Policy) -> tuple[KpiActual, ...]:
    """The KPI actuals file at ``path``, every row checked against ``policy``; DataError with every problem."""
    where = Location(file=path)
    try:
        file = Path(path)
        if file.stat().st_size > MAX_BYTES:
            raise DataError(f"the KPI actuals file is over {MAX_BYTES:,} bytes", where, code="BP680",
                            hint="give one row per priority and quarter")
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataError(f"cannot read the KPI actuals file: {exc.strerror or exc}", where, code="BP680",
                        hint="check the path given to --kpis") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"the KPI actuals file is not UTF-8 text (byte {exc.start})", where, code="BP680",
                        hint="save it as UTF-8 CSV") from None
    rows = _numbered(text, where)
    if not rows:
        raise DataError("the KPI actuals file is empty", where, code="BP680",
                        hint="the header is priority,period,value (or metric,period,value)")
    (header_line, header), data = rows[0], rows[1:]
    return parse_kpis(path, [c.strip() for c in header], data, policy, header_line)


def _numbered(text: str, where: Location) -> list[tuple[int, list[str]]]:
    """Non-blank rows with the physical line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                out.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", where.evolve(line=line), code="BP680",
                        hint="check the quotes in the row starting on this line") from None
    return out


def parse_kpis(path: str, header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]],
               policy: Policy, header_line: int = 1) -> tuple[KpiActual, ...]:
    """Rows (line, cells) under ``header`` as KPI actuals; every problem at once (BP680..BP685)."""
    problems = Diagnostics()
    _check_header(Location(file=path, line=header_line), header, problems)
    problems.raise_if_errors(DataError)
    by_id = {p.id: p for p in policy.priorities}
    by_metric = {p.kpi.metric: p for p in policy.priorities}
    out: list[KpiActual] = []
    first: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        where = Location(file=path, row=line)
        if len(cells) != len(header):
            problems.add("BP681", where, f"row has {len(cells)} cells but the header has {len(header)}",
                         "check for a missing or extra comma")
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells)}
        priority = _priority(row, where, by_id, by_metric, problems)
        period = row.get("period", "")
        if not is_period(period):
            problems.add("BP683", where.evolve(field="period"), f"period {period!r} is not a quarter",
                         "write quarters as YYYY-Qn, e.g. 2026-Q2")
        value = _value(row.get("value", ""), where.evolve(field="value"), problems)
        if priority is None or value is None or not is_period(period):
            continue
        key = (priority.id, period)
        if key in first:
            problems.add("BP685", where, f"a second actual for {priority.id} in {period} (the first is on line "
                         f"{first[key]})", "keep one row per priority and quarter")
            continue
        first[key] = line
        out.append(KpiActual(priority.id, period, value, where))
    problems.raise_if_errors(DataError)
    return tuple(sorted(out, key=lambda a: (a.priority, parse_period(a.period))))


def _check_header(where: Location, header: Sequence[str], problems: Diagnostics[Location]) -> None:
    for name in header:
        if name not in COLUMNS:
            problems.add("BP680", where.evolve(field=name), f"unknown column '{name}'",
                         did_you_mean(name, COLUMNS) or f"the columns are {', '.join(COLUMNS)}")
    if len(set(header)) != len(header):
        problems.add("BP680", where, "a column appears twice", "keep one of each")
    missing = [name for name in ("period", "value") if name not in header]
    if missing or not {"priority", "metric"} & set(header):
        problems.add("BP680", where, f"missing column(s): {', '.join(missing or ['priority or metric'])}",
                     "the header is priority,period,value (or metric,period,value)")


def _priority(row: Mapping[str, str], where: Location, by_id: Mapping[str, Priority],
              by_metric: Mapping[str, Priority], problems: Diagnostics[Location]) -> Priority | None:
    pid, metric = row.get("priority", ""), row.get("metric", "")
    found_id = by_id.get(pid) if pid else None
    found_metric = by_metric.get(metric) if metric else None
    if not pid and not metric:
        problems.add("BP682", where, "the row names no priority and no metric", "fill in one of the two")
        return None
    if pid and found_id is None:
        problems.add("BP682", where.evolve(field="priority"), f"unknown priority '{pid}'",
                     did_you_mean(pid, by_id) or f"the policy's priorities: {', '.join(by_id)}")
    if metric and found_metric is None:
        problems.add("BP682", where.evolve(field="metric"), f"unknown KPI metric '{metric}'",
                     did_you_mean(metric, by_metric) or f"the policy's metrics: {', '.join(by_metric)}")
    if found_id is not None and found_metric is not None and found_id is not found_metric:
        problems.add("BP682", where, f"priority '{pid}' and metric '{metric}' name different KPIs",
                     "fill in one of the two")
        return None
    return found_id or found_metric if (not pid or found_id) and (not metric or found_metric) else None


def _value(text: str, where: Location, problems: Diagnostics[Location]) -> Decimal | None:
    """The value through the data stage's one number parser (finite, sane magnitude, no separators)."""
    try:
        return to_decimal(text)
    except Exception as exc:  # the parser's own error: its message and hint are in the reader's words
        problems.add("BP684", where, f"value {text!r}: {exc}", getattr(exc, "hint", None)
                     or "give the KPI's value as a plain decimal, e.g. 23.5")
        return None
