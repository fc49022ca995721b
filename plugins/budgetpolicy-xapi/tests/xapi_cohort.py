"""A cohort of learners whose statements are made by Rustici's ``tincan`` library, as a real LMS would,
and the plain-Python count that the plugin's numbers are checked against.

Nothing here carries budgetpolicy's own extension: the statements reach initiatives only through
the mapping (:data:`MAPPING`). Every verb and edge case of the issue is in the mix: registered,
launched, completed, passed, failed (tincan's failed statements carry ``result.completion: true``),
a retake that passes after a fail, voided completions, unknown verbs, raw-only scores, scores from
raw/min/max, and traffic on unmapped activities.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from collections.abc import Iterator

from tincan import Activity, Agent, Context, Result, Score, Statement, StatementRef, Verb

ADL = "http://adlnet.gov/expapi/verbs/"
UNKNOWN_VERB = "https://verbs.example.org/liked"
SALES = "https://lms.example.org/courses/sales-101"            # INI-001 by prefix: course, pre-test, post-test
BUDDY = "https://lms.example.org/programmes/buddy/"            # INI-010 by prefix: its weeks
BUDDY_CHECK = BUDDY + "final-check"                            # INI-010 by exact id: its own course
UNMAPPED = "https://lms.example.org/videos/cold-calling"

MAPPING = f'''# activity id (or prefix ending in *) -> initiative
[activities]
"{SALES}*" = "INI-001"
"{BUDDY}*" = "INI-010"
"{BUDDY_CHECK}" = "INI-010"

[assessments]
"{SALES}/pre-test" = "pre"
"{SALES}/post-test" = "post"
"{BUDDY_CHECK}" = "post"
'''
COURSE_OF = {SALES: SALES + "*", SALES + "/pre-test": SALES + "*", SALES + "/post-test": SALES + "*",
             BUDDY + "week-1": BUDDY + "*", BUDDY + "week-2": BUDDY + "*", BUDDY_CHECK: BUDDY_CHECK}
INITIATIVE_OF = {SALES + "*": "INI-001", BUDDY + "*": "INI-010", BUDDY_CHECK: "INI-010"}
PHASE_OF = {SALES + "/pre-test": "pre", SALES + "/post-test": "post", BUDDY_CHECK: "post"}
FATES = ("completed", "passed", "failed", "retake", "voided", "dropped")


class _Log:
    """Makes statements in order, with ids from a seeded generator (same seed, same statements)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.statements = rng, []

    def say(self, who: Agent, verb: str, target: Activity | StatementRef, when: dt.datetime,
            result: Result | None = None) -> Statement:
        s = Statement(id=uuid.UUID(int=self.rng.getrandbits(128), version=4), actor=who, verb=Verb(id=verb),
                      object=target, result=result, timestamp=when, context=Context(platform="Example LMS"))
        self.statements.append(s)
        return s


def cohort(seed: int = 20, learners: int = 40, year: int = 2026) -> list[Statement]:
    """Statements for ``learners`` people over two quarters, every learner's statements in one quarter."""
    rng = random.Random(seed)
    log = _Log(rng)
    for n in range(learners):
        who = Agent(name=f"Learner {n}", mbox=f"mailto:learner{n}@example.org")
        start = dt.datetime(year, rng.choice((1, 4)), rng.randint(1, 20), 9, tzinfo=dt.timezone.utc)
        ticks = iter([start + dt.timedelta(days=d) for d in range(0, 60)])
        sales = rng.random() < 0.6
        if sales:
            log.say(who, ADL + "registered", Activity(id=SALES), next(ticks))
            pre = Score(scaled=rng.randint(20, 70) / 100) if rng.random() < 0.5 else \
                Score(raw=rng.randint(4, 14), min=0, max=20)
            log.say(who, ADL + rng.choice(("passed", "failed")), Activity(id=SALES + "/pre-test"), next(ticks),
                    Result(score=pre, completion=True))
            course, post = SALES, SALES + "/post-test"
        else:
            log.say(who, ADL + "registered", Activity(id=BUDDY + "week-1"), next(ticks))
            log.say(who, ADL + "launched", Activity(id=BUDDY + "week-2"), next(ticks))
            course, post = BUDDY + "week-2", BUDDY_CHECK
        if rng.random() < 0.3:  # a quiz with points and no maximum: counted for its verb, score not used
            log.say(who, ADL + "scored", Activity(id=course), next(ticks), Result(score=Score(raw=rng.randint(1, 99))))
        if rng.random() < 0.2:
            log.say(who, UNKNOWN_VERB, Activity(id=post), next(ticks))
        if rng.random() < 0.2:
            log.say(who, ADL + "experienced", Activity(id=UNMAPPED), next(ticks))
        _fate(log, who, rng.choice(FATES), course, post, ticks, rng)
    return log.statements


def _fate(log: _Log, who: Agent, fate: str, course: str, post: str, ticks: Iterator[dt.datetime],
          rng: random.Random) -> None:
    out_of_50 = rng.random() < 0.5

    def result(low: int, high: int, success: bool) -> Result:
        value = rng.randint(low, high)
        score = Score(raw=value, min=0, max=50) if out_of_50 else Score(scaled=value / 50)
        # tincan's passed and failed statements both say completion: true; only passing is finishing.
        return Result(score=score, success=success, completion=True)

    if fate == "completed":
        log.say(who, ADL + "completed", Activity(id=course), next(ticks), Result(completion=True))
    elif fate == "passed":
        log.say(who, ADL + "passed", Activity(id=post), next(ticks), result(35, 50, True))
    elif fate == "failed":
        log.say(who, ADL + "failed", Activity(id=post), next(ticks), result(5, 30, False))
    elif fate == "retake":
        log.say(who, ADL + "failed", Activity(id=post), next(ticks), result(5, 30, False))
        log.say(who, ADL + "passed", Activity(id=post), next(ticks), result(35, 50, True))
    elif fate == "voided":
        done = log.say(who, ADL + "completed", Activity(id=course), next(ticks), Result(completion=True))
        log.say(Agent(mbox="mailto:admin@example.org"), ADL + "voided", StatementRef(id=done.id), next(ticks))


def as_json(statements: list[Statement]) -> str:
    """The statements as an LRS export: a JSON array, each statement as tincan writes it."""
    return "[" + ",\n".join(s.to_json() for s in statements) + "]"


# -- the independent count: plain Python over the statements as JSON, no plugin code ---------------------

def _quarter(timestamp: str) -> str:
    when = dt.datetime.fromisoformat(timestamp).astimezone(dt.timezone.utc)
    return f"{when.year}-Q{(when.month - 1) // 3 + 1}"


def _scaled(score: dict) -> Decimal | None:
    if "scaled" in score:
        return Decimal(score["scaled"])
    if "max" in score:
        return (Decimal(score["raw"]) - Decimal(score["min"])) / (Decimal(score["max"]) - Decimal(score["min"]))
    return None  # raw alone: no scale


def _q(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_EVEN)


def count(docs: list[dict]) -> dict:
    """What the statements say, counted directly: outcome records per (initiative, quarter), totals per
    (course, quarter), and the statements not counted, by kind."""
    voided_ids = {d["object"]["id"] for d in docs if d["verb"]["id"] == ADL + "voided"}
    live = [d for d in docs if d["verb"]["id"] != ADL + "voided" and d["id"] not in voided_ids]
    unknown = [d["id"] for d in live if d["object"]["id"] in COURSE_OF and d["verb"]["id"] == UNKNOWN_VERB]
    unmapped = [d for d in live if d["object"]["id"] not in COURSE_OF]
    raw_only = [d["id"] for d in live if d["object"]["id"] in COURSE_OF and d["verb"]["id"] != UNKNOWN_VERB
                and "score" in d.get("result", {}) and _scaled(d["result"]["score"]) is None]
    counted = sorted((d for d in live if d["object"]["id"] in COURSE_OF and d["verb"]["id"] != UNKNOWN_VERB),
                     key=lambda d: d["timestamp"])
    groups: dict[tuple, dict] = defaultdict(lambda: {"learners": set(), "done": set(), "verdict": {}, "score": {},
                                                     "pre": {}, "post": {}, "statements": 0})
    for d in counted:
        course = COURSE_OF[d["object"]["id"]]
        period, who, verb = _quarter(d["timestamp"]), d["actor"]["mbox"], d["verb"]["id"].rsplit("/", 1)[1]
        phase = PHASE_OF.get(d["object"]["id"])
        score = _scaled(d.get("result", {}).get("score", {"raw": 0}))
        for key in ((INITIATIVE_OF[course], period), (INITIATIVE_OF[course], course, period)):
            g = groups[key]
            g["statements"] += 1
            g["learners"].add(who)
            if verb in ("completed", "passed") and phase != "pre":
                g["done"].add(who)
            if verb in ("passed", "failed") and phase != "pre":
                g["verdict"][who] = verb == "passed"      # in time order: the latest stays
            if score is not None:
                g[phase or "score"][who] = score
                if phase == "post":
                    g["score"][who] = score
    records, courses = {}, {}
    for key, g in groups.items():
        rate = _q(Decimal(len(g["done"])) / len(g["learners"]), "0.0001")
        if len(key) == 2:
            record = {"initiative_id": key[0], "period": key[1], "completion_rate": rate}
            for phase in ("pre", "post"):
                if g[phase]:
                    record[f"{phase}_assessment"] = _q(sum(g[phase].values()) * 100 / len(g[phase]), "0.01")
            if g["verdict"]:
                record["pass_rate"] = _q(Decimal(sum(g["verdict"].values())) / len(g["verdict"]), "0.0001")
            record["participants"] = len(g["learners"])
            records[key] = record
        else:
            passed = sum(g["verdict"].values())
            courses[key] = {"learners": len(g["learners"]), "completed": len(g["done"]), "completion_rate": rate,
                            "statements": g["statements"], "passed": passed, "failed": len(g["verdict"]) - passed,
                            "pass_rate": _q(Decimal(passed) / len(g["verdict"]), "0.0001") if g["verdict"] else None,
                            "mean_scaled": _q(sum(g["score"].values()) / len(g["score"]), "0.0001")
                            if g["score"] else None}
    return {"records": records, "courses": courses, "voided": len(docs) - len(live), "unknown": unknown,
            "unmapped": len(unmapped), "raw_only": raw_only}
