"""The mutation run's figures per package (`make mutation` prints them; docs/reliability.md keeps them).

    python benchmarks/stress_mutation.py            # after `mutmut run`, from the repository root
    python benchmarks/stress_mutation.py --sample mutants/sample.txt   # only the mutants of a sampled run
    python benchmarks/stress_mutation.py --record-read   # after reading new EQUIVALENT entries against the code

Reads ``mutmut results --all true`` and prints, per package (engine, allocation, review), how many
mutants were killed, survived, timed out, had no test covering them, or were not checked (a run cut
short), and the score: (killed + timeout) / (killed + timeout + survived), over the mutants that ran.
Mutants listed in EQUIVALENT behave exactly like the original code; they are counted apart, each with
its reason, and left out of the score, as long as the function they were read in is unchanged: a mutant's
number follows its function's code, so after an edit ``mutmut_12`` may be another mutation. Each
function's fingerprint (its signature and body in mutmut's copy) is kept in
``mutation_equivalents_read.json``; an entry whose function no longer matches is counted as what mutmut
says of it, and named, until it is read again and ``--record-read`` run. When ``mutation_wide.py kill``
has run, a mutant mutmut left survived (or reached by none of its selected tests) that another test of the
suite fails is counted "killed by the suite", and one the suite reaches without a failure "survived".
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import functools
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

# Mutant name patterns (fnmatch) -> why no test can tell the mutant from the original.
EQUIVALENT = {
    # decimal's default context rounds half-even and budgetpolicy never changes it, so
    # quantize(q, None) / quantize(q) round exactly as quantize(q, ROUND_HALF_EVEN).
    "budgetpolicy.review.calibrate.x_calibrate__mutmut_46": "quantize rounding None = the context's half-even",
    "budgetpolicy.review.calibrate.x_calibrate__mutmut_48": "quantize rounding omitted = the context's half-even",
    "budgetpolicy.review.calibrate.x_normalise_ratings__mutmut_70": "quantize rounding None = the context's half-even",
    "budgetpolicy.review.calibrate.x_normalise_ratings__mutmut_72": "quantize rounding omitted = the context's half-even",
    "budgetpolicy.review.milestones.x__text__mutmut_7": "quantize rounding None = the context's half-even",
    "budgetpolicy.review.milestones.x__text__mutmut_9": "quantize rounding omitted = the context's half-even",
    # w * 1 and w / 1 are the same Decimal.
    "budgetpolicy.review.calibrate.x_calibrate__mutmut_50": "w / ONE == w * ONE",
    # sum() of a non-empty list of Decimals starts from int 0 or Decimal 0 to the same Decimal.
    "budgetpolicy.review.calibrate.x__mean_sd__mutmut_8": "sum(values) == sum(values, ZERO) for Decimals",
    "budgetpolicy.review.calibrate.x__mean_sd__mutmut_14": "sum(values) == sum(values, ZERO) for Decimals",
    # format(d, "F") == format(d, "f") for finite Decimals; _text_exact never returns an exponent form
    # that format(d, "f") and str(d) would print differently after the 4-place quantize.
    "budgetpolicy.review.milestones.x__text__mutmut_13": "format 'F' == 'f' for finite Decimals",
    # scipy's linprog defaults to HiGHS and reads the method name case-insensitively.
    "budgetpolicy.allocation.optimal.x__duals__mutmut_35": "linprog's default method is 'highs'",
    "budgetpolicy.allocation.optimal.x__duals__mutmut_44": "linprog lower-cases the method name",
    # The one-sweep path and the bare closure are speed-ups: without them (evaluators None, never sweep,
    # evaluate None) the engine falls back to the rule-by-rule run through CompiledExpression, with the
    # same results, only slower (the benchmarks, not the tests, see it).
    "budgetpolicy.engine.approve.xǁRuleSetǁof__mutmut_2": "speed-up only: falls back to rule by rule",
    "budgetpolicy.engine.approve.xǁRuleSetǁof__mutmut_3": "speed-up only: falls back to rule by rule",
    "budgetpolicy.engine.approve.xǁCompiledRuleǁof__mutmut_36": "speed-up only: falls back to CompiledExpression",
    "budgetpolicy.engine.score.x_compile_scoring__mutmut_6": "sum(values) == sum(values, ZERO) for Decimals",
    # The two Skipped values are built when the module is imported, before any mutant is active:
    # mutmut's trampoline cannot switch code that runs at import time.
    "budgetpolicy.engine.approve.xǁSkippedǁ__init____mutmut_1": "runs at import, before a mutant can be active",
    # _force_text is called only for a rule not in force, so as_of == effective_from never reaches it
    # (in_force is true on the start date itself).
    "budgetpolicy.engine.approve.x__force_text__mutmut_3": "as_of == effective_from is in force: never reaches _force_text",
    # Run of 2026-12-01 (engine): each checked by hand against the code.
    "budgetpolicy.engine.score.x_score_initiative__mutmut_4[1379]": "quantize rounding None/omitted = the context's half-even",
    "budgetpolicy.engine.score.x_score_lines__mutmut_2[79]": "quantize rounding None/omitted = the context's half-even",
    "budgetpolicy.engine.score.x_score_lines__mutmut_4[68]": "quantize rounding None/omitted = the context's half-even",
    # Sample of the second session, each read against the code: the same rounding, a memo one entry larger.
    "budgetpolicy.engine.score.xǁScoreProgramǁ_entry__mutmut_35": "quantize rounding omitted = the context's half-even",
    "budgetpolicy.engine.score.xǁScoreProgramǁ_entry__mutmut_38": "quantize rounding None = the context's half-even",
    "budgetpolicy.engine.score.xǁScoreProgramǁ_entry__mutmut_49": "the memo may hold one entry more: the same answers",
    # _decide_many's inline sweep is a speed-up: no remembered pattern (None, or a lookup that raises) falls
    # back to decide(), which gives the same decision.
    "budgetpolicy.engine.compile.xǁCompiledPolicyǁ_decide_many__mutmut_3[124]": "speed only: falls back to decide()",
    # sum() of Decimals from int 0 is the same Decimal; over no fundings, 0 == Decimal(0) and prints "0".
    "budgetpolicy.allocation.allocate.x__checked__mutmut_24": "sum(amounts) == sum(amounts, Decimal(0))",
    "budgetpolicy.review.realise.x_realise__mutmut_90": "quantize rounding None = the context's half-even",
    "budgetpolicy.review.realise.x_realise__mutmut_97": "quantize rounding None = the context's half-even",
    # Decimal(str(d)) is d, exponent and sign included: str() of a Decimal round-trips exactly.
    "budgetpolicy.review.realise.x_kpi_lifts__mutmut_11": "Decimal(str(d)) == d, digit for digit",
    # _QUANTA holds precision 0..28; the fallback is reached only above 28, which the schema refuses
    # (and decimal's 28-digit context could not quantize to).
    "budgetpolicy.engine.score.x__quantum__mutmut_[1-6]": "fallback only for precision > 28, refused by the schema",
    # A score of exactly 0 or 1 leaves the fast path for _checked, which returns the same Decimal.
    "budgetpolicy.engine.score.x__value__mutmut_1[67]": "the slow path gives the same Decimal at 0 and 1",
    # split(".") and split(".", 2) give the same head as split(".", 1).
    "budgetpolicy.engine.compile.xǁCompiledPolicyǁof__mutmut_7": "the same head",
    "budgetpolicy.engine.compile.xǁCompiledPolicyǁof__mutmut_10": "the same head",
    "budgetpolicy.engine.symbols.xǁConditionEnvǁ__init____mutmut_5": "the same head",
    "budgetpolicy.engine.symbols.xǁConditionEnvǁ__init____mutmut_8": "the same head",
    # reads_scores true for (almost) every policy: the hot-path environment always carries the scores map.
    "budgetpolicy.engine.compile.xǁCompiledPolicyǁof__mutmut_12": "speed only: the scores map is always built",
    # A built-in function's calls are never recorded, so opening a call log for one records nothing.
    "budgetpolicy.engine.compile.xǁCompiledPolicyǁof__mutmut_19": "a log opened for built-ins stays empty",
    # Without the declared names, a declared attribute a row lacks is missing from the map, and reading a
    # missing key of a map gives null: what the declared-but-absent None gives.
    "budgetpolicy.engine.compile.xǁCompiledPolicyǁof__mutmut_44": "a missing key reads null, like a declared None",
    # attrgetter("id") alone returns a string, zipped with no names: the same empty environment.
    "budgetpolicy.engine.symbols.xǁConditionEnvǁ__init____mutmut_16": "zip with no names is empty",
    # `known` is a shortcut: the environment binds the head of every name a condition or a reason
    # template reads, so the `path[0] in env` test that follows decides the same.
    "budgetpolicy.engine.approve.xǁCompiledRuleǁof__mutmut_1[79]": "shortcut: path[0] in env decides the same",
    "budgetpolicy.engine.approve.xǁCompiledRuleǁof__mutmut_2[2345]": "shortcut: path[0] in env decides the same",
    # Sample of the third session (commit 3ee2816), each read against the code.
    # A second "id" key changes no order: ids are unique, and the ranking reads the keys before the first "id".
    "budgetpolicy.allocation.problem.x__rank_keys__mutmut_3": "a second 'id' tie-break key orders nothing",
    # Every zero-cost request gets the same ratio (0 or 1) and the last stable sort moves them all first.
    "budgetpolicy.allocation.problem.x__rank_order__mutmut_38": "zero-cost requests rank first whatever ratio",
    # A list of zeros holds what an array of zeros holds; only the memory differs.
    "budgetpolicy.allocation.problem.x_zeros__mutmut_3": "a list of ints for an array of the same ints",
    # value_label is read only through .startswith("EV").
    "budgetpolicy.allocation.problem.x_prepare__mutmut_169": "value_label is only tested for its 'EV' prefix",
    # last_funded is compared only as `last > pos`, pos >= 0: -1 and -2 both mean "none".
    "budgetpolicy.allocation.greedy.x_greedy_allocate__mutmut_17": "-1 and -2 are both below every position",
    # `codes` memoises out.code(limit); a missed key falls back to computing it.
    "budgetpolicy.allocation.greedy.x_greedy_allocate__mutmut_122": "speed only: the memo's miss computes it",
    "budgetpolicy.allocation.greedy.x_greedy_allocate__mutmut_135": "speed only: the memo's miss computes it",
    # Decimal("INFINITY") is Decimal("Infinity"): the spelling is case-insensitive.
    "budgetpolicy.review.reallocate.x__cap_room__mutmut_5": "Decimal('INFINITY') == Decimal('Infinity')",
    # compile_policy gives every error diagnostic without a file the policy's file (BP230 and BP505 are errors).
    "budgetpolicy.engine.score.x_compile_scoring__mutmut_75": "compile_policy fills in the file of an error",
    "budgetpolicy.engine.score.x_compile_scoring__mutmut_94": "compile_policy fills in the file of an error",
    "budgetpolicy.engine.approve.xǁRuleSetǁrun__mutmut_28": "the memo may hold one entry more: the same answers",
    # A bare closure that raises (given None for the environment) falls back: the sweep to the rule-by-rule
    # run, a rule's closure to its CompiledExpression call, each with the same values.
    "budgetpolicy.engine.approve.xǁRuleSetǁoutcomes__mutmut_6": "speed-up only: falls back to rule by rule",
    "budgetpolicy.engine.approve.xǁRuleSetǁoutcomes__mutmut_27": "speed-up only: falls back to CompiledExpression",
    # ScoreProgram's memos: a lookup that misses (None as the key, or recomputing a -0 check on another
    # field) computes the same entry again.
    "budgetpolicy.engine.score.xǁScoreProgramǁ__call____mutmut_19": "speed only: the memo's miss computes it",
    "budgetpolicy.engine.score.xǁScoreProgramǁ__call____mutmut_40": "speed only: the memo's miss computes it",
    "budgetpolicy.engine.score.xǁScoreProgramǁ__call____mutmut_64": "speed only: the memo's miss computes it",
    # ScoreProgram.scale was set and never read (removed after this run).
    "budgetpolicy.engine.score.xǁScoreProgramǁ__init____mutmut_6": "an attribute nothing read (since removed)",
    # The records helpers' defaults are never used: Evaluation.to_records / to_pandas always pass theirs.
    "budgetpolicy.engine.records.x_decision_records__mutmut_1": "a default no caller uses",
    "budgetpolicy.engine.records.x_records_frame__mutmut_1": "a default no caller uses",
    # Fourth session, each read against the code. A cost of 0 with a positive allocation already meets
    # `allocation >= cost`, so `cost < 0` and `cost <= 0` return the same whole share.
    "budgetpolicy.review.milestones.x_funded_share__mutmut_5": "cost 0 is caught by allocation >= cost",
    # Without [requests] the purse's `left` is set to the quarter's release before anything reads it.
    "budgetpolicy.review.quarterly.x_review__mutmut_66": "purse.left is assigned before its first read",
    # A bet not plan-held is held only through a held move, so `waiting` is never empty there: a sum from
    # int 0 is the same Decimal.
    "budgetpolicy.review.reallocate.x_release_unsigned__mutmut_26": "sum of a non-empty list from int 0",
    # `bad` is read only as `if bad:`, where "" and None are both false.
    "budgetpolicy.allocation.optimal.x__check_exact__mutmut_1": "'' and None are both false in `if bad:`",
    # build_result never read its `candidates` (the problem holds them): the parameter was removed after this run.
    "budgetpolicy.allocation.optimal.x_optimal_allocate__mutmut_170": "a parameter nothing read (since removed)",
    # The grouping key's side: "up" or None both take the else branch ("up") of the fixing loop.
    "budgetpolicy.allocation.milp.x__fix_by_group__mutmut_34": "None and 'up' take the same branch",
    # Every candidate column is in the pool row, so `pattern` has every k: get(k) never needs its default.
    "budgetpolicy.allocation.milp.x__fix_by_group__mutmut_47": "every candidate is in the pool row",
    "budgetpolicy.allocation.milp.x__fix_by_group__mutmut_36": "'UP' and 'up' take the same branch",
    # A candidate's funded units include what its baseline and the reserve paid, so `from_base and from_res`
    # adds nothing to `funded or ...`: a candidate with either is funded already.
    "budgetpolicy.allocation.result.x__summary__mutmut_66": "funded units include the baseline's and reserve's",
    # The ranked pass never stops a candidate at the reserve (stopped_by names the pool, a cap or a baseline),
    # so `limit and LIMIT_POOL` words the same "the pool" as `limit or LIMIT_POOL`.
    "budgetpolicy.allocation.wording.x_explain__mutmut_78": "limit is never 'reserve' there: 'the pool' either way",
    # _duals' default is used only with no items, and a model without items has no columns (returned before).
    "budgetpolicy.allocation.optimal.x__duals__mutmut_17": "max()'s default is never used: no items, no columns",
}
PACKAGES = ("engine", "allocation", "review")
READ = Path(__file__).with_name("mutation_equivalents_read.json")


def function_of(mutant: str) -> str:
    return re.sub(r"__mutmut_\d+$", "", mutant)


@functools.lru_cache(maxsize=None)
def _module(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def fingerprint(function: str, mutants: Path = Path("mutants")) -> str | None:
    """The function's code (signature and body, no positions) in mutmut's copy under ``mutants``, hashed; None
    when it is not there. mutmut keeps each mutated function's original as ``<name>__mutmut_orig``."""
    *module, name = function.split(".")
    tree = _module(mutants / "src" / Path(*module).with_suffix(".py"))
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == f"{name}__mutmut_orig":
            code = [ast.dump(node.args), *(ast.dump(statement) for statement in node.body)]
            if node.returns is not None:
                code.append(ast.dump(node.returns))
            return hashlib.sha256("\n".join(code).encode("utf-8")).hexdigest()[:16]
    return None


def record_read(names: list[str], mutants: Path = Path("mutants"), out: Path = READ) -> int:
    """Write the fingerprint of every function an EQUIVALENT entry names among ``names`` (mutmut's mutants)."""
    read = {f: fingerprint(f, mutants) for f in sorted({function_of(n) for n in names if equivalent_reason(n)})}
    out.write_text(json.dumps(read, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(read)


def still_read(mutant: str, read: dict[str, str | None], mutants: Path = Path("mutants")) -> bool:
    """Whether ``mutant``'s function is the code its EQUIVALENT entry was read against."""
    function = function_of(mutant)
    return function in read and read[function] is not None and read[function] == fingerprint(function, mutants)


def equivalent_reason(name: str) -> str | None:
    for pattern, reason in EQUIVALENT.items():
        if fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", metavar="FILE", help="count only the mutants named in FILE (one per line): "
                        "the seeded sample a run was given")
    parser.add_argument("--record-read", action="store_true", help=f"record the code of every function an "
                        f"EQUIVALENT entry names (in {READ.name}), once the entries were read against it")
    args = parser.parse_args()
    sample = set(Path(args.sample).read_text(encoding="utf-8").split()) if args.sample else None
    mutmut = Path(sys.executable).with_name("mutmut")  # the one installed beside this Python
    out = subprocess.run([str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    if args.record_read:
        names = [line.strip().rpartition(": ")[0] for line in out.splitlines()]
        print(f"{record_read([n for n in names if n.startswith('budgetpolicy.')])} functions recorded in {READ}")
        return 0
    read = json.loads(READ.read_text(encoding="utf-8")) if READ.exists() else {}
    stale: set[str] = set()
    wide_file = Path("mutants") / "wide-results.json"  # mutation_wide.py's second pass, if it ran
    wide = json.loads(wide_file.read_text(encoding="utf-8")) if wide_file.exists() else {}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name.startswith("budgetpolicy.") or (sample is not None and name not in sample):
            continue
        package = name.split(".")[1]
        second = wide.get(name, {}).get("status")
        if status in ("survived", "no tests", "not checked") and second in ("killed", "timeout"):
            status = "killed by the suite"  # mutmut's selection missed it; another test of the suite fails
        elif status in ("no tests", "not checked") and second in ("survived", "stopped"):
            status = "survived"  # the suite reaches it, and nothing fails
        elif status == "not checked" and second == "no tests":
            status = "no tests"  # mutmut did not run it (a run stopped early); no test of the suite reaches it
        elif status == "survived" and wide and second is None:
            status = "survived, not rechecked"  # the second pass did not reach it
        if status.startswith("survived") and equivalent_reason(name):
            if still_read(name, read):
                status = "equivalent"
            else:
                stale.add(function_of(name))
        counts[package][status] += 1
    print("| package | killed | killed by the suite | survived | survived, not rechecked | timeout | equivalent "
          "| no tests | not checked | score | estimate |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    total: Counter[str] = Counter()
    for package in PACKAGES:
        c = counts[package]
        total.update(c)
        print(_row(package, c))
    print(_row("all", total))
    if stale:
        print(f"\n{len(stale)} function(s) changed since their EQUIVALENT entries were read; those mutants are "
              f"counted as mutmut says: {', '.join(sorted(stale))}. Read them again, then run --record-read.")
    return 0


def _row(label: str, c: Counter[str]) -> str:
    """Score: caught over ran, a survivor not rechecked counted as survived (a lower bound). Estimate: such
    survivors caught at the rate the rechecked ones were (the second pass takes them in random order)."""
    caught = c["killed"] + c["killed by the suite"] + c["timeout"]
    pending = c["survived, not rechecked"]
    ran = caught + c["survived"] + pending
    score = f"{100 * caught / ran:.1f}%" if ran else "-"
    rechecked = c["killed by the suite"] + c["survived"]
    estimate = "-"
    if ran and pending and rechecked:
        estimate = f"{100 * (caught + pending * c['killed by the suite'] / rechecked) / ran:.1f}%"
    elif ran:
        estimate = score
    return (f"| {label} | {c['killed']:,} | {c['killed by the suite']:,} | {c['survived']:,} | {pending:,} "
            f"| {c['timeout']:,} | {c['equivalent']:,} | {c['no tests']:,} | {c['not checked']:,} | {score} "
            f"| {estimate} |")


if __name__ == "__main__":
    sys.exit(main())
