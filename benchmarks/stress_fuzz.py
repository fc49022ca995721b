"""Fuzzed expressions and data rows (part of benchmarks/stress.py).

expressions: hypothesis draws condition texts from the expression grammar (names of the bundled
example's symbol table, numbers from tiny to huge, strings with any code point including lone
surrogates, every operator and built-in function, lists, indexing, conditionals), some of them then
damaged character by character. Each goes through ``compile_expression`` and, when it compiles, is
evaluated on five initiatives of the bundled example. An ExpressionError (or any BudgetPolicyError)
is a typed answer, counted by code; any other exception is an internal error. Every 500th text also
goes through the CLI as the condition of an extra rule: ``validate`` and ``evaluate`` (cli.main)
must not exit 3, and what ``validate`` accepts ``evaluate`` must not refuse with a BP3xx.

rows: rows of the bundled example's initiatives, CSV and JSON, each damaged in one way
(a hostile value in a field, a misspelt or unknown or missing or repeated column, a value of another
JSON type, a duplicate JSON key, deep nesting), one row per file, each through ``budgetpolicy
evaluate`` (cli.main). Exit 0 or a typed error (exit 2 with a BP code) are answers; exit 3 is a bug.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from stress import ROOT, Tally, time_up
from stress_kill import CODE, cli

from budgetpolicy.api import open_policy, read_initiatives
from budgetpolicy.engine.compile import registry_functions
from budgetpolicy.engine.symbols import initiative_env, initiative_symbols
from budgetpolicy.errors import BudgetPolicyError, Location
from budgetpolicy.expr import compile_expression

POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
JSON_ROWS = ROOT / "tests" / "data" / "fixtures" / "initiatives.json"

NAMES = ["cost", "kind", "department", "role", "mentor", "priorities", "forecast", "probability", "horizon",
         "headcount", "objectives", "pilot", "ratings", "attributes", "attributes.team_size",
         "attributes.manager_nominated", "score", "expected_value", "scores", "scores.impact", "title", "id",
         'forecast["win-rate"]', "ratings.feasibility", "priorities[0]", "priorities[-1]", "start", "nosuchname",
         "__class__", "True"]
FUNCTIONS = ["len", "min", "max", "abs", "round", "floor", "ceil", "clamp", "sum", "avg", "any", "all", "count",
             "lower", "upper", "startswith", "endswith", "contains", "coalesce", "nosuchfunction"]
BINARY = ["+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "not in"]
NUMBERS = ["0", "1", "-1", "0.5", "1e400", "9**9**9", "2**10**8", "10**64", "1" * 60, "0." + "0" * 40 + "1",
           "25_000", "1__0", "0x10", "١", "５", ".5", "5.", "-0"]


def _string_literal(text: str) -> str:
    quote = "\"" if "'" in text else "'"
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


LEAVES = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NUMBERS),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=-10**40, max_value=10**40).map(str),
    st.text(max_size=6).map(_string_literal),
    st.sampled_from(["true", "false", "null", "[]", "{}", "()"]),
)


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["not ", "-", "+", "not not "]), inner).map("".join),
        st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(["x", "keys", "__class__", "team_size"])).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} if {t[1]} else {t[2]}"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} < {t[1]} <= {t[2]}"),
    )


GRAMMAR = st.recursive(LEAVES, _grow, max_leaves=12)


@st.composite
def _damaged(draw: st.DrawFn) -> str:
    text = draw(GRAMMAR)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        how = draw(st.sampled_from(["delete", "insert", "insert", "repeat"]))
        if how == "delete":
            text = text[:at] + text[at + 1:]
        elif how == "insert":
            text = text[:at] + draw(st.characters(codec=None)) + text[at:]
        else:
            text = text[:at] + text[at:at + 3] * draw(st.integers(min_value=2, max_value=400)) + text[at:]
    return text


EXPRESSIONS = st.one_of(GRAMMAR, GRAMMAR, _damaged(), st.text(max_size=40))


def expressions(examples: int, seed: int) -> Tally:
    tally = Tally("expressions")
    tally.facts["size"] = f"{examples:,} expressions"
    compiled = open_policy(str(POLICY))
    symbols = initiative_symbols(compiled.policy)
    functions = registry_functions(compiled.registry)
    people = read_initiatives(str(INITIATIVES), compiled.registry, attribute_types=compiled.policy.attributes)[:5]
    envs = []
    for initiative in people:
        env = initiative_env(initiative, compiled.policy.attributes)
        scored = compiled.scored(initiative, _context())
        env.update(score=scored.total, expected_value=scored.expected_value, scores=scored.by_criterion(compiled.criteria))
        envs.append(env)
    where = Location(file="fuzz.toml", key="approval.rules[0].condition")
    seen = [0]
    tmp = tempfile.TemporaryDirectory(prefix="stress-expr-")
    small = Path(tmp.name) / "five.csv"
    small.write_text("".join(INITIATIVES.read_text().splitlines(keepends=True)[:6]))

    @settings(max_examples=examples, database=None, deadline=None, derandomize=False, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(text=EXPRESSIONS)
    def run(text: str) -> None:
        if time_up():
            raise _TimeUp
        seen[0] += 1
        try:
            expr = compile_expression(text, symbols, functions, where=where)
            tally.count("compiled")
            for env in envs:
                try:
                    expr(env)
                    tally.count("evaluated")
                except BudgetPolicyError as exc:
                    tally.count(f"typed error {exc.diagnostics[0].code} (evaluating)")
                    str(exc)
        except BudgetPolicyError as exc:
            tally.count(f"typed error {exc.diagnostics[0].code}")
            str(exc)  # the one line the CLI prints must be printable
        except BaseException as exc:  # noqa: BLE001 - every other exception is a bug to report
            if isinstance(exc, KeyboardInterrupt):
                raise
            tally.problem(f"internal error {type(exc).__name__}: {str(exc)[:120]} on {text[:200]!r}", internal=True)
        if seen[0] % 500 == 0:
            _through_cli(text, small, Path(tmp.name), tally)

    import hypothesis

    try:
        hypothesis.seed(seed)(run)()
    except _TimeUp:
        tally.facts["stopped_early"] = True
    tmp.cleanup()
    tally.count("examples run", seen[0])
    return tally


class _TimeUp(Exception):
    """Raised inside the hypothesis test when ``--minutes`` is used up (no shrinking phase runs)."""


def _context():
    from budgetpolicy.engine.compile import EvaluationContext

    return EvaluationContext(evaluated_at=dt.datetime(2026, 1, 15, 9, tzinfo=dt.timezone.utc))


def _through_cli(text: str, initiatives: Path, tmp: Path, tally: Tally) -> None:
    policy = tmp / "fuzz.toml"
    rule = f'\n[[approval.rules]]\nid = "fuzz"\ncondition = {json.dumps(text)}\neffect = "flag"\nmessage = "fuzz"\n'
    policy.write_bytes((POLICY.read_text() + rule).encode("utf-8", "surrogatepass"))
    codes = []
    for argv in (("validate", str(policy)), ("evaluate", "--policy", str(policy), "--initiatives", str(initiatives),
                                               "--evaluated-at", "2026-01-15T09:00:00+00:00", "--format", "json")):
        code, _, err = cli(*argv)
        codes.append(code)
        found = CODE.findall(err)
        tally.count(f"cli {argv[0]} exit {code}" + (f" {found[0]}" if found and code else ""))
        if code == 3 or "internal error" in err:
            tally.problem(f"cli {argv[0]} internal error: {err.strip()[:200]} on {text[:200]!r}", internal=True)
    if codes[0] == 0 and codes[1] == 2:
        tally.problem(f"validate accepts what evaluate refuses: {text[:200]!r}")


HOSTILE = ["", " ", "-0", "1e400", "-1e400", "NaN", "Infinity", "٣", "５", "1,000", "0x10", "1_000", "-1", "+5",
           "9" * 40, "0." + "0" * 30 + "1", "\x00", "a" * 20000, "true", "yes", "2026-13-01", "2026-Q5", ";;;",
           "win-rate;win-rate", "unknown-priority", "EUR", "usd", "\u202etxt", "=cmd|' /C calc'!A0", "1e-400",
           "0.1e1", " 5 ", "5\n6", "\"", "𝟓", "½", "∞"]
COLUMN_TYPOS = ["forecast.win-rat", "rating.feasibilty", "attr.team-size", "cots", "forecast.nosuch", "kpi.csat",
                "milestone.2026-Q9.win-rate", "priority", "Cost", " cost", "id ", ""]
JSON_VALUES: list[object] = [None, True, False, 0, -1, 1.5, 1e308, float("inf"), 10**40, "", [], {}, [[]], {"a": 1},
                             "1e400", "NaN", "٣", "x" * 20000, [1, 2, 3], {"win-rate": "high"}]


def _damage_csv(header: list[str], row: list[str], rng: random.Random) -> tuple[list[str], list[str], str]:
    header, row = list(header), list(row)
    how = rng.choice(["value", "value", "value", "typo", "unknown", "drop", "repeat"])
    at = rng.randrange(len(header))
    if how == "value":
        row[at] = rng.choice(HOSTILE) if rng.random() < 0.8 else "".join(chr(rng.randrange(1, 0x3000)) for _ in range(5))
    elif how == "typo":
        header[at] = rng.choice(COLUMN_TYPOS)
    elif how == "unknown":
        header.append(rng.choice(COLUMN_TYPOS))
        row.append(rng.choice(HOSTILE))
    elif how == "drop":
        del header[at], row[at]
    else:
        header.append(header[at])
        row.append(row[at])
    return header, row, f"{how} {header[at] if at < len(header) else ''}"


def _damage_json(item: dict, rng: random.Random) -> tuple[str, str]:
    item = dict(item)
    how = rng.choice(["value", "value", "hostile", "typo", "drop", "duplicate", "nest"])
    key = rng.choice(sorted(item))
    if how == "value":
        item[key] = rng.choice(JSON_VALUES)
    elif how == "hostile":
        item[key] = rng.choice(HOSTILE)
    elif how == "typo":
        item[rng.choice(COLUMN_TYPOS)] = item.pop(key)
    elif how == "drop":
        del item[key]
    elif how == "nest":
        depth = rng.choice([10, 1000, 100_000])
        return '{"initiatives": [' + json.dumps(item)[:-1] + f', "extra": {"[" * depth}{"]" * depth}' + "}]}", how
    text = json.dumps({"initiatives": [item]}, allow_nan=True)
    if how == "duplicate":  # the same key twice, the second with another value
        text = text[:-3] + f', {json.dumps(key)}: {json.dumps(rng.choice(JSON_VALUES), allow_nan=True)}' + "}]}"
    return text, f"{how} {key}"


def rows(count: int, seed: int) -> Tally:
    tally = Tally("rows")
    tally.facts["size"] = f"{count:,} rows ({count // 2:,} CSV, {count - count // 2:,} JSON)"
    rng = random.Random(seed + 2)
    header, *base = list(csv.reader(io.StringIO(INITIATIVES.read_text())))
    json_base = json.loads(JSON_ROWS.read_text())["initiatives"]
    with tempfile.TemporaryDirectory(prefix="stress-rows-") as tmp:
        for n in range(count):
            if time_up():
                tally.facts["stopped_early"] = True
                break
            tally.count("rows run")
            if n % 2 == 0:
                h, r, what = _damage_csv(header, rng.choice(base), rng)
                out = io.StringIO()
                csv.writer(out).writerows([h, r])
                path = Path(tmp) / "row.csv"
                path.write_bytes(out.getvalue().encode("utf-8", "surrogatepass"))
            else:
                text, what = _damage_json(rng.choice(json_base), rng)
                path = Path(tmp) / "row.json"
                path.write_bytes(text.encode("utf-8", "surrogatepass"))
            code, _, err = cli("evaluate", "--policy", str(POLICY), "--initiatives", str(path),
                               "--evaluated-at", "2026-01-15T09:00:00+00:00", "--format", "json")
            kind = path.suffix[1:]
            if code == 3 or "internal error" in err:
                tally.problem(f"{kind} row {n} ({what}): {err.strip()[:200]}", internal=True)
            elif code == 0:
                tally.count(f"{kind}: accepted")
            else:
                found = CODE.findall(err)
                tally.count(f"{kind}: typed error {found[0] if found else f'exit {code}'}")
                if len(err.strip().splitlines()) < 1 or not re.search(r"row|\[|:", err):
                    tally.problem(f"{kind} row {n} ({what}): error without a place: {err.strip()[:200]}")
    return tally
