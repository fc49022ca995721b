"""Run a quarterly review: calibrate forecasters, release and reallocate funds, sunset what does not deliver.

The plan is the funding cycle of --initiatives under --policy (as `evaluate`
computes it); --outcomes holds readings per initiative and quarter (repeatable: the sources are merged). Every
quarter from the first reading up to --period is reviewed in order; the output
shows --period (calibration factors and calibrated forecasts, realisations
against the lift due by then, completions, sunsets, releases, reallocations,
scale-up recommendations, money moved) and one line per earlier quarter. See docs/review.md for every formula.

With --ledger holding a funding plan, the review works from the ledger (docs/budget-year.md): the plan,
its policy and initiatives, and every earlier quarter's readings come from the record, --outcomes gives
--period's readings, and the quarter is recorded in order (--dry-run: computed, not recorded). A quarter
already recorded is shown from its record. --initiatives then brings new requests: the initiatives the
plan does not decide, decided by its policy and recorded with the quarter.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from typing import Any

from budgetpolicy.formatting import fixed_places, money_cents, trimmed_number


def configure(parser: argparse.ArgumentParser) -> None:
    from budgetpolicy.commands._common import add_format_options

    parser.add_argument("--policy", "-P", metavar="POLICY",
                        help="policy file or path@REV (with a ledger plan: optional, must be the plan's)")
    parser.add_argument("--initiatives", "-i", metavar="SOURCE",
                        help="initiatives file (.csv/.json/.toml), or NAME:TARGET for a data-source plugin "
                             "(with a ledger plan: its initiatives that the plan does not decide are new requests, "
                             "reviewed with --period; the plan's own come from the ledger)")
    parser.add_argument("--outcomes", "-O", required=True, metavar="SOURCE", action="append",
                        help="outcome readings file (.csv/.json/.toml), or NAME:TARGET (e.g. xapi:export.json); "
                             "repeat it for several sources (an LRS export and a KPI file): their readings are "
                             "merged per initiative and quarter, and two sources giving different values for "
                             "one field is an error (BP660)")
    parser.add_argument("--period", required=True, metavar="YYYY-Qn", help="the quarter to review, e.g. 2026-Q2")
    parser.add_argument("--kpis", metavar="FILE",
                        help="the organisation's KPI actuals (CSV: priority or metric, period, value): the table "
                             "output adds KPI attribution (docs/evidence.md)")
    add_format_options(parser)
    from budgetpolicy.commands._progress import add_quiet_option

    add_quiet_option(parser)  # progress on stderr: docs/cli.md
    parser.add_argument("--ledger", metavar="FILE",
                        help="with a plan in it: review the plan and record the quarter; without one: append "
                             "the review (one record per initiative it touched)")
    parser.add_argument("--evaluated-at", metavar="TIMESTAMP", help="review time recorded in the ledger")
    parser.add_argument("--dry-run", action="store_true", help="compute and print, record nothing")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.commands._progress import progress_for

    with progress_for(args) as progress, progress.phase("reviewing the quarter"):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.commands._common import registry_from_args
    from budgetpolicy.review.quarterly import review

    if args.ledger and api.ledger_has_plan(args.ledger):
        return _from_ledger(args)
    if not args.policy or not args.initiatives:
        from budgetpolicy.errors import Location, UsageError

        raise UsageError("review needs --policy and --initiatives (or --ledger with a recorded plan)",
                         Location(key="--policy" if not args.policy else "--initiatives"),
                         hint="record the plan with 'budgetpolicy evaluate --ledger FILE', or give both files")
    registry = registry_from_args(args)
    compiled = api.open_policy(args.policy, registry)
    policy = compiled.policy
    initiatives = api.read_initiatives(args.initiatives, registry, policy=policy)
    outcomes = api.read_outcomes(args.outcomes, registry, initiative_ids=[i.id for i in initiatives], policy=policy)
    # The plan's evaluation time only reaches provenance, which the review does not show: a fixed
    # time keeps the output byte-identical across runs.
    at = dt.datetime.combine(policy.effective_date, dt.time(), tzinfo=dt.timezone.utc)
    plan = api.evaluate(compiled, initiatives, evaluated_at=at).decisions
    result = review(policy, initiatives, plan, outcomes, args.period)
    _show(args, policy, initiatives, plan, outcomes, result)
    if args.ledger and not args.dry_run:
        import sys

        from budgetpolicy.audit.record import record_review

        stamp = (api.parse_timestamp(args.evaluated_at, "--evaluated-at") if args.evaluated_at
                 else dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
        count = record_review(args.ledger, policy, result, outcomes, stamp.isoformat())
        print(f"ledger: appended {count} review record(s) to {args.ledger}", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace, policy: Any, initiatives: Any, plan: Any, outcomes: Any, result: Any) -> None:
    """The review in the chosen format with its money returns (docs/evidence.md) and, in the table, the
    evidence sections: the same whether the review came from the files or from the ledger."""
    from budgetpolicy.commands._common import emit
    from budgetpolicy.evidence.roi import realised_returns

    returns = realised_returns(policy, initiatives, plan, outcomes, result)
    emit(args, render_review(args.format, policy, result, returns)
         + _evidence(args, policy, initiatives, result, outcomes, returns))


def _evidence(args: argparse.Namespace, policy: Any, initiatives: Any, result: Any, outcomes: Any,
              returns: Any) -> str:
    """The table output's evidence sections (KPI attribution, effectiveness by format, case drafts)."""
    if args.format != "table":
        return ""
    from budgetpolicy.commands.report import read_actuals
    from budgetpolicy.report.evidencefacts import evidence_facts
    from budgetpolicy.report.evidencetext import review_evidence_text

    actuals = read_actuals(args.kpis, policy)
    return review_evidence_text(evidence_facts(policy, initiatives, result, outcomes, actuals, returns=returns))


def _from_ledger(args: argparse.Namespace) -> int:
    import sys

    from budgetpolicy import api
    from budgetpolicy.commands._common import emit, registry_from_args, warn
    from budgetpolicy.output import records_csv, records_jsonl
    from budgetpolicy.year.render import recorded_quarter_json, recorded_quarter_table

    at = api.parse_timestamp(args.evaluated_at, "--evaluated-at") if args.evaluated_at else None
    done = api.review_year(args.ledger, args.outcomes, args.period, registry=registry_from_args(args),
                           policy=args.policy, dry_run=args.dry_run, at=at, initiatives=args.initiatives or ())
    for note in done.notes:
        warn(f"note: {note}")
    for flag in done.flags:  # [spend] on_mismatch = "flag": recorded with the reading, said here too
        warn(f"flagged: {flag.format()}")
    policy, recorded = done.year.policy, done.recorded
    if done.result is None:
        assert recorded is not None
        if args.format in ("csv", "jsonl"):
            records = review_records(recorded.period, recorded.review)
            emit(args, records_csv(REVIEW_COLUMNS, records) if args.format == "csv" else records_jsonl(records))
        else:
            emit(args, recorded_quarter_json(recorded) if args.format == "json"
                 else recorded_quarter_table(recorded, policy.currency))
        print(f"ledger: {done.period} is recorded (record {recorded.seq}, at {recorded.at}): shown from its record, "
              "nothing recomputed or written", file=sys.stderr)
        return 0
    _show(args, policy, done.initiatives, done.decisions, done.outcomes, done.result)  # as from the files
    if recorded is None:
        print(f"dry run: {done.period} computed from {args.ledger}, nothing recorded", file=sys.stderr)
    else:
        print(f"ledger: recorded {done.period} ({done.readings} reading(s), quarter at record {recorded.seq}) in "
              f"{args.ledger}", file=sys.stderr)
    return 0


def render_review(fmt: str, policy: Any, result: Any, returns: Sequence[Any] = ()) -> str:
    """The review in ``fmt``: a table, JSON, or its moves as flat records (CSV, JSON lines); ``returns``:
    the realised money returns (evidence.roi), in the table and the JSON."""
    from budgetpolicy.canonical import to_jsonable
    from budgetpolicy.output import records_csv, records_jsonl

    if fmt == "json":
        return review_json(policy, result, returns)
    if fmt in ("csv", "jsonl"):
        records = review_records(result.period, to_jsonable(result))
        return records_csv(REVIEW_COLUMNS, records) if fmt == "csv" else records_jsonl(records)
    if returns:
        from budgetpolicy.evidence.roi import returns_lines

        return review_table(policy, result) + "\n" + "\n".join(returns_lines(returns, policy.currency)) + "\n"
    return review_table(policy, result)


def review_json(policy: Any, result: Any, returns: Sequence[Any] = ()) -> str:
    from budgetpolicy.canonical import pretty_json

    doc = {"policy": {"id": policy.id, "version": policy.version, "currency": policy.currency,
                      "sha256": policy.source.sha256 if policy.source else None},
           "factors": result.factors, "result": result}
    if returns:
        from budgetpolicy.evidence.roi import returns_doc

        doc["returns"] = returns_doc(returns)
    # The review's fields at the top level, as before; Decimals normalised like every JSON output.
    import json

    data = json.loads(pretty_json(doc, normal=True))
    return pretty_json({**{k: v for k, v in data.items() if k != "result"}, **data["result"]})


# The review's moves as flat records (--format csv / jsonl): one row per calibration group, calibrated
# forecast, realisation, completion, sunset, release, reallocation and scale-up of the period, in that
# order. What value, amount, before and after hold for each section: docs/cli.md.
REVIEW_COLUMNS = ("period", "section", "id", "kind", "value", "amount", "before", "after", "reason")


def review_records(period: str, review: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows from a review as JSON data (``to_jsonable`` of a result, or a recorded quarter's review)."""
    rows: list[dict[str, Any]] = []

    def add(section: str, item: dict[str, Any], **fields: Any) -> None:
        rows.append({"period": period, "section": section, "id": item.get("initiative_id"), **fields})

    for g in review.get("calibrations") or []:
        rows.append({"period": period, "section": "calibration", "id": g.get("group"), "kind": g.get("bounded"),
                     "value": g.get("factor"),
                     "reason": f"{g.get('observations')} observation(s): realised/forecast {g.get('raw')}, "
                               f"shrunk {g.get('shrunk')}"})
    for f in review.get("forecasts") or []:
        add("forecast", f, kind=f.get("group"), value=f.get("factor"),
            reason=", ".join(f"{k} {v}" for k, v in (f.get("calibrated") or {}).items()))
    for r in review.get("realisations") or []:
        add("realisation", r, value=r.get("value"),
            reason="; ".join(f"{k.get('priority')} {k.get('realised')}/{k.get('expected')}"
                             for k in r.get("kpis") or [] if k.get("ratio") is not None))
    for c in review.get("completions") or []:
        add("completion", c, kind=c.get("status"), value=c.get("latest"), reason=f"{c.get('cause')}: {c.get('reason')}")
    for u in review.get("sunsets") or []:
        add("sunset", u, kind=u.get("criterion"), reason=f"{u.get('reason')} ({u.get('detail')})")
    for r in review.get("releases") or []:
        add("release", r, kind=r.get("cause"), value=r.get("unspent"), amount=r.get("amount"), reason=r.get("reason"))
    for m in review.get("reallocations") or []:
        add("reallocation", m, kind=m.get("kind"), amount=m.get("amount"), before=m.get("allocation_before"),
            after=m.get("allocation_after"), reason=m.get("reason"))
    for s in review.get("scale_ups") or []:
        add("scale_up", s, value=s.get("realisation"), amount=s.get("granted"), before=s.get("allocation"),
            reason=f"headroom {s.get('headroom')}")
    for c in review.get("learning") or []:
        if c.get("period") == period:
            add("learning", c, kind=c.get("trend") or None, value=c.get("observation"),
                before=c.get("pre_assessment"), after=c.get("post_assessment"),
                reason="; ".join(f"{name} {c[name]}" for name in CHAIN_READINGS if c.get(name) is not None))
    return [{k: _normal(v) if k in ("value", "amount", "before", "after") else v for k, v in row.items()}
            for row in rows]


def _normal(value: Any) -> Any:
    """A decimal string from the review's JSON data, without trailing zeros (as JSON output writes it)."""
    from decimal import Decimal, InvalidOperation

    from budgetpolicy.canonical import normal_text

    if not isinstance(value, str):
        return value
    try:
        return normal_text(Decimal(value))
    except InvalidOperation:
        return value


def review_table(policy: Any, result: Any) -> str:
    from budgetpolicy.output import table

    cur = policy.currency
    parts = [f"Quarterly review {result.period} under {policy.id} {policy.version} "
             f"(quarters {result.first_period}..{result.period})\n"]
    if policy.calibration is not None:
        c = policy.calibration
        parts.append(f"\nCalibration by {c.group_by}: last {c.lookback_quarters} quarters, shrinkage {c.shrinkage}, "
                     f"bounds {c.min_factor}..{c.max_factor}\n")
        parts.append(table(("GROUP", "OBS", "REALISED/FORECAST", "SHRUNK", "FACTOR", "BOUND"),
                           [(g.group, g.observations, _ratio(g.raw), _ratio(g.shrunk), _ratio(g.factor), g.bounded or "-")
                            for g in result.calibrations]) if result.calibrations else "no measured group\n")
        if result.forecasts:
            parts.append("\nCalibrated forecasts for the next cycle\n")
            parts.append(table(("ID", "GROUP", "FACTOR", "RAW", "CALIBRATED"),
                               [(f.initiative_id, f.group, _ratio(f.factor), _kv(f.raw), _kv(f.calibrated))
                                for f in result.forecasts]))
    m = policy.milestones
    parts.append(f"\nRealisation in {result.period} (realised / lift due by then; ramp "
                 f"{m.ramp if m is not None else 'linear'} where no milestone is declared)\n")
    parts.append(table(("ID", "REALISATION", "KPIS: REALISED/DUE = RATIO (DUE BY)"),
                       [(r.initiative_id, "-" if r.value is None else _ratio(r.value), _kpis(r))
                        for r in result.realisations]) if result.realisations else "no readings\n")
    sections: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = [
        ("Completions", ("ID", "STATUS", "CAUSE", "LATEST", "TARGET", "REASON"),
         [(c.initiative_id, c.status, c.cause, "-" if c.latest is None else _ratio(c.latest), _ratio(c.target), c.reason)
          for c in result.completions]),
        ("Sunsets", ("ID", "CRITERION", "REASON", "NUMBERS"),
         [(s.initiative_id, s.criterion, s.reason, s.detail) for s in result.sunsets]),
        (f"Released ({cur})", ("ID", "CAUSE", "UNSPENT", "RELEASED", "WHY"),
         [(r.initiative_id, r.cause, money_cents(r.unspent), money_cents(r.amount), r.reason)
          for r in result.releases]),
        (f"Reallocated ({cur})", ("ID", "KIND", "AMOUNT", "BEFORE", "AFTER", "WHY"),
         [(m.initiative_id, m.kind, money_cents(m.amount), money_cents(m.allocation_before),
           money_cents(m.allocation_after), m.reason) for m in result.reallocations]),
        ("Scale-up recommendations", ("ID", "REALISATION", "ALLOCATION", "HEADROOM", "GRANTED"),
         [(s.initiative_id, _ratio(s.realisation), money_cents(s.allocation), money_cents(s.headroom),
           money_cents(s.granted)) for s in result.scale_ups]),
    ]
    if result.requests:  # reviewed from the ledger with new requests (docs/budget-year.md)
        sections.append((f"New requests ({cur})", ("ID", "OUTCOME", "SCORE", "REQUIRES", "FUNDED", "WHY"),
                         [(r.initiative_id, r.outcome, str(r.score), ", ".join(r.required_approvers) or "-",
                           money_cents(r.funded), r.reason) for r in result.requests]))
    sections += [*_rollout_sections(result, cur), _learning_section(result)]
    for title, headers, rows in sections:
        parts.append(f"\n{title}\n")
        parts.append(table(headers, rows) if rows else "none\n")
    s, t = result.summary, result.totals
    parts.append(f"\n{result.period}: released {money_cents(s.released, cur)} = "
                 f"redistributed {money_cents(s.redistributed)} + returned to the pool {money_cents(s.returned_to_pool)}"
                 + (f"; the mid-year reserve gave {money_cents(s.reserve_used)}" if s.reserve_used else "") + "\n")
    parts.append(f"all quarters: released {money_cents(t.released, cur)} = "
                 f"redistributed {money_cents(t.redistributed)} + returned to the pool {money_cents(t.returned_to_pool)}\n")
    for q in result.history:
        parts.append(f"earlier {q.period}: {len(q.completions)} completion(s), {len(q.sunsets)} sunset(s), "
                     f"{len(q.releases)} release(s), "
                     f"{len(q.reallocations)} reallocation(s); released {money_cents(q.summary.released)}, "
                     f"returned {money_cents(q.summary.returned_to_pool)}\n")
    return "".join(parts)


def _ratio(value: Any) -> str:
    """Realisations, factors and targets to the review's four places, so their columns align."""
    return fixed_places(value, 4)


def _kv(values: Any) -> str:
    return ", ".join(f"{k} {v.normalize():f}" for k, v in values.items())


def _kpis(realisation: Any) -> str:
    out = []
    for k in realisation.kpis:
        if k.ratio is not None:
            out.append(f"{k.priority} {k.realised}/{trimmed_number(k.expected, 4)} = {k.ratio} ({k.due})")
        elif k.realised is not None or k.note != "not measured":
            out.append(f"{k.priority}: {k.note}")
    return "; ".join(out) or "-"


# The learning chain's values a CSV/JSONL row lists in its reason, in the order of the levels.
CHAIN_READINGS = ("satisfaction", "relevance", "gain", "pass_rate", "completion_rate", "observation", "change",
                  "realisation", "hours", "participants")


def _learning_section(result: Any) -> tuple[str, tuple[str, ...], list[tuple[Any, ...]]]:
    """The learning chain of the period's readings that carry one (docs/evidence.md): reaction, learning,
    behaviour and its trend, results, hours and participants."""
    rows: list[tuple[Any, ...]] = []
    for c in result.learning:
        levels = (c.satisfaction, c.relevance, c.pre_assessment, c.post_assessment, c.pass_rate, c.completion_rate,
                  c.observation, c.hours, c.participants)
        if c.period != result.period or all(v is None for v in levels):
            continue
        trend = c.trend + (f" {_signed(c.change)}" if c.change else "") if c.trend else "-"
        rows.append((c.initiative_id, _n(c.satisfaction), _n(c.relevance),
                     "-" if c.gain is None else f"{_n(c.pre_assessment)}->{_n(c.post_assessment)}",
                     "-" if c.gain is None else _signed(c.gain), _n(c.pass_rate), _n(c.completion_rate),
                     _n(c.observation), trend, "-" if c.realisation is None else _ratio(c.realisation),
                     _n(c.hours), _n(c.participants)))
    return (f"Learning chain in {result.period} (reaction 0-5, learning, behaviour 0-5 and its trend, results)",
            ("ID", "SAT", "REL", "PRE->POST", "GAIN", "PASS", "COMPLETE", "OBS", "TREND", "REALISED", "HOURS",
             "PEOPLE"), rows)


def _n(value: Any) -> str:
    """A reading as given, without trailing zeros; "-" when not read."""
    return "-" if value is None else trimmed_number(value) if not isinstance(value, int) else str(value)


def _signed(value: Any) -> str:
    return ("+" if value > 0 else "") + trimmed_number(value)


def _rollout_sections(result: Any, cur: str) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    """The [rollout] stage gate's pilots and rollouts (docs/budget-year.md); nothing when there are none."""
    if not (result.pilots or result.rollouts):
        return []
    return [("Pilots against the rollout gate", ("PILOT", "STATUS", "QUARTERS", "REALISATION", "GAIN", "PER HEAD", "WHY"),
             [(g.pilot_id, g.status, str(g.quarters_measured), str(g.realisation or "-"),
               str(g.learning_gain if g.learning_gain is not None else "-"), money_cents(g.cost_per_head), g.reason)
              for g in result.pilots]),
            (f"Rollouts ({cur})", ("ID", "PILOT", "VERDICT", "COST", "WHY"),
             [(r.initiative_id, r.pilot_id, r.verdict, money_cents(r.cost), r.reason) for r in result.rollouts])]
