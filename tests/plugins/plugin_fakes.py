"""Sources of fake plugins and a policy that uses them, shared by the plugin-system tests."""

SCORER_PLUGIN = '''
from decimal import Decimal
from budgetpolicy import hookimpl

SEEN = []

def fixed(params, policy):
    value = Decimal(str(params.get("value", "0.25")))
    if not 0 <= value <= 1:
        raise ValueError("value must be in 0..1")
    return lambda initiative: (value, f"fixed {value}")

def double(x):
    return x * 2

@hookimpl
def register_scorers(register):
    register("fixed", fixed, description="always the same value")

@hookimpl
def register_functions(register):
    register("double", double, params=("number",), returns="number", description="x * 2")

@hookimpl
def process_decision(decision, policy, context):
    SEEN.append((decision.initiative_id, decision.outcome))
'''

POLICY_USING_FIXED = '''\
id = "p"
version = "1"
effective_date = 2026-01-01
currency = "USD"
plugins = ["kpiextra"]

[[priorities]]
id = "a"
name = "A"
weight = 1
[priorities.kpi]
metric = "m"
unit = "%"
direction = "higher"
baseline = 0
target = 10

[scoring]
weights = "normalise"
[[scoring.criteria]]
id = "value"
scorer = "expected_value"
weight = 1
[[scoring.criteria]]
id = "house"
scorer = "fixed"
weight = 1
params = { value = 0.5 }

[[approval.rules]]
id = "doubled"
condition = "double(score) >= 1"
effect = "approve"
message = "double score reaches 1"

[[approval.rules]]
id = "else"
condition = "true"
effect = "reject"
message = "too low"
'''

RAISES_IN_HOOK = '''
from budgetpolicy import hookimpl

@hookimpl
def register_scorers(register):
    raise RuntimeError("licence server unreachable")
'''

NOT_CALLABLE = '''
from budgetpolicy import hookimpl

@hookimpl
def register_scorers(register):
    register("weights", {"a": 1})
'''

DUPLICATE_BUILTIN = '''
from budgetpolicy import hookimpl

@hookimpl
def register_scorers(register):
    register("rubric", lambda params, policy: (lambda i: 0))
'''

FAILS_TO_IMPORT = '''
import budgetpolicy_no_such_dependency
'''

WRONG_SCORE_TYPE = '''
from budgetpolicy import hookimpl

@hookimpl
def register_scorers(register):
    register("fixed", lambda params, policy: (lambda initiative: 0.5))
'''

FACTORY_CRASHES = '''
from budgetpolicy import hookimpl

@hookimpl
def register_scorers(register):
    register("fixed", lambda params, policy: params["no-such-key"])
'''

SINK_RAISES = '''
from budgetpolicy import hookimpl

@hookimpl
def process_decision(decision, policy, context):
    raise ConnectionError("webhook returned 503")
'''

COMMAND_AND_ALLOCATOR = '''
from budgetpolicy import hookimpl

def run(args):
    print(f"hello {args.who}")
    return 7

@hookimpl
def register_commands(subparsers):
    parser = subparsers.add_parser("hello", help="say hello")
    parser.add_argument("who")
    parser.set_defaults(func=run)

def everything_to_the_first(candidates, allocation_policy):
    raise NotImplementedError

@hookimpl
def register_allocators(register):
    register("first-come", everything_to_the_first, description="all to the first candidate")
'''

RECORDING_SINK = '''
from budgetpolicy import hookimpl

SEEN = []

@hookimpl
def process_decision(decision, policy, context):
    SEEN.append(decision.initiative_id)
'''

SINK_RAISES_IN_A_HELPER = '''
from budgetpolicy import hookimpl

def post(decision):
    raise ConnectionError(f"webhook returned 503 for {decision.initiative_id}")

@hookimpl
def process_decision(decision, policy, context):
    post(decision)
'''
