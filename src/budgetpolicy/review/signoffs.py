"""What the budget year's sign-offs tell the review: who may receive money, and who must sign for it.

The review engine is pure and knows nothing of ledgers; a review worked from the ledger
(:mod:`budgetpolicy.year.quarters`) hands it a :class:`YearView`:

- ``states[q]``: the sign-offs and refusals recorded before quarter q's review (a recorded quarter is
  recomputed with the events recorded before its record, so it comes out as recorded);
- ``requires(initiative, amount)``: the roles the policy's approval rules require for ``initiative`` funded
  with ``amount`` (the rules run again on the new amount: a reallocation or scale-up that crosses a
  threshold needs that sign-off);
- ``requests[q]``: the new requests reviewed with quarter q (initiatives not in the plan, each with the
  decision the policy gave it), funded from released money or the ``[requests]`` reserve.

Without a view (a review from files) nothing is held, nothing awaits a sign-off and nothing is requested:
the review behaves as it did before the budget year was recorded.

Money a sign-off has not cleared is **held**: a bet whose plan funding awaits a required role, or that
holds a reallocation awaiting one (a :class:`PendingMove`). A held bet receives no reallocation unless
``[signoff] reallocate_to_unsigned``; at the review of ``[signoff] release_unsigned_at`` what is still held
is released (cause ``unsigned``). A refusal returns the money it refuses (the plan's funding, or a
move's) to the pool: that is the refusal's event, not a review release.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from attrs import define, field, frozen

from budgetpolicy.model import Decision, FrozenMap, Initiative, frozen_map


@frozen
class SignState:
    """The sign-offs (``signed``) and refusals (``refused``) of each initiative, as role tuples."""

    signed: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    refused: FrozenMap = field(factory=FrozenMap, converter=frozen_map)

    def signed_roles(self, initiative_id: str) -> tuple[str, ...]:
        return tuple(self.signed.get(initiative_id, ()))

    def refused_roles(self, initiative_id: str) -> tuple[str, ...]:
        return tuple(self.refused.get(initiative_id, ()))


NO_SIGNATURES = SignState()


@frozen
class YearView:
    """The budget year as the review needs it; see the module docstring."""

    states: Mapping[int, SignState] = field(factory=dict)
    requires: Callable[[Initiative, Decimal], tuple[str, ...]] | None = None
    requests: Mapping[int, tuple[tuple[Initiative, Decision], ...]] = field(factory=dict)

    def at(self, quarter: int) -> SignState:
        return self.states.get(quarter, NO_SIGNATURES)

    def roles_for(self, initiative: Initiative, amount: Decimal) -> tuple[str, ...]:
        return self.requires(initiative, amount) if self.requires is not None else ()


@define
class PendingMove:
    """Money a reallocation gave a bet that awaits the sign-off of ``awaiting`` (mutable, one review run)."""

    amount: Decimal
    awaiting: tuple[str, ...]
    cleared: bool = False  # every role it awaited has signed
    withdrawn: bool = False  # a role it awaited refused: the refusal returned it to the pool
    lapsed: bool = False  # released unsigned at [signoff] release_unsigned_at

    @property
    def held(self) -> bool:
        return not (self.cleared or self.withdrawn or self.lapsed)
