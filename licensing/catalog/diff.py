"""Pure comparisons of tier versions: what a move gains, keeps and loses, and what a new
version changed. Works on plain snapshots (no ORM), so the changelog and the comparison
page share one definition of "different" and it is tested without a database."""

from __future__ import annotations

from dataclasses import dataclass, field

from billing.pricing import BillingCycle, PriceDifference, SeatPrice, price_difference


@dataclass(frozen=True)
class FeatureSpec:
    key: str
    name: str
    category: str
    outcome: str = ""


@dataclass(frozen=True)
class LimitSpec:
    key: str
    name: str
    unit: str
    value: int | None  # None: unlimited


@dataclass(frozen=True)
class SupportSpec:
    level: str
    response_hours: int
    channels: tuple[str, ...]
    named_account_manager: bool
    training: str

    def lines(self) -> dict[str, str]:
        return {
            "Support level": self.level,
            "First response": f"within {self.response_hours} h",
            "Channels": ", ".join(self.channels) or "none",
            "Named account manager": "yes" if self.named_account_manager else "no",
            "Training": self.training or "documentation only",
        }


@dataclass(frozen=True)
class VersionSnapshot:
    tier_name: str
    tier_slug: str
    number: int
    features: tuple[FeatureSpec, ...]
    limits: tuple[LimitSpec, ...]
    support: SupportSpec
    # (currency, cycle) → price, flat or per seat
    prices: dict[tuple[str, str], SeatPrice] = field(default_factory=dict)

    @property
    def feature_keys(self) -> set[str]:
        return {feature.key for feature in self.features}

    def limit(self, key: str) -> LimitSpec | None:
        return next((limit for limit in self.limits if limit.key == key), None)

    def price(self, currency: str, cycle: str) -> SeatPrice | None:
        return self.prices.get((currency, cycle))


def unit_for(count: int, unit: str) -> str:
    """The unit as it reads after `count`: units are stored plural, so one (or minus one)
    takes the singular, "1 seat", but "1 GB" and "1 SMS" stay."""
    if abs(count) == 1 and unit.endswith("s") and not unit.isupper():
        return unit[:-1]
    return unit


def quantity(count: int, unit: str) -> str:
    """A count with its unit: "1 integration", "12,500 calls"."""
    return f"{count:,} {unit_for(count, unit)}"


def format_limit(value: int | None, unit: str) -> str:
    if value is None:
        return "Unlimited"
    return quantity(value, unit)


@dataclass(frozen=True)
class LimitChange:
    name: str
    unit: str
    before: int | None
    after: int | None

    @property
    def direction(self) -> str:
        """ "gain", "loss" or "same", from the customer's side: more room is a gain."""
        if self.before == self.after:
            return "same"
        if self.after is None:
            return "gain"
        if self.before is None:
            return "loss"
        return "gain" if self.after > self.before else "loss"

    @property
    def delta(self) -> str:
        if self.direction == "same":
            return "no change"
        if self.before is None or self.after is None:
            return "to unlimited" if self.after is None else "no longer unlimited"
        difference = self.after - self.before
        return f"{difference:+,} {unit_for(difference, self.unit)}"

    @property
    def before_text(self) -> str:
        return format_limit(self.before, self.unit)

    @property
    def after_text(self) -> str:
        return format_limit(self.after, self.unit)


def limit_changes(before: VersionSnapshot, after: VersionSnapshot) -> list[LimitChange]:
    """Every metric either side knows, in the order the later version lists them. A
    metric missing from one side counts as a limit of zero there: not included."""
    changes = []
    seen = set()
    for limit in (*after.limits, *before.limits):
        if limit.key in seen:
            continue
        seen.add(limit.key)
        old, new = before.limit(limit.key), after.limit(limit.key)
        changes.append(
            LimitChange(
                name=limit.name,
                unit=limit.unit,
                before=0 if old is None else old.value,
                after=0 if new is None else new.value,
            )
        )
    return changes


@dataclass(frozen=True)
class SupportChange:
    aspect: str
    before: str
    after: str


def support_changes(before: SupportSpec, after: SupportSpec) -> list[SupportChange]:
    old, new = before.lines(), after.lines()
    return [
        SupportChange(aspect, old[aspect], new[aspect])
        for aspect in new
        if old[aspect] != new[aspect]
    ]


@dataclass(frozen=True)
class Comparison:
    source: VersionSnapshot
    target: VersionSnapshot
    gained: list[FeatureSpec]
    kept: list[FeatureSpec]
    lost: list[FeatureSpec]
    limits: list[LimitChange]
    support: list[SupportChange]
    price: PriceDifference | None
    # The seats the price difference is worked out for, and each side's monthly price as
    # the catalog states it (flat, or per seat from a minimum).
    seats: int = 1
    source_price: SeatPrice | None = None
    target_price: SeatPrice | None = None

    @property
    def per_seat(self) -> bool:
        return any(p is not None and p.per_seat for p in (self.source_price, self.target_price))

    @property
    def is_upgrade(self) -> bool:
        return self.price is not None and self.price.direction == "more"


def compare(
    source: VersionSnapshot, target: VersionSnapshot, *, currency: str, seats: int | None = None
) -> Comparison:
    """`seats`: the team the price difference is for; by default the larger minimum of
    the two tiers' per-seat prices (1 when both are flat)."""
    target_keys, source_keys = target.feature_keys, source.feature_keys
    prices = [
        source.price(currency, BillingCycle.MONTHLY),
        target.price(currency, BillingCycle.MONTHLY),
        source.price(currency, BillingCycle.ANNUAL),
        target.price(currency, BillingCycle.ANNUAL),
    ]
    if seats is None:
        seats = max((p.min_seats for p in prices if p is not None and p.per_seat), default=1)
    difference = None
    if all(price is not None for price in prices):
        costs = [price.for_seats(seats) for price in prices]
        difference = price_difference(
            from_monthly=costs[0], to_monthly=costs[1], from_annual=costs[2], to_annual=costs[3]
        )
    return Comparison(
        source=source,
        target=target,
        gained=[f for f in target.features if f.key not in source_keys],
        kept=[f for f in target.features if f.key in source_keys],
        lost=[f for f in source.features if f.key not in target_keys],
        limits=limit_changes(source, target),
        support=support_changes(source.support, target.support),
        price=difference,
        seats=seats,
        source_price=prices[0],
        target_price=prices[1],
    )


def _price_text(price: SeatPrice) -> str:
    """ "$89.00" for a flat price; "$12.00 per seat a month, from 5 seats" per seat."""
    return price.describe() if price.per_seat else price.amount.format()


def describe_changes(before: VersionSnapshot | None, after: VersionSnapshot) -> list[str]:
    """What a new version changed against the one it replaces, in plain sentences for the
    changelog. The first version of a tier is described by what it contains."""
    if before is None:
        lines = [f"First version of {after.tier_name}."]
        lines += [f"Includes {f.name}." for f in after.features]
        lines += [
            f"{limit.name}: {format_limit(limit.value, limit.unit)}." for limit in after.limits
        ]
        lines.append(
            f"Support: {after.support.level}, first response within "
            f"{after.support.response_hours} h."
        )
        lines += [
            f"Price in {currency} ({cycle}): {_price_text(price)}."
            for (currency, cycle), price in sorted(after.prices.items())
        ]
        return lines
    comparison = compare(before, after, currency="")
    lines = [f"Added {f.name}." for f in comparison.gained]
    lines += [f"Removed {f.name}." for f in comparison.lost]
    lines += [
        f"{change.name}: {change.before_text} → {change.after_text}."
        for change in comparison.limits
        if change.direction != "same"
    ]
    lines += [
        f"{change.aspect}: {change.before} → {change.after}." for change in comparison.support
    ]
    for key in sorted(set(before.prices) | set(after.prices)):
        old, new = before.prices.get(key), after.prices.get(key)
        currency, cycle = key
        label = f"Price in {currency} ({cycle})"
        if old is None and new is not None:
            lines.append(f"{label}: now offered at {_price_text(new)}.")
        elif new is None and old is not None:
            lines.append(f"{label}: no longer offered (was {_price_text(old)}).")
        elif old is not None and new is not None and old != new:
            lines.append(f"{label}: {_price_text(old)} → {_price_text(new)}.")
    return lines or ["No change to features, limits, support or prices."]
