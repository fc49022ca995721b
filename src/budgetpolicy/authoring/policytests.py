"""Policy tests: expected decisions kept beside a policy, run by ``budgetpolicy test``.

A policy's tests are its ``[[tests]]`` tables plus the ``[[tests]]`` of a
sibling ``NAME_test.toml`` (which apply to ``NAME.toml``). Each test's
``initiative`` is converted exactly like a data-file record
(:func:`budgetpolicy.data.load.record_to_initiative`) and decided by the
compiled policy: scoring and approval only, so one test never depends on
another. A test that checks an allocation (``expect.allocation``,
``allocation_min``/``allocation_max``) or expects ``deferred`` runs a full
funding cycle over all the test initiatives *of the same file* together, the
way a real cycle competes for the pool. The evaluation time is the policy's
effective date (midnight UTC) so results never depend on the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen
from jsonschema import Draft202012Validator

from budgetpolicy.data.load import record_to_initiative
from budgetpolicy.engine.compile import CompiledPolicy, EvaluationContext, compile_policy
from budgetpolicy.engine.evaluation import Evaluation
from budgetpolicy.errors import BudgetPolicyError, Location, PolicyLoadError, UsageError
from budgetpolicy.model import Decision, FrozenMap, Initiative, PolicyTest
from budgetpolicy.plugins import build_registry
from budgetpolicy.policy.build import expectations, freeze
from budgetpolicy.policy.load import load_policy, parse_policy_data
from budgetpolicy.policy.locate import PolicyLocations, TomlLocator, format_key_path
from budgetpolicy.policy.schema import error_diagnostics, for_schema
from budgetpolicy.registry import Registry
from budgetpolicy.schema_errors import shipped_schema

TEST_SUFFIX = "_test.toml"
TEST_SCHEMA_NAME = "policy-test.schema.json"
_ALLOCATION_KEYS = ("allocation", "allocation_min", "allocation_max")
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"}


@frozen
class Suite:
    """A policy file and the test files whose tests apply to it (the policy itself when inline)."""

    policy: str
    test_files: tuple[str, ...]


@frozen
class Mismatch:
    key: str
    expected: str
    actual: str


@frozen
class CaseResult:
    file: str
    name: str
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None  # the test could not run (bad initiative record, duplicate id)
    decision: Decision | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mismatches

    @property
    def node_id(self) -> str:
        return f"{self.file}::{self.name}"


# ---------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------


def discover(paths: Sequence[str]) -> list[Suite]:
    """Suites for ``paths`` (policy files, ``*_test.toml`` files or directories), in path order.

    Raises UsageError for a path that does not exist or a test file without its policy.
    """
    suites: dict[str, set[str]] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{raw}: no such file or directory", Location(file=raw),
                             hint="pass policy files, NAME_test.toml files or directories")
        files = sorted(_toml_files(path)) if path.is_dir() else [path]
        for file in files:
            if file.name.endswith(TEST_SUFFIX):
                policy = file.with_name(file.name[: -len(TEST_SUFFIX)] + ".toml")
                if not policy.is_file():
                    raise UsageError(f"{file}: no policy {policy.name} beside this test file",
                                     Location(file=str(file)),
                                     hint=f"tests in NAME{TEST_SUFFIX} apply to NAME.toml in the same directory")
                suites.setdefault(str(policy), set()).add(str(file))
            elif path.is_dir() and not _has_tests(file):
                continue  # data files and policies without tests are not test suites
            else:
                sibling = file.with_name(file.stem + TEST_SUFFIX)
                entry = suites.setdefault(str(file), set())
                entry.add(str(file))
                if sibling.is_file():
                    entry.add(str(sibling))
    out = []
    for policy_file, test_files in suites.items():
        if policy_file not in test_files and _has_tests(Path(policy_file)):
            test_files.add(policy_file)
        ordered = sorted(test_files, key=lambda f: (f != policy_file, f))  # inline tests first
        out.append(Suite(policy_file, tuple(ordered)))
    return sorted(out, key=lambda s: s.policy)


def _toml_files(root: Path) -> Iterable[Path]:
    for path in root.rglob("*.toml"):
        if not any(part in _SKIP_DIRS or part.startswith(".") for part in path.relative_to(root).parts[:-1]):
            yield path


def _has_tests(file: Path) -> bool:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tests"), list) and "priorities" in data


# ---------------------------------------------------------------------------
# Test files
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _test_file_validator() -> Draft202012Validator:
    with open(shipped_schema(TEST_SCHEMA_NAME), encoding="utf-8") as fh:
        return Draft202012Validator(json.load(fh))


def load_test_file(path: str) -> tuple[PolicyTest, ...]:
    """The ``[[tests]]`` of a ``NAME_test.toml`` file, checked against ``schemas/policy-test.schema.json``
    (the file editors use through its ``#:schema`` line; its ``tests`` are the policy schema's)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyLoadError(f"cannot read test file: {exc}", Location(file=path), code="BP101",
                              hint="check the path and that the file is UTF-8") from None
    data = parse_policy_data(text, path)
    locator = TomlLocator(text)
    errors = _test_file_validator().iter_errors(for_schema(data))
    problems = error_diagnostics(errors, PolicyLocations(path, locator))
    if problems:
        raise PolicyLoadError(problems)
    return tuple(
        PolicyTest(name=t["name"], initiative=freeze(t["initiative"]), expect=expectations(t["expect"]),
                   location=Location(file=path, key=format_key_path(("tests", i)),
                                     line=locator.line_of(("tests", i))))
        for i, t in enumerate(data["tests"])
    )


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def run_suite(suite: Suite, registry: Registry | None = None) -> list[CaseResult]:
    """Run every test of ``suite``; raises PolicyLoadError when the policy or a test file is invalid.
    Without a ``registry``, the built-ins and the installed plugins allowed here are loaded."""
    # discover() names only files that exist, so the policy is a plain path (never path@REV).
    compiled = compile_policy(load_policy(suite.policy), registry or build_registry())
    results: list[CaseResult] = []
    for file in suite.test_files:
        tests = compiled.policy.tests if file == suite.policy else load_test_file(file)
        results.extend(run_tests(compiled, tests, file))
    return results


def run_tests(compiled: CompiledPolicy, tests: Sequence[PolicyTest], file: str) -> list[CaseResult]:
    """Decide each test's initiative with ``compiled`` and compare with its expectations."""
    policy = compiled.policy
    context = EvaluationContext(evaluated_at=dt.datetime.combine(policy.effective_date, dt.time(0),
                                                                 tzinfo=dt.timezone.utc))
    initiatives: dict[str, Initiative] = {}
    errors: dict[str, str] = {}
    for test in tests:
        try:
            initiatives[test.name] = test_initiative(test, policy.attributes)
        except BudgetPolicyError as exc:
            errors[test.name] = "; ".join(d.format() for d in exc.diagnostics) or str(exc)
    funding_cycle: Evaluation | None = None
    results: list[CaseResult] = []
    for test in tests:
        if test.name in errors:
            results.append(CaseResult(file, test.name, error=f"bad initiative record: {errors[test.name]}"))
            continue
        initiative = initiatives[test.name]
        allocates = needs_allocation(test.expect)
        try:
            if allocates and policy.allocation is None:
                results.append(CaseResult(file, test.name, error="the test expects an allocation but the policy "
                                          "has no [allocation] section"))
                continue
            if allocates:
                if funding_cycle is None:
                    funding_cycle = compiled.evaluate(tuple(initiatives.values()), context)
                decision = funding_cycle.decision(initiative.id)
            else:
                decision = compiled.decide(initiative, context)
        except BudgetPolicyError as exc:
            results.append(CaseResult(file, test.name, error="; ".join(d.format() for d in exc.diagnostics)))
            continue
        results.append(CaseResult(file, test.name, tuple(unmet_expectations(test.expect, decision)), decision=decision))
    return results


def needs_allocation(expect: Mapping[str, Any]) -> bool:
    return any(k in expect for k in _ALLOCATION_KEYS) or expect.get("outcome") == "deferred"


def test_initiative(test: PolicyTest, attribute_types: Mapping[str, str] | None = None) -> Initiative:
    """The test's initiative record as an Initiative; id and title default to the test name."""
    record = thaw(test.initiative)
    record.setdefault("id", test.name)
    record.setdefault("title", test.name)
    location = test.location.evolve(key=f"{test.location.key}.initiative" if test.location.key else "initiative")
    return record_to_initiative(record, location, attribute_types)


test_initiative.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite the name


def thaw(value: Any) -> Any:
    """FrozenMap/tuple -> dict/list, the shapes a parsed data file has."""
    if isinstance(value, (FrozenMap, Mapping)):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def unmet_expectations(expect: Mapping[str, Any], decision: Decision) -> list[Mismatch]:
    """Every expectation ``decision`` does not meet, in the schema's key order."""
    out: list[Mismatch] = []
    if "outcome" in expect and decision.outcome != expect["outcome"]:
        out.append(Mismatch("outcome", str(expect["outcome"]), decision.outcome))
    if "approvers" in expect and sorted(decision.required_approvers) != sorted(expect["approvers"]):
        out.append(Mismatch("approvers", _list(sorted(expect["approvers"])),
                            _list(sorted(decision.required_approvers))))
    if "flags" in expect:
        missing = [f for f in expect["flags"] if f not in decision.flags]
        if missing:
            out.append(Mismatch("flags", f"includes {_list(expect['flags'])}",
                                f"{_list(decision.flags)} (missing {_list(missing)})"))
    if "reasons" in expect:
        codes = [r.code for r in decision.reasons]
        missing = [r for r in expect["reasons"] if r not in codes]
        if missing:
            out.append(Mismatch("reasons", f"includes {_list(expect['reasons'])}",
                                f"{_list(codes)} (missing {_list(missing)})"))
    values = {"score": decision.score, "expected_value": decision.expected_value,
              "allocation": decision.allocation}
    for name, actual in values.items():
        if name == "allocation" and "allocation" in expect and actual != expect["allocation"]:
            out.append(Mismatch("allocation", f"= {expect['allocation']}", f"{actual}"))
        low, high = expect.get(f"{name}_min"), expect.get(f"{name}_max")
        if (low is not None and actual < low) or (high is not None and actual > high):
            out.append(Mismatch(name, _range(low, high), f"{actual}"))
    return out


def _list(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _range(low: Decimal | None, high: Decimal | None) -> str:
    if low is not None and high is not None:
        return f"in [{low}, {high}]"
    return f">= {low}" if low is not None else f"<= {high}"


def format_result(result: CaseResult) -> str:
    """The pytest-like line for one case, followed on failure by expected (-) vs actual (+)."""
    if result.passed:
        return f"{result.node_id} PASSED"
    lines = [f"{result.node_id} FAILED"]
    if result.error:
        lines.append(f"    error: {result.error}")
        return "\n".join(lines)
    for m in result.mismatches:
        lines.append(f"    - {m.key} {m.expected}")
        lines.append(f"    + {m.key} {m.actual}")
    d = result.decision
    if d is not None:
        reasons = "; ".join(f"{r.code}: {r.message}" for r in d.reasons) or "none"
        lines.append(f"    decision: {d.outcome}, score {d.score}, expected value {d.expected_value}, "
                     f"allocation {d.allocation if d.funding is not None else 'not run'}, approvers {_list(d.required_approvers)}; reasons: {reasons}")
    return "\n".join(lines)


def summary_line(results: Sequence[CaseResult]) -> str:
    """Exactly ``N passed, N failed``: CI parses it."""
    passed = sum(1 for r in results if r.passed)
    return f"{passed} passed, {len(results) - passed} failed"
