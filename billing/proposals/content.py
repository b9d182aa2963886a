"""What a proposal's version says, worked out once for every place that shows it: the
PDF (billing.proposals.tasks), the customer's page and the staff preview all read the
tree `proposal_content` returns, so the three never disagree on a figure. The option it
recommends is marked in that tree; the render task stores its position with the PDF
(ProposalVersion.pdf_recommended_position), and the customer's page reads that, so the
page marks what the PDF and the email were sent with.

The tree holds Money (billing.money) and dates, formatted by the templates; nothing in
it is user markup except the charts, which are pygal's own SVG drawn from our numbers
(licensing.usage.charts, billing.roi.chart). It is read in a bounded number of queries
whatever the number of options or metrics.

- the organization and the license's current plan (tier, version, seats, cycle, the
  locked price, the renewal date);
- each option: its tier version (a retired one says so), seats, cycle, term and how it
  is invoiced, the price path year by year (billing.proposals.pricing), the discount and
  why (billing.discounts), and the comparison with the current tier version (features
  gained, kept and lost; limits up and down: licensing.catalog.diff);
- the usage evidence: each limit's last twelve months (from the license's start, as the
  license dashboard charts them) against the current limit and each option's;
- the ROI projection: the version's own copy of the customer's numbers (entered, or
  copied from a saved scenario when it was chosen: a scenario deleted since changes
  nothing), through the ROI calculator with each option's year-one net price, with the
  formulas written out;
- the validity and the account manager's contact.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.utils.safestring import SafeString, mark_safe

from billing.discounts import Discount, apply, format_percent, needs_approval, negotiated
from billing.models import ProposalOption, ProposalVersion, ScheduledChange, Subscription
from billing.money import Money
from billing.pricing import MONTHS_PER_YEAR, BillingCycle
from billing.proposals.options import retired_price_until
from billing.proposals.pricing import OptionTerms, PricePath, price_path
from billing.roi.calculator import (
    Assumptions,
    Outcome,
    TierInput,
    TierResult,
    evaluate_tier,
    recommend,
)
from billing.roi.chart import TierChart, payback_text, tier_charts
from billing.roi.forms import RoiForm, initial_query
from billing.roi.selectors import roi_catalog
from billing.subscriptions.selectors import discounts_from
from licensing.catalog.diff import Comparison, LimitChange, compare, format_limit
from licensing.catalog.selectors import version_snapshot, versions_with_parts
from licensing.licenses.entitlements import license_entitlements
from licensing.licenses.grants import SEATS
from licensing.licenses.selectors import license_started_on
from licensing.models import TierVersion, VersionStatus
from licensing.usage.axis import months_since
from licensing.usage.charts import chart_label, meter_history_svg
from licensing.usage.services import license_meters
from portal import clock

LOCALE = "en"
DEFAULT_TEAM = 10


@dataclass(frozen=True)
class Contact:
    name: str
    email: str


@dataclass(frozen=True)
class CurrentPlan:
    tier_name: str
    version_number: int
    retired: bool
    seats: int
    cycle_label: str  # "" when no subscription bills the license
    locked_price: str  # "$12.00 per seat a month, from 5 seats"; "" without a subscription
    cycle_cost: Money | None  # one cycle for the seats bought
    year_cost: Money | None  # what keeping it a year costs, less its negotiated discount
    discount: str  # the subscription's negotiated discount, described; "" for none
    renews_on: date
    term_end: date


@dataclass(frozen=True)
class OptionLimit:
    """One option's limit of one metric, and the months of the evidence above it."""

    option_label: str
    limit: int | None
    limit_text: str
    months_over: int


@dataclass(frozen=True)
class UsageEvidence:
    metric: str
    unit: str
    months: list[tuple[date, int]]  # oldest first, this month last
    limit: int | None  # the current plan's
    limit_text: str
    peak: int
    months_over: int  # of the current limit
    chart: SafeString
    chart_label: str
    options: list[OptionLimit]


@dataclass(frozen=True)
class OptionContent:
    position: int
    label: str  # "Option 1: Business, 3 years"
    renew_as_is: bool
    at_term_end: bool  # renew as is, or an option starting at the renewal
    tier_name: str
    tier_version: int
    retired: bool
    seats: int
    cycle: str
    cycle_label: str
    term_cycles: int
    term_text: str  # "3 years", "1 year", "monthly"
    billing_label: str
    starts_on: date
    path: PricePath
    discounts: tuple[Discount, ...]
    discount_text: str  # "Negotiated discount 20% (three-year commitment)"; "" for none
    needs_approval: bool
    comparison: Comparison
    recommended: bool = False

    @property
    def currency(self) -> str:
        return self.path.terms.currency

    @property
    def span_text(self) -> str:
        """What the price path's totals cover: the term on annual billing; on monthly
        billing (a term of a month) a year of monthly invoices, as the path does."""
        return "a year" if self.cycle == BillingCycle.MONTHLY else self.term_text


@dataclass(frozen=True)
class RoiRow:
    option: OptionContent
    result: TierResult
    payback: str  # "7.2 months", "does not pay back"
    roi_percent: str  # "184%", "" when nothing is spent


@dataclass(frozen=True)
class RoiProjection:
    source: str  # "Saved scenario “Growth plan”", "Inputs entered with the customer"
    assumptions: Assumptions | None
    rows: list[RoiRow]
    charts: list[TierChart]
    formulas: list[str]
    problem: str = ""  # why there is no projection, when there is none


@dataclass(frozen=True)
class ProposalContent:
    label: str  # "P-2026-0042 v2"
    number: str
    version: int
    status: str
    status_label: str
    organization_name: str
    cover_note: str
    today: date
    valid_until: date
    expired: bool
    days_left: int
    sent_at: datetime | None
    current: CurrentPlan
    options: list[OptionContent]
    usage: list[UsageEvidence]
    roi: RoiProjection | None
    contact: Contact | None
    currency: str

    @property
    def recommended(self) -> OptionContent | None:
        return next((option for option in self.options if option.recommended), None)


def _term_text(cycle: str, term_cycles: int) -> str:
    if cycle == BillingCycle.MONTHLY:
        # A term of a month, renewing: its figures are a year of monthly invoices
        # (span_text), so "1 month" beside them read as a contradiction.
        return "monthly"
    return f"{term_cycles} year{'s' if term_cycles != 1 else ''}"


def _contact(user) -> Contact | None:
    if user is None:
        return None
    return Contact(name=user.get_full_name().strip() or user.email, email=user.email)


def current_year_cost(subscription: Subscription, today: date) -> Money:
    """What keeping the subscription a year costs now, before tax, as its invoices say:
    each cycle's price for the seats bought, less the negotiated discount the current
    period gets (an accepted proposal's), over the cycles in a year."""
    cycles = MONTHS_PER_YEAR if subscription.cycle == BillingCycle.MONTHLY else 1
    cycle = apply(subscription.cycle_price.rounded(), discounts_from(subscription, today))
    return cycle.net * cycles


def _current_plan(license, subscription: Subscription | None, today: date) -> CurrentPlan:
    version = license.version
    if subscription is None:
        cycle_cost = year_cost = None
        cycle_label = locked = discount = ""
    else:
        cycle_cost = subscription.cycle_price.rounded()
        year_cost = current_year_cost(subscription, today)
        cycle_label = subscription.get_cycle_display()
        locked = subscription.seat_price.describe()
        discount = (
            ", ".join(
                d.describe()
                for d in negotiated(subscription.discount_percent, subscription.discount_reason)
            )
            if subscription.discount_percent
            else ""
        )
    return CurrentPlan(
        tier_name=version.tier.name,
        version_number=version.number,
        retired=version.status == VersionStatus.RETIRED,
        seats=license.seats,
        cycle_label=cycle_label,
        locked_price=locked,
        cycle_cost=cycle_cost,
        year_cost=year_cost,
        discount=discount,
        renews_on=license.renews_on,
        term_end=license.term_end,
    )


def option_starts_on(option: ProposalOption, license, today: date) -> date:
    """When the option's term starts, the one rule every page and the acceptance follow:
    "renew as is" and an option set to start at the renewal at the current term's end
    (billing.proposals.acceptance schedules it for license.renews_on, the day after the
    term, even when the renewal is late), any other option on the day it is accepted (a
    checkout from that day), shown as of `today`. The option accepted keeps the day it
    started: its scheduled change's, or the day it was accepted (the license's term has
    moved on since, and the page of an accepted proposal says what was agreed)."""
    version = option.proposal_version
    if version.accepted_option_id == option.pk and version.answered_at is not None:
        if not option.starts_at_term_end:
            return version.answered_at.astimezone(UTC).date()
        change = (
            ScheduledChange.objects.filter(proposal_option=option)
            .values_list("effective_on", flat=True)
            .first()
        )
        if change is not None:
            return change
    return license.renews_on if option.starts_at_term_end else today


def option_path(option: ProposalOption, license, today: date) -> PricePath:
    """The option's price path (billing.proposals.pricing) from the day it starts: the
    one place a ProposalOption becomes OptionTerms. `option.price` is the catalog row."""
    return price_path(
        OptionTerms(
            price=option.price.seat_price,
            seats=option.seats,
            term_cycles=option.term_cycles,
            billing=option.billing,
            starts_on=option_starts_on(option, license, today),
            discounts=negotiated(option.discount_percent, option.discount_reason),
        )
    )


def option_comparison(
    current, option: ProposalOption, tier_version: TierVersion, *, seats_now: int
) -> Comparison:
    """What the option gains, keeps and loses against `current` (the license's tier
    version, a licensing.catalog snapshot), for the option's seats and currency. Its
    seats row is the seats bought, today's (`seats_now`) against the option's: the
    tiers' seat limits (the most each sells) read as if the option gave them."""
    comparison = compare(
        current,
        version_snapshot(tier_version),
        currency=option.price.currency_id,
        seats=option.seats,
    )
    seats_limit = next(
        (limit.name for limit in comparison.target.limits if limit.key == SEATS), None
    )
    limits = [
        LimitChange(name=change.name, unit=change.unit, before=seats_now, after=option.seats)
        if change.name == seats_limit
        else change
        for change in comparison.limits
    ]
    return replace(comparison, limits=limits)


def _option(
    option: ProposalOption, tier_version: TierVersion, current, license, today: date
) -> OptionContent:
    discounts = negotiated(option.discount_percent, option.discount_reason)
    path = option_path(option, license, today)
    term = _term_text(option.cycle, option.term_cycles)
    name = tier_version.tier.name
    what = "Renew as is" if option.renew_as_is else name
    return OptionContent(
        position=option.position,
        label=f"Option {option.position}: {what}, {term}"
        + (", from the renewal" if option.at_renewal and not option.renew_as_is else ""),
        renew_as_is=option.renew_as_is,
        at_term_end=option.starts_at_term_end,
        tier_name=name,
        tier_version=tier_version.number,
        retired=tier_version.status == VersionStatus.RETIRED,
        seats=option.seats,
        cycle=option.cycle,
        cycle_label=option.get_cycle_display(),
        term_cycles=option.term_cycles,
        term_text=term,
        billing_label=option.get_billing_display(),
        starts_on=path.terms.starts_on,
        path=path,
        discounts=discounts,
        discount_text=", ".join(discount.describe() for discount in discounts),
        needs_approval=options_need_approval([option]),
        comparison=option_comparison(current, option, tier_version, seats_now=license.seats),
    )


def approval_reasons(options, today: date | None = None) -> list[str]:
    """Why an admin approves the version of `options` (ProposalOption rows) before it is
    sent: a discount above the approval threshold (setting
    PROPOSAL_APPROVAL_THRESHOLD_PERCENT), or a retired version's price kept past its lock
    (billing.proposals.options.retired_price_until). Empty: it is sent as it is."""
    today = today or clock.today()
    threshold = Decimal(settings.PROPOSAL_APPROVAL_THRESHOLD_PERCENT)
    reasons = []
    for option in options:
        if needs_approval(negotiated(option.discount_percent, option.discount_reason), threshold):
            reasons.append(
                f"Option {option.position}: {format_percent(option.discount_percent)} off is "
                f"above the approval threshold of {format_percent(threshold)}."
            )
        until = retired_price_kept_until(option, option.proposal_version.proposal.license_id, today)
        if until is not None:
            version = option.tier_version
            reasons.append(
                f"Option {option.position} keeps {version.tier.name} v{version.number}, "
                f"retired, at its price past {until:%-d %B %Y}, when that price stops "
                "holding: a price the catalog no longer sells."
            )
    return reasons


def retired_price_kept_until(option: ProposalOption, license_id: int, today: date) -> date | None:
    """The day the license's retired price stops holding, when `option`, starting as of
    `today` (option_starts_on), keeps it past that day (options.retired_price_until);
    the one reading of it that sending (approval_reasons) and accepting
    (acceptance.retired_price_refusal) share. None without a query for an option on sale."""
    if option.tier_version.status != VersionStatus.RETIRED:
        return None
    subscription = (
        Subscription.objects.select_related("license").filter(license_id=license_id).first()
    )
    if subscription is None:
        return None
    return retired_price_until(
        option, subscription, starts_on=option_starts_on(option, subscription.license, today)
    )


def options_need_approval(options) -> bool:
    """Whether an admin approves the version of `options` before it is sent."""
    return bool(approval_reasons(options))


def _months_over(values: list[int], limit: int | None) -> int:
    return 0 if limit is None else sum(1 for value in values if value > limit)


def _usage(license, options: list[OptionContent], snapshots, today: date) -> list[UsageEvidence]:
    at = datetime.combine(today, time(12), tzinfo=UTC)
    started = license_started_on(license)
    evidence = []
    # The plan bought, without a trial running on it: "today" is what the customer pays
    # for, as the comparison of tiers says (a trial's limits end with it).
    bought = license_entitlements(license=license, at=at, with_trial=False)
    for meter in license_meters(license=license, at=at, entitlements=bought):
        metric = meter.grant.metric
        months = months_since(meter.history, started)
        limit = meter.state.limit
        values = [value for _, value in months]

        option_limits = []
        for option in options:
            if meter.key == SEATS:
                value = option.seats
            else:
                spec = snapshots[option.position].limit(meter.key)
                value = 0 if spec is None else spec.value
            option_limits.append(
                OptionLimit(
                    option_label=option.label,
                    limit=value,
                    limit_text=format_limit(value, metric.unit),
                    months_over=_months_over(values, value),
                )
            )
        evidence.append(
            UsageEvidence(
                metric=metric.name,
                unit=metric.unit,
                months=months,
                limit=limit,
                limit_text=format_limit(limit, metric.unit),
                peak=max(values),
                months_over=_months_over(values, limit),
                # pygal's own SVG, drawn from our numbers only (as the dashboard's).
                chart=mark_safe(meter_history_svg(unit=metric.unit, history=months, limit=limit)),
                chart_label=chart_label(
                    name=metric.name, unit=metric.unit, history=months, limit=limit
                ),
                options=option_limits,
            )
        )
    return evidence


TIMES, MINUS = "\u00d7", "\u2212"  # the signs a reader expects, not x and -
FORMULAS = [
    f"Time value a year = team size {TIMES} hours saved per person a week {TIMES} 52 weeks "
    f"{TIMES} hourly cost",
    f"Error value a year = errors avoided a year {TIMES} cost per error",
    f"Net a year = time value + error value {MINUS} the option's year-one price (after discount)",
    f"Net over the horizon = net a year {TIMES} years {MINUS} implementation cost",
    f"ROI = net over the horizon ÷ (year-one price {TIMES} years + implementation cost)",
    "Payback = (implementation cost + year-one price) ÷ (net a year ÷ 12), in months",
]


def roi_source(version: ProposalVersion) -> str:
    """Where the version's ROI numbers come from, as the PDF and the builder name it; ""
    when it has no ROI projection."""
    if version.roi_scenario_name:
        return f"Saved scenario “{version.roi_scenario_name}”"
    return "Inputs entered with the customer" if version.roi_inputs else ""


def _roi(version: ProposalVersion, options: list[OptionContent], product_slug: str):
    # The version's own copy of the numbers, never the saved scenario they were copied
    # from: the customer may delete that, and what was approved or sent must not change.
    source = roi_source(version)
    if not source:
        return None
    query = version.roi_inputs
    catalog = roi_catalog()
    product = query.get("product") or product_slug
    tiers = catalog.tiers_of(product)
    # The calculator's defaults under the inputs, as the calculator binds them: a query
    # saved before a tier joined the catalog still has every field.
    data = initial_query(
        tiers, product=product, currency=query.get("currency", ""), team_size=DEFAULT_TEAM
    )
    data.update({key: value for key, value in query.items() if key in data})
    form = RoiForm(
        data,
        tiers=tiers,
        currencies=catalog.currencies,
        products=catalog.products,
    )
    if not tiers or not form.is_valid():
        return RoiProjection(
            source, None, [], [], FORMULAS, problem="The ROI inputs are no longer valid."
        )
    assumptions = replace(form.assumptions(), cycle=BillingCycle.ANNUAL)
    currency = options[0].currency if options else assumptions.currency
    if assumptions.currency != currency:
        return RoiProjection(
            source,
            assumptions,
            [],
            [],
            FORMULAS,
            problem=f"The ROI inputs are in {assumptions.currency}, the proposal in {currency}.",
        )
    defaults = {tier.slug: tier for tier in form.tier_inputs()}
    rows = []
    for option in options:
        slug = option.comparison.target.tier_slug
        base = defaults.get(slug)
        # What the option costs in its first year, paid as it is billed: a monthly
        # option a twelfth each month (its price path's year is twelve months), so its
        # payback and chart count monthly payments, as the calculator does.
        year_one = option.path.years[0].net
        monthly = option.cycle == BillingCycle.MONTHLY
        tier = TierInput(
            slug=f"option-{option.position}",
            name=option.label,
            price=year_one / MONTHS_PER_YEAR if monthly else year_one,
            hours_saved_per_person_week=base.hours_saved_per_person_week if base else Decimal(0),
            errors_avoided_per_year=base.errors_avoided_per_year if base else Decimal(0),
            limits={limit.key: limit.value for limit in option.comparison.target.limits},
        )
        result = evaluate_tier(tier, replace(assumptions, cycle=option.cycle))
        rows.append(
            RoiRow(
                option=option,
                result=result,
                payback=payback_text(result.payback_months)
                if result.pays_back_within_horizon
                else "does not pay back within the horizon",
                roi_percent=""
                if result.roi_percent is None
                else format_percent(result.roi_percent),
            )
        )
    results = [row.result for row in rows]
    outcome = Outcome(results=results, unpriced=[], recommended=recommend(results))
    return RoiProjection(
        source=source,
        assumptions=assumptions,
        rows=rows,
        charts=tier_charts(outcome, LOCALE),
        formulas=FORMULAS,
    )


def _recommended(
    options: list[OptionContent], roi: RoiProjection | None, usage: list[UsageEvidence]
) -> int | None:
    """The option the proposal recommends (PRODUCT: current against recommended tier), on
    grounds the proposal shows: the ROI's recommendation (the highest net value among
    options that fit); without one, the usage evidence's — the first option, in the
    account manager's order, that changes the plan and under whose limits every month of
    the customer's usage stayed. None when neither gives grounds: an option is never
    called recommended for being listed first (a downgrade the usage has outgrown)."""
    if roi is not None and roi.rows:
        best = recommend([row.result for row in roi.rows])
        if best is not None:
            return next(row.option.position for row in roi.rows if row.result is best)
        return None
    if not usage:
        return None
    for index, option in enumerate(options):
        fits = all(evidence.options[index].months_over == 0 for evidence in usage)
        if not option.renew_as_is and fits:
            return option.position
    return None


def proposal_content(version: ProposalVersion, today: date) -> ProposalContent:
    """Everything `version` says, as of `today` (the business day: portal.clock)."""
    version = (
        ProposalVersion.objects.select_related(
            "proposal__organization",
            "proposal__prepared_by",
            "proposal__license__version__tier",
            "proposal__license__product",
            "proposal__license__subscription",
        )
        .prefetch_related(
            Prefetch(
                "options",
                ProposalOption.objects.select_related("price", "tier_version__tier").order_by(
                    "position"
                ),
            )
        )
        .get(pk=version.pk)
    )
    proposal = version.proposal
    license = proposal.license
    subscription = getattr(license, "subscription", None)
    raw_options = list(version.options.all())
    wanted = {license.version_id, *(option.tier_version_id for option in raw_options)}
    tier_versions = {v.pk: v for v in versions_with_parts().filter(pk__in=wanted)}
    current = version_snapshot(tier_versions[license.version_id])
    options = [
        _option(option, tier_versions[option.tier_version_id], current, license, today)
        for option in raw_options
    ]
    snapshots = {option.position: option.comparison.target for option in options}
    roi = _roi(version, options, license.product.slug)
    usage = _usage(license, options, snapshots, today)
    chosen = _recommended(options, roi, usage)
    options = [replace(option, recommended=option.position == chosen) for option in options]
    if roi is not None and roi.rows:
        roi = replace(roi, rows=[replace(row, option=options[i]) for i, row in enumerate(roi.rows)])
    currency = (
        options[0].currency
        if options
        else (subscription.currency_id if subscription is not None else "")
    )
    return ProposalContent(
        label=version.label,
        number=proposal.number,
        version=version.number,
        status=version.status,
        status_label=version.get_status_display(),
        organization_name=proposal.organization.name,
        cover_note=version.cover_note,
        today=today,
        valid_until=version.valid_until,
        expired=today > version.valid_until,
        days_left=max((version.valid_until - today).days, 0),
        sent_at=version.sent_at,
        current=_current_plan(license, subscription, today),
        options=options,
        usage=usage,
        roi=roi,
        contact=_contact(proposal.prepared_by),
        currency=currency,
    )
