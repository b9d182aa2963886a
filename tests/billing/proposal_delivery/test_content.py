"""What a proposal's version says, read from real data: Northwind's license, a year of
its usage, the demo catalog's tiers and the customer's ROI numbers."""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import ProposalOption
from billing.money import Money
from billing.proposals.content import proposal_content
from billing.proposals.pricing import UPFRONT
from tests.billing.proposal_delivery.data import (
    API_CALLS,
    ROI_INPUTS,
    OptionSpec,
    make_proposal,
    make_version,
)
from tests.helpers.trials import running_trial

TODAY = date(2026, 3, 14)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def test_the_current_plan_is_the_licenses_with_its_locked_price(version):
    current = proposal_content(version, TODAY).current

    assert (current.tier_name, current.version_number, current.retired) == ("Team", 2, False)
    assert (current.seats, current.cycle_label) == (12, "Annual")
    assert current.locked_price == "$190.00 per seat a year, from 3 seats"
    assert current.year_cost == usd("2280.00")
    assert current.renews_on == date(2026, 4, 1)


def test_the_current_year_is_what_it_pays_less_its_negotiated_discount(version):
    """A plan agreed at 15 % off (an earlier proposal's) costs what its invoices say, and
    each option is weighed against that, not against the list price."""
    subscription = version.proposal.license.subscription
    subscription.discount_percent = Decimal(15)
    subscription.discount_reason = "Two-year commitment"
    subscription.discount_ends_on = date(2026, 3, 31)  # the term it was agreed for
    subscription.save()

    content = proposal_content(version, TODAY)

    assert content.current.year_cost == usd("1938.00")  # $2,280.00 less $342.00
    assert content.current.discount == "Negotiated discount 15% (Two-year commitment)"
    # Renewing as is starts after the agreed term: at the list price again.
    assert content.options[0].path.years[0].net == usd("2280.00")


def test_each_options_price_path_totals_its_years(version):
    renew, business, enterprise = proposal_content(version, TODAY).options

    assert renew.starts_on == date(2026, 4, 1)  # at the term's end
    assert [y.net for y in renew.path.years] == [usd("2280.00")]
    assert renew.discount_text == ""

    assert business.starts_on == TODAY  # on acceptance
    assert [(y.list_amount, y.discount, y.net) for y in business.path.years] == [
        (usd("7800.00"), usd("1560.00"), usd("6240.00"))
    ] * 3
    assert [y.invoiced_on for y in business.path.years] == [TODAY] * 3  # up front
    assert business.path.terms.billing == UPFRONT
    assert business.path.net_total == business.path.first_invoice == usd("18720.00")
    assert business.discount_text == "Negotiated discount 20% (Three-year commitment)"
    assert business.needs_approval

    assert enterprise.path.net_total == usd("15525.00")
    assert enterprise.discount_text == "Negotiated discount 10% (Launch partner)"
    assert not enterprise.needs_approval


def test_per_year_billing_invoices_each_year_on_its_first_day(proposal, catalog):
    spec = OptionSpec("business", 20, term_cycles=2, billing="per_cycle")
    (option,) = proposal_content(make_version(proposal, catalog, options=[spec]), TODAY).options

    assert [y.invoiced_on for y in option.path.years] == [TODAY, date(2027, 3, 14)]
    assert option.path.first_invoice == usd("7800.00")
    assert option.path.net_total == usd("15600.00")


def test_each_option_says_what_it_gains_keeps_and_loses_against_the_current_tier(proposal, catalog):
    options = [OptionSpec("business", 20), OptionSpec("starter", 3)]
    business, starter = proposal_content(
        make_version(proposal, catalog, options=options), TODAY
    ).options

    assert [f.name for f in business.comparison.gained] == ["Webhooks", "Audit log export"]
    assert business.comparison.lost == []
    assert "Roles and permissions" in [f.name for f in business.comparison.kept]
    api_calls = next(c for c in business.comparison.limits if c.name == "API calls a month")
    assert (api_calls.before, api_calls.after, api_calls.direction) == (100_000, 1_000_000, "gain")

    assert starter.comparison.gained == []
    assert [f.name for f in starter.comparison.lost] == [
        "Offline license files",
        "Trials of higher tiers",
        "Coupons and discounts",
        "Roles and permissions",
    ]
    # Seats are the seats bought, today's 12 against the option's: not the tiers' seat
    # limits (Team sells up to 15, Business up to 50), which read as if the option gave
    # 35 more seats.
    seats = next(c for c in starter.comparison.limits if c.name == "Seats")
    assert (seats.before, seats.after, seats.direction) == (12, 3, "loss")
    seats = next(c for c in business.comparison.limits if c.name == "Seats")
    assert (seats.before, seats.after, seats.delta) == (12, 20, "+8 seats")


def test_a_retired_tier_version_is_quoted_and_marked(proposal, catalog):
    version = make_version(proposal, catalog, options=[OptionSpec("team", 12)])
    ProposalOption.objects.filter(proposal_version=version).update(
        tier_version=catalog.version("team", 1),
        price=catalog.version("team", 1).price_rows.get(currency_id="USD", cycle="annual"),
    )
    (option,) = proposal_content(version, TODAY).options

    assert (option.tier_version, option.retired) == (1, True)
    assert option.path.net_total == usd("790.00")  # Team v1's flat annual price


def test_usage_evidence_is_the_last_twelve_months_against_each_limit(version):
    usage = {metric.metric: metric for metric in proposal_content(version, TODAY).usage}

    api_calls = usage["API calls a month"]
    assert [period for period, _ in api_calls.months] == [
        date(2025, month, 1) for month in range(4, 13)
    ] + [date(2026, month, 1) for month in range(1, 4)]
    assert [value for _, value in api_calls.months] == API_CALLS
    assert (api_calls.limit, api_calls.peak, api_calls.months_over) == (100_000, 131_000, 5)
    assert [(o.limit, o.months_over) for o in api_calls.options] == [
        (100_000, 5),
        (1_000_000, 0),
        (None, 0),
    ]
    assert api_calls.chart.startswith("<svg")
    assert "the highest was 131,000 calls in February 2026" in api_calls.chart_label
    seats = usage["Seats"]
    assert [o.limit for o in seats.options] == [12, 20, 25]  # the seats each option buys


def test_usage_evidence_weighs_the_plan_bought_not_a_trial_running_on_it(version, now):
    """A trial of Business running on the Team license raises what may be used today, but
    the proposal's "Today (Team)" is the plan the customer pays for, as the comparison
    of tiers on the page before it says."""
    running_trial(version.proposal.license, "business", starts_at=now)

    usage = {metric.metric: metric for metric in proposal_content(version, TODAY).usage}

    api_calls = usage["API calls a month"]
    assert (api_calls.limit, api_calls.months_over) == (100_000, 5)  # Team's, not 1,000,000


def test_the_roi_projection_uses_each_options_year_one_net_price(version):
    roi = proposal_content(version, TODAY).roi

    assert roi.problem == ""
    assert roi.source == "Inputs entered with the customer"
    business = roi.rows[1]
    # 20 people x 0.40 h a week x 52 weeks x $75 (Business's calculator defaults)
    assert business.result.time_value == usd("31200")
    assert business.result.error_value == usd("2000")  # 4 errors x $500
    assert business.result.annual_cost == usd("6240.00")  # year 1 after the 20 % discount
    assert business.result.annual_net == usd("26960.00")
    # The 2,000 to implement and year one's 6,240, paid at the start, are reached by
    # 33,200 of value a year after (12 * 2,000 + 12 * 6,240) / 33,200 = 2.98 months.
    assert business.payback == "3.0 months"
    assert len(roi.charts) == 3
    assert any("52 weeks" in formula for formula in roi.formulas)


def test_the_recommended_option_is_the_rois(version):
    content = proposal_content(version, TODAY)

    assert content.recommended.position == 2  # the highest net a year
    assert [o.recommended for o in content.options] == [False, True, False]


def test_without_the_customers_numbers_the_usage_grounds_the_recommendation(proposal, catalog):
    # No ROI. Team as is went over its 100,000 API calls in 5 of the 12 months; Business
    # (1,000,000 calls, 20 seats) holds every month: the first change the usage fits.
    content = proposal_content(make_version(proposal, catalog), TODAY)

    assert content.roi is None
    assert content.recommended.position == 2
    assert [o.recommended for o in content.options] == [False, True, False]


def test_no_option_is_recommended_on_no_grounds(proposal, catalog):
    # No ROI, and the only change is Starter (3 seats) for a team that used 7 to 12: the
    # usage outgrew it, so nothing is recommended (listing it first is no reason).
    options = [OptionSpec("team", 12, renew_as_is=True), OptionSpec("starter", 3)]
    content = proposal_content(make_version(proposal, catalog, options=options), TODAY)

    assert content.recommended is None
    assert [o.recommended for o in content.options] == [False, False]


def test_validity_and_contact(version, manager):
    content = proposal_content(version, TODAY)

    assert (content.label, content.valid_until, content.days_left) == (
        "P-2026-0042 v1",
        date(2026, 4, 13),
        30,
    )
    assert not content.expired
    assert proposal_content(version, date(2026, 4, 14)).expired
    assert (content.contact.name, content.contact.email) == ("Maya Lindqvist", manager.email)


def test_the_content_is_read_in_as_many_queries_for_one_option_as_for_three(
    license_, manager, catalog, version
):
    other = make_proposal(license_, prepared_by=manager, number="P-2026-0043")
    one = make_version(other, catalog, options=[OptionSpec("business", 20)], roi_inputs=ROI_INPUTS)
    proposal_content(version, TODAY)  # warm the catalog cache
    with CaptureQueriesContext(connection) as single:
        proposal_content(one, TODAY)
    with CaptureQueriesContext(connection) as triple:
        proposal_content(version, TODAY)

    assert len(triple) == len(single)
    assert len(triple) <= 30


def test_a_monthly_options_roi_counts_monthly_payments(proposal, catalog):
    """An option billed monthly pays a twelfth of its year each month, as the calculator
    counts it: its payback is where its own chart's lines cross, and it comes sooner
    than the same option billed yearly (a whole year paid on the first day)."""
    from billing.pricing import BillingCycle
    from billing.roi.calculator import cumulative_points

    specs = (OptionSpec("business", 20, cycle="monthly"), OptionSpec("business", 20))
    version = make_version(proposal, catalog, options=specs, roi_inputs=ROI_INPUTS)
    monthly, annual = proposal_content(version, TODAY).roi.rows

    assert monthly.result.cycle == BillingCycle.MONTHLY
    assert monthly.result.tier.price == monthly.result.annual_cost / 12
    assert monthly.result.payback_months < annual.result.payback_months
    for row in (monthly, annual):
        points = cumulative_points(row.result, row.result.cycle)
        crossed = next(point.month for point in points if point.value >= point.cost)
        assert crossed - 1 < row.result.payback_exact <= crossed
