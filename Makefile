# Two commands matter: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLE_POLICY      := policies/acme-2026.toml
EXAMPLE_INITIATIVES := policies/acme-2026.initiatives.csv
EXAMPLE_OUTCOMES    := policies/acme-2026.outcomes.csv
EXAMPLE_LEARNING    := policies/acme-2026.learning.csv
EXAMPLE_REQUESTS    := policies/acme-2026.requests.csv
EXAMPLE_KPIS        := policies/acme-2026.kpis.csv
DEMO_LEDGER         := out/ledger.db

.PHONY: demo test bench browser clean mutation

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' $(foreach p,$(wildcard plugins/*/pyproject.toml),-e $(dir $(p)))
	# Bytecode as a regular install has it (an editable install compiles nothing, and some machines set
	# PYTHONDONTWRITEBYTECODE): every command then starts without compiling the package from source.
	$(BIN)/python -m compileall -q src/budgetpolicy
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/budgetpolicy validate $(EXAMPLE_POLICY)
	$(BIN)/budgetpolicy evaluate --policy $(EXAMPLE_POLICY) --initiatives $(EXAMPLE_INITIATIVES)
	$(BIN)/budgetpolicy review --policy $(EXAMPLE_POLICY) --initiatives $(EXAMPLE_INITIATIVES) \
	  --outcomes $(EXAMPLE_OUTCOMES) --outcomes $(EXAMPLE_LEARNING) --kpis $(EXAMPLE_KPIS) --period 2026-Q3
	# The budget year: the plan recorded in a fresh ledger; INI-009 signed by both roles it requires
	# (vp, then finance: its money moves from earmarked to allocated), the other pending bets by a vp
	# (the example readings record spend on all of them); and where the money stands.
	mkdir -p out
	rm -f $(DEMO_LEDGER) $(DEMO_LEDGER)-wal $(DEMO_LEDGER)-shm
	$(BIN)/budgetpolicy evaluate --policy $(EXAMPLE_POLICY) --initiatives $(EXAMPLE_INITIATIVES) \
	  --evaluated-at 2026-01-15T09:00:00+00:00 --ledger $(DEMO_LEDGER) --format csv --output out/plan.csv
	$(BIN)/budgetpolicy approve $(DEMO_LEDGER) INI-009 --role vp --by e1042 --at 2026-01-20T10:00:00+00:00
	$(BIN)/budgetpolicy approve $(DEMO_LEDGER) INI-009 --role finance --by e2210 --at 2026-01-21T08:30:00+00:00 \
	  --note "fits the Q1 sales plan"
	for id in INI-001 INI-002 INI-011 INI-021; do \
	  $(BIN)/budgetpolicy approve $(DEMO_LEDGER) $$id --role vp --by e1187 --at 2026-01-22T09:00:00+00:00 || exit 1; \
	done
	# The quarterly reviews read the record: the plan and earlier quarters from the ledger, each quarter's
	# readings from two sources merged per initiative and quarter (KPIs, spend and assessments from the
	# outcomes file; satisfaction, relevance, pass rate, hours and participants from the learning
	# system's export), recorded in order (every reading's spend reconciled).
	$(BIN)/budgetpolicy review --ledger $(DEMO_LEDGER) -O $(EXAMPLE_OUTCOMES) -O $(EXAMPLE_LEARNING) \
	  --period 2026-Q1 --evaluated-at 2026-04-02T09:00:00+00:00 >/dev/null
	$(BIN)/budgetpolicy review --ledger $(DEMO_LEDGER) -O $(EXAMPLE_OUTCOMES) -O $(EXAMPLE_LEARNING) \
	  --period 2026-Q2 --evaluated-at 2026-07-02T09:00:00+00:00 >/dev/null
	# Q3 also takes three new requests (the initiatives the plan does not decide): decided by the plan's
	# policy, each its own ledger event, competing with the plan's waiting bets for the released money.
	# Q3 funds INI-032 (deferred in the plan) with 40,000: over 25,000, so the approval rules want a VP,
	# and the money stays earmarked until one signs.
	$(BIN)/budgetpolicy review --ledger $(DEMO_LEDGER) -O $(EXAMPLE_OUTCOMES) -O $(EXAMPLE_LEARNING) \
	  --period 2026-Q3 --initiatives $(EXAMPLE_REQUESTS) --evaluated-at 2026-10-02T09:00:00+00:00 >/dev/null
	$(BIN)/budgetpolicy approve $(DEMO_LEDGER) INI-032 --role vp --by e1187 --at 2026-10-05T09:00:00+00:00 \
	  --note "Q3 reallocation of 40,000 to the analytics academy"
	$(BIN)/budgetpolicy ledger positions $(DEMO_LEDGER) --period 2026-Q3
	# The living document of the year, from the ledger alone: Markdown and a self-contained HTML page.
	# With the organisation's KPI actuals: KPI progress, attributed lifts, plan versus actual, case drafts.
	$(BIN)/budgetpolicy report --ledger $(DEMO_LEDGER) --kpis $(EXAMPLE_KPIS) -o out/year.md
	$(BIN)/budgetpolicy report --ledger $(DEMO_LEDGER) --kpis $(EXAMPLE_KPIS) -o out/year.html
	@echo "the year's report: out/year.md and out/year.html"

# Headless Chromium checks the HTML report; installed from Debian's packages when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "note: chromium not installed; the browser test will say why it is skipped")

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 -q tests $(wildcard plugins/*/tests)

# Quick sizes by default (a few minutes); `make bench BENCH_ARGS=` runs the issue's full sizes (about half an hour).
BENCH_ARGS ?= --quick
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# Mutation testing (not part of `make test`): mutmut over engine/, allocation/ and review/ ([tool.mutmut] in
# pyproject.toml), one worker at low priority; figures and excluded mutants in docs/reliability.md.
# mutmut lives in its own venv: it needs a newer click than ralph's CLI (in the test extra) pins.
# `make mutation` starts afresh over the three packages; `make mutation MUTANTS='budgetpolicy.engine.*'`
# runs one package (or module) and keeps what earlier runs recorded, so figures accumulate.
# Tests that run the CLI in a subprocess import the installed budgetpolicy, not the mutated copy: they
# cannot kill a mutant, so the score is a lower bound.
MUT_VENV ?= .venv-mutation
MUTANTS  ?=
mutation:
	test -x $(MUT_VENV)/bin/python || $(PYTHON) -m venv $(MUT_VENV)
	$(MUT_VENV)/bin/python -m pip install --quiet -e '.[test,mutation]'
	$(if $(MUTANTS),,rm -rf mutants)
	nice -n 19 $(MUT_VENV)/bin/mutmut run --max-children 1 $(foreach m,$(MUTANTS),'$(m)')
	# The second pass: each survivor against every in-process test of the suite that calls it.
	nice -n 19 $(MUT_VENV)/bin/python benchmarks/mutation_wide.py map
	nice -n 19 $(MUT_VENV)/bin/python benchmarks/mutation_wide.py kill
	$(MUT_VENV)/bin/python benchmarks/stress_mutation.py

clean:
	rm -rf $(VENV) $(MUT_VENV) mutants build *.egg-info
