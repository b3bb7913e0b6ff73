"""Ranking of offers from the committee's scores (art. 15 ust. 1). Pure functions, no database.

Each member's total for an offer is the weighted sum of their points; the offer's result is the mean of
its members' totals as a share of the weighted maximum. An offer passes when that share reaches the call's
threshold.

Tie rule (documented in docs/open-call.md): equal shares are ordered by the mean points on the statutory
criteria in the order of art. 15 ust. 1 (pkt 1 first), then by the earlier receipt of the offer, then by
its number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from states.rule_sets import STATUTORY_CRITERIA, Criterion

FOUR_PLACES = Decimal("0.0001")
_STATUTORY_ORDER = {c.key: position for position, c in enumerate(STATUTORY_CRITERIA)}


def applicable_criteria(criteria: Sequence[Criterion], mode: str) -> tuple[Criterion, ...]:
    """Criterion 4 (own funds) is scored only in support mode (art. 15 ust. 1 pkt 4, art. 5 ust. 4 pkt 2)."""
    return tuple(c for c in criteria if mode == "support" or not c.support_mode_only)


@dataclass(frozen=True)
class ScoredOffer:
    number: int
    received_at: datetime
    # member name -> criterion key -> points
    points: dict[str, dict[str, Decimal]] = field(default_factory=dict)


@dataclass(frozen=True)
class RankedOffer:
    number: int
    share: Decimal  # 0..1
    mean_total: Decimal
    criterion_means: dict[str, Decimal]
    members: int
    passed: bool
    rank: int

    @property
    def percent(self) -> Decimal:
        return (self.share * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rank(offers: Iterable[ScoredOffer], criteria: Sequence[Criterion], threshold: Decimal) -> list[RankedOffer]:
    # Ties follow art. 15 ust. 1's order whatever order a rule set lists its criteria in.
    in_statutory_order = sorted(criteria, key=lambda c: _STATUTORY_ORDER.get(c.key, len(_STATUTORY_ORDER)))
    maximum = sum((c.weight * c.max_points for c in criteria), Decimal(0))
    keyed = []
    for offer in offers:
        totals = [sum((c.weight * member.get(c.key, Decimal(0)) for c in criteria), Decimal(0))
                  for member in offer.points.values()]
        mean_total = sum(totals, Decimal(0)) / len(totals) if totals else Decimal(0)
        means: dict[str, Decimal] = defaultdict(Decimal)
        for member in offer.points.values():
            for c in criteria:
                means[c.key] += member.get(c.key, Decimal(0))
        count = len(offer.points) or 1
        criterion_means = {c.key: (means[c.key] / count).quantize(FOUR_PLACES) for c in criteria}
        share = (mean_total / maximum).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP) if maximum else Decimal(0)
        tie_break = tuple(-criterion_means[c.key] for c in in_statutory_order)
        keyed.append(((-share, *tie_break, offer.received_at, offer.number), offer, share, mean_total, criterion_means))
    keyed.sort(key=lambda item: item[0])
    return [
        RankedOffer(number=offer.number, share=share, mean_total=mean_total.quantize(FOUR_PLACES),
                    criterion_means=criterion_means, members=len(offer.points), passed=share >= threshold,
                    rank=position)
        for position, (_, offer, share, mean_total, criterion_means) in enumerate(keyed, start=1)
    ]


def propose_grants(ranking: Sequence[RankedOffer], requested: dict[int, Decimal], funds: Decimal) -> dict[int, Decimal]:
    """The officer's default proposal: passing offers in rank order, each up to its request, within the funds."""
    left = funds
    proposal: dict[int, Decimal] = {}
    for offer in ranking:
        if not offer.passed or left <= 0:
            continue
        amount = min(requested[offer.number], left)
        proposal[offer.number] = amount
        left -= amount
    return proposal
