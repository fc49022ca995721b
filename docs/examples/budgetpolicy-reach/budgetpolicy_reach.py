"""budgetpolicy plugin: a 'reach' scorer and a 'per_head' function."""

from decimal import Decimal

from budgetpolicy import hookimpl


def reach(params, policy):
    """Share of the target headcount an initiative reaches: min(1, headcount / target)."""
    target = Decimal(str(params.get("target", 10)))
    if target <= 0:
        raise ValueError("parameter 'target' must be > 0")  # -> a validation error at the criterion

    def score(initiative):
        value = min(Decimal(1), Decimal(initiative.headcount) / target)
        return value, f"{initiative.headcount} of {target} people"

    return score


def per_head(cost, headcount):
    return cost / headcount if headcount else cost


@hookimpl
def register_scorers(register):
    register("reach", reach, description="share of the target headcount reached")


@hookimpl
def register_functions(register):
    register("per_head", per_head, params=("number", "number"), returns="number",
             description="cost per person")
