"""Case studies (Brinkerhoff's success case method): drafts for the best and the worst bets.

The method studies the extremes: the few bets that worked best and the few that worked least, to
learn what enabled or blocked them. :func:`cases` picks, among the bets with a defined realisation,
the ``n`` highest (most successful) and the ``n`` lowest (least; never one already picked), ties by
id. Each draft carries the evidence the record holds: forecast versus realised lift per KPI (the
latest realisation), spend against the plan, the learning chain of the latest reading (completion,
pre/post gain, observation, and reaction and pass rate where read), and what the review decided.
They are **drafts**: the questions a person must answer (interviews with participants and managers)
are listed with each. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from attrs import frozen

from budgetpolicy.evidence.formats import BetEvidence
from budgetpolicy.formatting import money_compact, trimmed_number

QUESTIONS = {
    "success": ("What did participants do differently on the job, and who noticed?",
                "What in the work environment helped them apply it (manager support, time, tools)?",
                "What would it take to repeat this result elsewhere?"),
    "non-success": ("What got in the way of applying it (time, manager support, fit with the work)?",
                    "Was the bet aimed at the right people and the right KPI?",
                    "What would have to change for it to deliver, or should it stop?"),
}


@frozen
class Case:
    kind: str  # success | non-success
    bet: BetEvidence

    @property
    def questions(self) -> tuple[str, ...]:
        return QUESTIONS[self.kind]


def cases(bets: Sequence[BetEvidence], n: int = 2) -> tuple[Case, ...]:
    scored = [(b.realisation.value, b.initiative.id, b) for b in bets
              if b.realisation is not None and b.realisation.value is not None]
    ranked = sorted(scored, key=lambda s: (-s[0], s[1]))
    top = ranked[:n]
    bottom = sorted(ranked[len(top):], key=lambda s: (s[0], s[1]))[:n]
    return tuple(Case("success", b) for _, _, b in top) + tuple(Case("non-success", b) for _, _, b in bottom)


def evidence_lines(case: Case, currency: str) -> list[tuple[str, str]]:
    """The draft's evidence as (label, text)."""
    b = case.bet
    r = b.realisation
    lifts = "; ".join(f"{k.priority}: forecast {trimmed_number(k.forecast)}, due {trimmed_number(k.expected, 4)}, "
                      f"realised {trimmed_number(k.realised)}" for k in (r.kpis if r else ())
                      if k.realised is not None and k.forecast is not None)
    out = [("Realisation", f"{trimmed_number(r.value) if r else '-'} in {r.period if r else '-'} "
                           f"({b.quarters_measured} quarter(s) measured)"),
           ("Forecast vs realised", lifts or "no KPI reading with a forecast"),
           ("Spend", f"{currency} {money_compact(b.spent)} spent of {money_compact(b.allocation)} allocated "
                     f"(planned {money_compact(b.planned)})")]
    chain = chain_words(b)
    out.append(("Learning chain", chain or "no learning readings"))
    out.append(("Decision", b.decision or f"none this year (status: {b.status.replace('_', ' ')})"))
    return out


def chain_words(bet: BetEvidence) -> str:
    """The latest reading's learning chain in words: reaction, learning, behaviour (what was read)."""
    reading = bet.reading
    if reading is None:
        return ""
    parts = []
    for label, value in (("satisfaction", reading.satisfaction), ("relevance", reading.relevance)):
        if value is not None:
            parts.append(f"{label} {trimmed_number(value)}/5")
    if reading.completion_rate is not None:
        parts.append(f"completion {trimmed_number(reading.completion_rate * 100)}%")
    if bet.gain is not None:
        parts.append(f"assessment {trimmed_number(reading.pre_assessment)} -> "
                     f"{trimmed_number(reading.post_assessment)} (gain {trimmed_number(bet.gain)})")
    if reading.pass_rate is not None:
        parts.append(f"pass rate {trimmed_number(reading.pass_rate * 100)}%")
    if reading.observation is not None:
        moved = bet.chain.trend if bet.chain is not None else ""
        trend = f", {moved}" if moved in ("rising", "flat", "falling") else ""
        parts.append(f"manager observation {trimmed_number(reading.observation)}{trend}")
    if reading.hours is not None:
        parts.append(f"{trimmed_number(reading.hours)} training hours")
    if reading.participants is not None:
        parts.append(f"{reading.participants} participants")
    return f"{reading.period}: " + ", ".join(parts) if parts else ""
