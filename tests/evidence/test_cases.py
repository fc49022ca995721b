"""Case-study drafts: the most and least successful bets by realisation, with their evidence."""

from __future__ import annotations

from bets_helpers import bet

from budgetpolicy.evidence.cases import cases, chain_words, evidence_lines


def test_top_and_bottom_by_realisation_never_the_same_bet_twice():
    bets = [bet("A", realisation="1.5"), bet("B", realisation="0.2"), bet("C", realisation="0.9"),
            bet("D"), bet("E", realisation="1.5")]
    picked = [(c.kind, c.bet.initiative.id) for c in cases(bets)]
    # D has no realisation; ties (A, E at 1.5) by id
    assert picked == [("success", "A"), ("success", "E"), ("non-success", "B"), ("non-success", "C")]
    few = [(c.kind, c.bet.initiative.id) for c in cases(bets[:3])]
    assert few == [("success", "A"), ("success", "C"), ("non-success", "B")]


def test_a_drafts_evidence_in_words():
    b = bet("A", realisation="1.5", completion="0.8", pre="50", post="70", spent="600", planned="1000",
            decision="scale up (proven in 2026-Q2): proven")
    (case,) = cases([b], n=1)
    lines = dict(evidence_lines(case, "USD"))
    assert lines["Realisation"] == "1.5 in 2026-Q2 (1 quarter(s) measured)"
    assert lines["Forecast vs realised"] == "win-rate: forecast 2, due 2, realised 3"
    assert lines["Spend"] == "USD 600 spent of 1,000 allocated (planned 1,000)"
    assert lines["Learning chain"] == "2026-Q2: completion 80%, assessment 50 -> 70 (gain 20)"
    assert lines["Decision"] == "scale up (proven in 2026-Q2): proven"
    assert chain_words(bet("Z")) == ""  # a reading with nothing of the chain in it
    assert case.questions[0].startswith("What did participants do differently")


def test_the_chain_words_name_reaction_hours_and_participants_when_read():
    b = bet("A", realisation="1", satisfaction="4.2", hours="6", participants=12, completion="0.9")
    assert chain_words(b) == "2026-Q2: satisfaction 4.2/5, completion 90%, 6 training hours, 12 participants"
