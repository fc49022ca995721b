"""Replay one batch: compile the right policy once, rebuild the inputs, evaluate, explain differences.

Private helper of :mod:`budgetpolicy.audit.replay` (which documents batches
and modes); batches and their inputs are read by :mod:`budgetpolicy.audit.batches`. Compiled policies are cached by sha256, so a ledger of many
evaluations under a few policy versions compiles each version once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from attrs import evolve

from budgetpolicy.audit.batches import Batch, context_for, rebuild_initiative
from budgetpolicy.audit.entry import function_calls
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.engine.compile import CompiledPolicy, calibrate_initiative, compile_policy
from budgetpolicy.errors import LedgerError, Location
from budgetpolicy.engine.evaluation import Evaluation
from budgetpolicy.expr.calls import args_key, current_log, from_record, is_recorded, literal, to_record
from budgetpolicy.model import Decision, Explanation, Initiative, Policy
from budgetpolicy.plugins import build_registry
from budgetpolicy.policy.load import load_policy_text
from budgetpolicy.version import engine_version


class BatchRunner:
    def __init__(self, ledger: Ledger, target: Policy | None, mode: str, registry: Any) -> None:
        registry = registry or build_registry()
        self.registry = registry.without_sinks()  # a replay must not reach decision sinks again
        self.installed = dict(registry.plugin_versions())
        self.engine = engine_version()
        self.ledger, self.mode = ledger, mode
        self.compiled: dict[str, Any] = {}
        self.hermetic: dict[tuple[str, str], Any] = {}
        self.labels: dict[str, str] = {}
        self.drift: dict[str, tuple[str, str]] = {}
        # The batch being replayed, read by hermetic scorers: id -> (inputs it may be called with, lines).
        self.recorded: dict[str, tuple[tuple[Initiative, ...], dict[str, tuple[Decimal, str]]]] = {}
        # ...and read by hermetic plugin functions: (initiative id, function, arguments) -> recorded result,
        # and (function, arguments) -> the first result recorded in the batch (for the same call made
        # while no initiative is being decided).
        self.results: dict[tuple[str, str, str], Any] = {}
        self.any_results: dict[tuple[str, str], Any] = {}
        self.target = self._compile(target) if target is not None else None

    def _compile(self, policy: Policy) -> CompiledPolicy:
        return compile_policy(policy, self.registry)

    def recorded_policy(self, sha256: str) -> Any:
        if sha256 not in self.compiled:
            stored = self.ledger.stored_policy(sha256)
            policy = load_policy_text(stored.text, f"{self.ledger.path}#policy-{sha256[:12]}")
            self.compiled[sha256] = self._compile(policy)
            self.labels[sha256] = f"{policy.id} {policy.version}"
        return self.compiled[sha256]

    def run(self, batch: Batch) -> tuple[list[Initiative], Evaluation,
                                         Callable[[dict[str, Any], Decision], tuple[str, ...]]]:
        recorded = self.recorded_policy(batch.policy_sha256)
        compiled = self.target or recorded
        context = context_for(batch)
        initiatives = [rebuild_initiative(r, p, compiled.policy.attributes)
                       for r, p in zip(batch.records, batch.payloads)]
        self._note_drift(batch.payloads[0])
        if self.mode == "hermetic":
            compiled = self._hermetic(compiled, recorded, batch, initiatives, context)
        evaluation = compiled.evaluate(initiatives, context)
        if self.target is None:  # the engine hashed each input again for provenance: compare, for free
            self._check_inputs(batch, evaluation.decisions)
        return (initiatives, evaluation,
                lambda p, d: self._causes(compiled, p, d, evaluation.explanation(d.initiative_id)))

    @staticmethod
    def _check_inputs(batch: Any, decisions: Sequence[Decision]) -> None:
        for record, payload, decision in zip(batch.records, batch.payloads, decisions):
            expected = (payload["decision"].get("provenance") or {}).get("input_sha256")
            if expected and decision.provenance is not None and decision.provenance.input_sha256 != expected:
                raise LedgerError(f"record {record.seq} ({record.entry.initiative_id}): the input snapshot does not "
                                  f"rebuild the initiative the engine saw (input_sha256 differs)",
                                  Location(key=f"record {record.seq}", field="input"), code="BP842",
                                  hint="the record was written by an incompatible budgetpolicy")

    def _note_drift(self, payload: dict[str, Any]) -> None:
        plugins = (payload["decision"].get("provenance") or {}).get("plugins") or []
        for name, version in plugins:
            now = self.installed.get(name, "not installed")
            if now != version:
                self.drift[name] = (version, now)

    def _hermetic(self, compiled: Any, recorded: Any, batch: Any, initiatives: Sequence[Initiative],
                  context: Any) -> Any:
        key = (compiled.policy.source.sha256 if compiled.policy.source else "", batch.policy_sha256)
        if key not in self.hermetic:
            if compiled.records_calls:  # the rules call plugin functions: compile them to answer from the record
                compiled = compile_policy(compiled.policy, self._recorded_functions())
            same = {c.id: (c.scorer, c.params) for c in recorded.policy.scoring.criteria}
            criteria = tuple(evolve(cc, fn=self._recorded_scorer(cc)) if same.get(cc.criterion.id) ==
                             (cc.criterion.scorer, cc.criterion.params) else cc for cc in compiled.criteria)
            self.hermetic[key] = evolve(compiled, criteria=criteria)
        self.recorded, self.results, self.any_results = {}, {}, {}
        for record, payload, initiative in zip(batch.records, batch.payloads, initiatives):
            lines = {line["criterion"]: (Decimal(line["raw"]), line.get("detail", ""))
                     for line in payload["decision"].get("scores") or []}
            # Scorers see the calibrated initiative; counterfactuals call them with changed inputs.
            calibrated, _ = calibrate_initiative(compiled.policy, initiative, context.calibration)
            self.recorded[initiative.id] = ((initiative, calibrated), lines)
            for call in _recorded_calls(record, payload):
                found = (call["function"], args_key(call["args"]))
                result = _result(record, call)
                self.results[(initiative.id, *found)] = result
                self.any_results.setdefault(found, result)
        return self.hermetic[key]

    def _recorded_functions(self) -> Any:
        """The registry with every plugin function answering from the record (hermetic mode)."""
        functions = {name: evolve(reg, obj=self._recorded_function(name, reg.obj)) if is_recorded(reg.plugin)
                     else reg for name, reg in self.registry.functions.items()}
        return evolve(self.registry, functions=functions)

    def _recorded_function(self, name: str, live: Callable[..., Any]) -> Callable[..., Any]:
        def function(*args: Any) -> Any:
            call = (name, args_key([to_record(a) for a in args]))
            log = current_log()
            if log is not None and (log.initiative_id, *call) in self.results:
                return self.results[(log.initiative_id, *call)]
            if call in self.any_results:
                return self.any_results[call]
            return live(*args)  # a call the recorded run never made (e.g. a counterfactual probe's)
        return function

    def _recorded_scorer(self, cc: Any) -> Callable[[Initiative], object]:
        name, live = cc.criterion.id, cc.fn

        def scorer(initiative: Initiative) -> object:
            entry = self.recorded.get(initiative.id)
            if entry is not None and name in entry[1]:
                for seen in entry[0]:
                    if initiative is seen or initiative == seen:
                        return entry[1][name]
            return live(initiative)  # an input the recorded run never scored (e.g. a counterfactual probe)
        return scorer

    def function_difference(self, payload: dict[str, Any], decision: Decision) -> tuple[Any, Any] | None:
        """(recorded, replayed) plugin-function calls of a decision when they differ; None when they agree
        or the record keeps none (written before calls were recorded, or its rules called no plugin)."""
        if "functions" not in payload:
            return None
        replayed = function_calls(decision.calls)
        return None if replayed == payload["functions"] else (payload["functions"], replayed)

    def _causes(self, compiled: Any, payload: dict[str, Any], decision: Decision,
                explanation: Explanation) -> tuple[str, ...]:
        """Why a replayed decision differs, as far as its score lines and plugin-function calls tell: the
        criterion or the call, and the plugin behind it with its versions."""
        recorded_decision = payload["decision"]
        recorded = {line["criterion"]: line for line in recorded_decision.get("scores") or []}
        plugins = dict((recorded_decision.get("provenance") or {}).get("plugins") or [])
        by_criterion = {cc.criterion.id: cc.plugin for cc in compiled.criteria}
        causes = []
        for line in explanation.scores:
            before = recorded.get(line.criterion)
            if before is None or Decimal(before["raw"]) == line.raw:
                continue
            plugin = by_criterion.get(line.criterion, "?")
            causes.append(f"criterion '{line.criterion}' {before['raw']} -> {format(line.raw, 'f')}: scorer "
                          f"'{line.scorer}' from plugin '{plugin}' ({self._versions(plugin, plugins)})")
        causes += self._function_causes(payload, decision, plugins)
        engine = (recorded_decision.get("provenance") or {}).get("engine_version")
        if not causes and engine and engine != self.engine:
            causes.append(f"engine recorded {engine}, running {self.engine}")
        return tuple(causes)

    def _function_causes(self, payload: dict[str, Any], decision: Decision, plugins: dict[str, str]) -> list[str]:
        """Each recorded plugin-function call made again with the same arguments and another result."""
        recorded = payload.get("functions")
        if not recorded or not isinstance(recorded, list):
            return []
        replayed = {(c["function"], args_key(c["args"])): c["result"] for c in function_calls(decision.calls)}
        causes = []
        for call in recorded:
            try:
                now = replayed.get((call["function"], args_key(call["args"])), _MISSING)
                if now is _MISSING or now == call["result"]:
                    continue
                args = ", ".join(literal(from_record(a)) for a in call["args"])
                was, plugin = literal(from_record(call["result"])), str(call["plugin"])
            except (KeyError, TypeError, ValueError, ArithmeticError):
                continue  # not a call this budgetpolicy recorded: it explains nothing (the difference still shows)
            causes.append(f"function {call['function']}({args}) {was} -> {literal(from_record(now))}: "
                          f"registered by plugin '{plugin}' ({self._versions(plugin, plugins)})")
        return causes

    def _versions(self, plugin: str, recorded: dict[str, str]) -> str:
        was, now = recorded.get(plugin, "not recorded"), self.installed.get(plugin, "not installed")
        return f"recorded {was}, installed {now}" if was != now else f"version {now} unchanged"


_MISSING = object()


def _recorded_calls(record: Any, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """A record's plugin-function calls, checked for the shape ``entry.function_calls`` writes (BP841)."""
    calls = payload.get("functions", [])
    if isinstance(calls, list) and all(isinstance(c, dict) and isinstance(c.get("function"), str)
                                       and isinstance(c.get("args"), list) and "result" in c for c in calls):
        return calls
    raise LedgerError(f"record {record.seq} ({record.entry.initiative_id}) holds unreadable function calls",
                      Location(key=f"record {record.seq}", field="functions"), code="BP841",
                      hint="the record was written by an incompatible budgetpolicy")


def _result(record: Any, call: dict[str, Any]) -> Any:
    try:
        return from_record(call["result"])
    except (ValueError, ArithmeticError):
        raise LedgerError(f"record {record.seq} ({record.entry.initiative_id}): the recorded result of "
                          f"{call['function']}() is not an expression value", Location(key=f"record {record.seq}",
                          field="functions"), code="BP841",
                          hint="the record was written by an incompatible budgetpolicy") from None
