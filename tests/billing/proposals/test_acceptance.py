"""billing.proposals.acceptance: accepting an option of a sent proposal makes the change
it offers (a checkout bound to it, invoiced as the price path says, or a renewal as is
scheduled at the term's end), declining records the answer, and every refusal says why
and writes nothing. Proposals are made with the models (tests.helpers.proposals)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from billing.checkout.quote import QuoteRefused
from billing.checkout.scheduled import scheduled_changes_apply_due
from billing.checkout.services import StalePreview, checkout_start
from billing.discounts import negotiated
from billing.invoices.kinds import LineKind
from billing.models import (
    Checkout,
    CheckoutStatus,
    Invoice,
    ProposalEvent,
    ProposalEventKind,
    ProposalStatus,
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
    SubscriptionPeriod,
)
from billing.money import Money
from billing.pricing import SeatPrice
from billing.proposals.acceptance import (
    ProposalRefused,
    Renewal,
    accept_preview,
    proposal_accept,
    proposal_decline,
)
from billing.proposals.pricing import OptionTerms, price_path
from billing.renewals.services import subscription_term_end
from billing.subscriptions.services import subscription_set_auto_renew
from licensing.licenses.services import license_suspend
from portal.models import OutboundEmail
from tests.factories import MembershipFactory, UserFactory
from tests.helpers.checkout import confirm, subscribed
from tests.helpers.licenses import SYSTEM
from tests.helpers.proposals import sent_version

REASON = "three-year commitment"
TODAY = date(2026, 3, 14)  # the `now` fixture's day


def usd(amount) -> Money:
    return Money(Decimal(amount), "USD")


def business_3_years(billing="upfront", **extra):
    return {
        "tier": "business",
        "seats": 10,
        "term_cycles": 3,
        "billing": billing,
        "discount_percent": Decimal(20),
        "discount_reason": REASON,
    } | extra


def lines_of(invoice):
    return [
        (line.kind, line.description, Money(line.amount, invoice.currency))
        for line in invoice.lines.order_by("position")
    ]


def accepted_renewal_as_is(license, catalog, owner):
    """The license's plan renewed as is for three years, 15 % off (loyalty), accepted:
    the change scheduled at the term's end."""
    option = {
        "seats": 5,
        "term_cycles": 3,
        "discount_percent": Decimal(15),
        "discount_reason": "loyalty",
        "renew_as_is": True,
    }
    version = sent_version(license, catalog, [option])
    return proposal_accept(version=version, option=version.options.get(), user=owner).scheduled


def expected_path(option, starts_on=TODAY):
    price = option.price
    return price_path(
        OptionTerms(
            price=SeatPrice(usd(price.amount), price.cycle, price.per_seat, price.min_seats),
            seats=option.seats,
            term_cycles=option.term_cycles,
            billing=option.billing,
            starts_on=starts_on,
            discounts=negotiated(option.discount_percent, option.discount_reason),
        )
    )


# --- A change now ----------------------------------------------------------------------


def test_an_upgrade_over_three_years_up_front_is_invoiced_as_the_price_path(
    license, catalog, owner, now
):
    version = sent_version(license, catalog, [business_3_years()])
    option = version.options.get()

    accepted = proposal_accept(version=version, option=option, user=owner)

    version.refresh_from_db()
    assert version.status == ProposalStatus.ACCEPTED
    assert version.accepted_option == option
    assert version.answered_by == owner
    checkout = accepted.checkout
    assert checkout.status == CheckoutStatus.CONFIRMED
    assert (checkout.proposal_id, checkout.proposal_option_id) == (version.proposal_id, option.pk)
    invoice = checkout.invoice
    described = "Negotiated discount 20% (three-year commitment)"
    credit, *term = lines_of(invoice)
    assert credit[0] == LineKind.PRORATION_CREDIT
    assert credit[2] == -usd("762.60")  # 293 of 365 days of $950.00
    assert term == [
        (LineKind.RECURRING, "Business, 10 seats, annual (1 of 3)", usd("3900.00")),
        (LineKind.DISCOUNT, described, usd("-780.00")),
        (LineKind.RECURRING, "Business, 10 seats, annual (2 of 3)", usd("3900.00")),
        (LineKind.DISCOUNT, described, usd("-780.00")),
        (LineKind.RECURRING, "Business, 10 seats, annual (3 of 3)", usd("3900.00")),
        (LineKind.DISCOUNT, described, usd("-780.00")),
    ]
    # The term's lines come to the price path's first invoice, to the cent.
    path = expected_path(option)
    assert sum((amount for _, _, amount in term), usd(0)) == path.first_invoice == usd("9360.00")
    license.refresh_from_db()
    assert license.version == catalog.version("business")
    assert (license.seats, license.term_start, license.term_end) == (
        10,
        TODAY,
        date(2029, 3, 13),
    )
    subscription = Subscription.objects.get(license=license)
    assert (subscription.term_cycles, subscription.billing) == (3, "upfront")
    assert subscription.discount_percent == Decimal(20)
    assert subscription.discount_reason == REASON
    assert subscription.discount_ends_on == date(2029, 3, 13)
    periods = SubscriptionPeriod.objects.filter(
        subscription=subscription, starts_on__gte=TODAY
    ).order_by("starts_on")
    assert [(p.list_amount, p.discount_amount, p.net_amount) for p in periods] == [
        (Decimal("3900.00"), Decimal("780.00"), Decimal("3120.00"))
    ] * 3
    assert ProposalEvent.objects.filter(
        proposal=version.proposal, kind=ProposalEventKind.ACCEPTED, actor=owner
    ).exists()


def test_the_preview_shown_is_the_invoice_confirmed(license, catalog, billing_admin, now):
    version = sent_version(license, catalog, [business_3_years()])
    option = version.options.get()
    shown = accept_preview(version=version, option=option, user=billing_admin)

    accepted = proposal_accept(
        version=version, option=option, user=billing_admin, digest=shown.digest
    )

    invoice = accepted.checkout.invoice
    assert [(kind, text, amount) for kind, text, amount in lines_of(invoice)] == [
        (line.kind, line.description, line.amount) for line in shown.quote.lines
    ]
    assert invoice.money("amount_due") == shown.quote.amount_due


def test_per_year_billing_invoices_a_year_now_and_each_next_year_inside_the_term_only(
    license, catalog, owner, now
):
    version = sent_version(license, catalog, [business_3_years(billing="per_cycle")])
    option = version.options.get()

    checkout = proposal_accept(version=version, option=option, user=owner).checkout

    discount = (LineKind.DISCOUNT, f"Negotiated discount 20% ({REASON})", usd("-780.00"))
    assert lines_of(checkout.invoice)[1:] == [
        (LineKind.RECURRING, "Business, 10 seats, annual (1 of 3)", usd("3900.00")),
        discount,
    ]
    subscription = Subscription.objects.get(license=checkout.license)
    # Years 2 and 3, each on its first day, at the locked price less the discount.
    for day in (date(2027, 3, 14), date(2028, 3, 14)):
        with time_machine.travel(datetime(day.year, 3, 14, 8, tzinfo=UTC), tick=False):
            result = subscription_term_end(subscription=subscription, today=day)
        assert lines_of(result.invoice) == [
            (LineKind.RECURRING, "Business, 10 seats, annual", usd("3900.00")),
            discount,
        ]
        period = SubscriptionPeriod.objects.get(subscription=subscription, starts_on=day)
        assert (period.discount_amount, period.net_amount) == (
            Decimal("780.00"),
            Decimal("3120.00"),
        )
    # After the term, the renewal is at the list price: the discount was for the term.
    day = date(2029, 3, 14)
    with time_machine.travel(datetime(2029, 3, 14, 8, tzinfo=UTC), tick=False):
        result = subscription_term_end(subscription=subscription, today=day)
    kinds = [kind for kind, _, _ in lines_of(result.invoice)]
    assert LineKind.DISCOUNT not in kinds
    # The next term's first year (billed per year), at the list price.
    assert result.invoice.money("subtotal") == usd("3900.00")


@pytest.mark.parametrize("renew_as_is", [False, True])
def test_a_monthly_option_keeps_its_discount_for_the_year_its_price_path_shows(
    organization, catalog, owner, now, renew_as_is
):
    # The path prices a monthly option's year 1 as twelve discounted months; each month
    # is a term of its own, and the discount lasted only the first (months 2 to 12 were
    # invoiced at the list price).
    license = subscribed(organization, catalog, "team", seats=5, cycle="monthly")
    spec = {"seats": 5 if renew_as_is else 7, "cycle": "monthly", "renew_as_is": renew_as_is}
    version = sent_version(
        license,
        catalog,
        [spec | {"discount_percent": Decimal(20), "discount_reason": "loyalty"}],
    )
    option = version.options.get()
    starts_on = date(2026, 4, 1) if renew_as_is else TODAY
    [year_one] = expected_path(option, starts_on).years

    accepted = proposal_accept(version=version, option=option, user=owner)

    invoiced = []
    if not renew_as_is:
        invoiced.append(accepted.checkout.invoice)
    subscription = Subscription.objects.get(license=license)
    month = starts_on if renew_as_is else date(2026, 4, 14)
    while month <= year_one.ends_on:
        with time_machine.travel(datetime.combine(month, time(5), tzinfo=UTC), tick=False):
            if renew_as_is and month == starts_on:
                scheduled_changes_apply_due(today=month)
            subscription.refresh_from_db()
            invoiced.append(subscription_term_end(subscription=subscription, today=month).invoice)
        month = invoiced[-1].lines.order_by("position").last().period_end + timedelta(days=1)
    term_lines = [
        amount
        for invoice in invoiced
        for kind, _, amount in lines_of(invoice)
        if kind != LineKind.PRORATION_CREDIT
    ]
    assert len(invoiced) == 12
    assert sum(term_lines, usd(0)) == year_one.net
    # The thirteenth month is at the list price: the discount was for the year.
    with time_machine.travel(datetime.combine(month, time(5), tzinfo=UTC), tick=False):
        subscription.refresh_from_db()
        after = subscription_term_end(subscription=subscription, today=month).invoice
    assert LineKind.DISCOUNT not in [kind for kind, _, _ in lines_of(after)]


def test_a_retired_version_is_still_quoted_and_applied(organization, catalog, owner, now):
    license = subscribed(
        organization,
        catalog,
        "starter",
        seats=2,
        cycle="annual",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )
    retired = catalog.version("team", 1)
    version = sent_version(
        license, catalog, [{"tier_version": retired, "seats": 4, "cycle": "annual"}]
    )
    option = version.options.get()

    checkout = proposal_accept(version=version, option=option, user=owner).checkout

    license.refresh_from_db()
    assert license.version == retired
    recurring = [line for line in lines_of(checkout.invoice) if line[0] == LineKind.RECURRING]
    assert recurring == [(LineKind.RECURRING, "Team, 4 seats, annual", usd("790.00"))]


# --- Renew as is -----------------------------------------------------------------------


def test_renew_as_is_is_scheduled_and_applied_at_the_term_end_with_its_discount(
    license, catalog, owner, now
):
    version = sent_version(
        license,
        catalog,
        [
            {
                "tier": "team",
                "seats": 5,
                "term_cycles": 2,
                "billing": "per_cycle",
                "discount_percent": Decimal(10),
                "discount_reason": "loyalty",
                "renew_as_is": True,
            }
        ],
    )
    option = version.options.get()
    shown = accept_preview(version=version, option=option, user=owner)
    assert isinstance(shown, Renewal)

    accepted = proposal_accept(version=version, option=option, user=owner, digest=shown.digest)

    change = accepted.scheduled
    assert accepted.checkout is None
    assert (change.effective_on, change.term_cycles, change.billing) == (
        date(2027, 1, 1),
        2,
        "per_cycle",
    )
    assert (change.discount_percent, change.proposal_option) == (Decimal(10), option)
    assert change.summary == (
        "Renew as is: Team, 5 seats, annual, for 2 years, 10% off (loyalty)"  # not "1E+1%"
    )
    # The job applies it on its day (the test clock), then the renewal bills the year.
    with time_machine.travel(datetime(2027, 1, 1, 5, tzinfo=UTC), tick=False):
        applied = scheduled_changes_apply_due(today=date(2027, 1, 1))
        assert [c.pk for c in applied] == [change.pk]
        subscription = Subscription.objects.get(license=license)
        assert (subscription.term_cycles, subscription.billing) == (2, "per_cycle")
        assert subscription.discount_ends_on == date(2028, 12, 31)
        result = subscription_term_end(subscription=subscription, today=date(2027, 1, 1))
    assert lines_of(result.invoice) == [
        (LineKind.RECURRING, "Team, 5 seats, annual (1 of 2)", usd("950.00")),
        (LineKind.DISCOUNT, "Negotiated discount 10% (loyalty)", usd("-95.00")),
    ]
    license.refresh_from_db()
    assert license.term_end == date(2028, 12, 31)


def test_renew_as_is_applied_by_the_renewal_itself(license, catalog, owner, now):
    change = accepted_renewal_as_is(license, catalog, owner)
    subscription = Subscription.objects.get(license=license)
    with time_machine.travel(datetime(2027, 1, 1, 5, tzinfo=UTC), tick=False):
        result = subscription_term_end(subscription=subscription, today=date(2027, 1, 1))
    change.refresh_from_db()
    assert change.status == ScheduledChangeStatus.APPLIED
    described = "Negotiated discount 15% (loyalty)"
    assert lines_of(result.invoice) == [
        (LineKind.RECURRING, "Team, 5 seats, annual (1 of 3)", usd("950.00")),
        (LineKind.DISCOUNT, described, usd("-142.50")),
        (LineKind.RECURRING, "Team, 5 seats, annual (2 of 3)", usd("950.00")),
        (LineKind.DISCOUNT, described, usd("-142.50")),
        (LineKind.RECURRING, "Team, 5 seats, annual (3 of 3)", usd("950.00")),
        (LineKind.DISCOUNT, described, usd("-142.50")),
    ]


# --- Declining -------------------------------------------------------------------------


def test_declining_records_the_answer_and_the_reason(license, catalog, owner, now):
    version = sent_version(license, catalog, [business_3_years()])

    proposal_decline(version=version, user=owner, reason="  Budget frozen this year. ")

    version.refresh_from_db()
    assert version.status == ProposalStatus.DECLINED
    assert (version.answered_by, version.decline_reason) == (owner, "Budget frozen this year.")
    event = ProposalEvent.objects.get(proposal=version.proposal, kind=ProposalEventKind.DECLINED)
    assert event.comment == "Budget frozen this year."
    with pytest.raises(ProposalRefused, match="declined"):
        proposal_accept(version=version, option=version.options.get(), user=owner)


# --- Refusals --------------------------------------------------------------------------


def nothing_written(version):
    assert not Checkout.objects.filter(proposal=version.proposal).exists()
    assert not ScheduledChange.objects.filter(proposal_option__proposal_version=version).exists()
    assert not ProposalEvent.objects.filter(proposal=version.proposal).exists()
    assert Invoice.objects.filter(license=version.proposal.license).count() == 0


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ProposalStatus.SUPERSEDED, "replaced by a newer one"),
        (ProposalStatus.WITHDRAWN, "withdrew this proposal"),
        (ProposalStatus.DRAFT, "has not been sent"),
        (ProposalStatus.APPROVED, "has not been sent"),
        (ProposalStatus.DECLINED, "was declined"),
    ],
)
def test_a_version_not_open_is_refused_with_why(license, catalog, owner, now, status, message):
    version = sent_version(license, catalog, [business_3_years()], status=status)
    with pytest.raises(ProposalRefused, match=message):
        proposal_accept(version=version, option=version.options.get(), user=owner)
    with pytest.raises(ProposalRefused, match=message):
        proposal_decline(version=version, user=owner)
    nothing_written(version)


def test_an_expired_proposal_is_refused(license, catalog, owner, now):
    version = sent_version(license, catalog, [business_3_years()], valid_until=date(2026, 3, 13))
    option = version.options.get()
    with pytest.raises(ProposalRefused, match="expired on 13 March 2026"):
        proposal_accept(version=version, option=option, user=owner)
    with pytest.raises(ProposalRefused, match="expired"):
        accept_preview(version=version, option=option, user=owner)
    nothing_written(version)


def test_the_last_valid_day_still_accepts(license, catalog, owner, now):
    version = sent_version(license, catalog, [business_3_years()], valid_until=TODAY)
    proposal_accept(version=version, option=version.options.get(), user=owner)
    version.refresh_from_db()
    assert version.status == ProposalStatus.ACCEPTED


def test_accepted_once_only(license, catalog, owner, now):
    version = sent_version(license, catalog, [business_3_years(), {"seats": 6}])
    first, second = version.options.all()
    proposal_accept(version=version, option=first, user=owner)
    with pytest.raises(ProposalRefused, match="accepted already on 14 March 2026"):
        proposal_accept(version=version, option=second, user=owner)
    assert Checkout.objects.filter(proposal=version.proposal).count() == 1


def test_an_option_of_another_version_is_refused(license, catalog, owner, now):
    version = sent_version(license, catalog, [business_3_years()])
    other = sent_version(license, catalog, [{"seats": 6}])
    with pytest.raises(ProposalRefused, match="not one of this proposal"):
        proposal_accept(version=version, option=other.options.get(), user=owner)
    nothing_written(version)


def test_a_member_cannot_answer(license, catalog, teammate, now):
    version = sent_version(license, catalog, [business_3_years()])
    with pytest.raises(ProposalRefused, match="owner or a billing admin"):
        proposal_accept(version=version, option=version.options.get(), user=teammate)
    with pytest.raises(ProposalRefused, match="owner or a billing admin"):
        proposal_decline(version=version, user=teammate)
    nothing_written(version)


def test_an_owner_of_another_organization_cannot_answer(license, catalog, now):
    version = sent_version(license, catalog, [business_3_years()])
    stranger = MembershipFactory(role="owner").user
    with pytest.raises(ProposalRefused):
        proposal_accept(version=version, option=version.options.get(), user=stranger)
    nothing_written(version)


def test_a_stale_preview_is_refused_and_nothing_is_written(license, catalog, owner, now):
    version = sent_version(license, catalog, [business_3_years()])
    with pytest.raises(StalePreview):
        proposal_accept(version=version, option=version.options.get(), user=owner, digest="x")
    nothing_written(version)
    version.refresh_from_db()
    assert version.status == ProposalStatus.SENT


def test_a_checkout_bound_to_an_expired_option_is_not_quoted(license, catalog, owner, now):
    from billing.checkout.services import checkout_preview, option_target

    version = sent_version(license, catalog, [business_3_years()], valid_until=date(2026, 3, 1))
    option = version.options.get()
    checkout = Checkout(
        organization=license.organization,
        license=license,
        proposal=version.proposal,
        proposal_option=option,
    )
    with pytest.raises(QuoteRefused, match="expired on 1 March 2026"):
        checkout_preview(checkout=checkout, target=option_target(option))


def test_a_change_inside_the_discounted_term_is_prorated_at_the_agreed_price(
    license, catalog, owner, now
):
    """Seats added half a year into the three years keep the 20%: the unused time is
    credited at what was paid, and the added seats are charged at the discounted price."""
    version = sent_version(license, catalog, [business_3_years()])
    proposal_accept(version=version, option=version.options.get(), user=owner)
    license.refresh_from_db()
    with time_machine.travel(datetime(2026, 9, 14, 9, tzinfo=UTC), tick=False):
        shown, checkout = confirm(
            license.organization, license, owner, tier="business", seats=12, cycle="annual"
        )
    term_days = (date(2029, 3, 13) - TODAY).days + 1
    left = (date(2029, 3, 13) - date(2026, 9, 14)).days + 1
    credit, charge = shown.quote.lines
    assert credit.amount == -usd(Decimal("9360.00") * left / term_days).rounded()
    assert charge.amount == usd(Decimal("11232.00") * left / term_days).rounded()
    assert "after discounts" in charge.description
    assert checkout.invoice.money("subtotal") == shown.quote.subtotal


def test_renewing_as_is_turns_a_canceled_renewal_back_on(license, catalog, owner, now):
    subscription_set_auto_renew(
        subscription=Subscription.objects.get(license=license),
        auto_renew=False,
        actor=SYSTEM,
        reason="Canceled by the customer.",
        ends_with_term=True,
    )
    version = sent_version(license, catalog, [{"seats": 5, "renew_as_is": True}])
    proposal_accept(version=version, option=version.options.get(), user=owner)
    license.refresh_from_db()
    assert license.auto_renew


@pytest.mark.parametrize("renew_as_is", [False, True])
def test_a_suspended_license_is_not_changed_by_a_proposal(
    license, catalog, owner, now, renew_as_is
):
    license_suspend(license=license, actor=SYSTEM, reason="Fraud check.")
    version = sent_version(license, catalog, [business_3_years(renew_as_is=renew_as_is)])
    with pytest.raises((ProposalRefused, QuoteRefused), match="This license is suspended"):
        proposal_accept(version=version, option=version.options.get(), user=owner)
    nothing_written(version)
    version.refresh_from_db()
    assert version.status == ProposalStatus.SENT


def test_a_checkout_is_bound_only_to_a_proposal_of_its_license(
    license, organization, catalog, owner, now
):
    version = sent_version(license, catalog, [business_3_years()])
    with pytest.raises(ValidationError, match="another license"):
        checkout_start(
            organization=organization,
            license=None,
            user=owner,
            proposal_option=version.options.get(),
        )
    option = version.options.get()
    bound = checkout_start(
        organization=organization, license=license, user=owner, proposal_option=option
    )
    assert (bound.proposal, bound.proposal_option) == (version.proposal, option)
    assert bound.events.get().data == {"proposal": version.label}


def test_accepting_one_proposal_closes_the_licenses_other_open_ones(license, catalog, owner, now):
    """Made for the plan the license had, the others could otherwise undo the accepted
    one: a stale "renew as is" scheduling the old plan back, a second upgrade on top."""
    renewal = sent_version(license, catalog, [{"renew_as_is": True}])
    upgrade = sent_version(license, catalog, [business_3_years()])
    draft = sent_version(license, catalog, [{"seats": 7}], status=ProposalStatus.DRAFT)

    proposal_accept(version=upgrade, option=upgrade.options.get(), user=owner)

    for closed in (renewal, draft):
        closed.refresh_from_db()
        assert closed.status == ProposalStatus.WITHDRAWN
        event = ProposalEvent.objects.get(proposal=closed.proposal)
        assert event.kind == ProposalEventKind.WITHDRAWN
        assert event.comment == f"Closed: {upgrade.label} was accepted."
    with pytest.raises(
        ProposalRefused,
        match=rf"closed when {upgrade.label} was accepted on 14 March 2026; it can no longer",
    ):
        proposal_accept(version=renewal, option=renewal.options.get(), user=owner)
    assert not ScheduledChange.objects.filter(license=license).exists()


def test_no_version_of_an_accepted_proposal_is_accepted_too(license, catalog, owner, now):
    # v1 accepted (a change now) while v2 was being prepared; v2 reaching the customer
    # anyway (it can no longer be sent: billing.proposals.sending) is refused too: one
    # change per proposal, whichever version.
    first = sent_version(license, catalog, [business_3_years()])
    proposal_accept(version=first, option=first.options.get(), user=owner)
    second = sent_version(
        license, catalog, [{"seats": 10, "renew_as_is": True}], proposal=first.proposal
    )
    option = second.options.get()

    with pytest.raises(ProposalRefused, match=r"accepted already \(P-2026-\d+ v1\)"):
        proposal_accept(version=second, option=option, user=owner)
    with pytest.raises(ProposalRefused, match="accepted already"):
        proposal_decline(version=second, user=owner)
    assert Checkout.objects.filter(proposal=first.proposal).count() == 1
    assert not ScheduledChange.objects.filter(proposal_option=option).exists()
    second.refresh_from_db()
    assert second.status == ProposalStatus.SENT


def test_renewing_as_is_is_refused_once_the_customer_changed_the_plan(
    license, organization, catalog, owner, now
):
    # Sent when the license was Team, 5 seats; the customer then bought Business, 10
    # seats. "Renew as is" would schedule Team, 5 seats back at the term's end.
    version = sent_version(license, catalog, [{"seats": 5, "renew_as_is": True}])
    option = version.options.get()
    confirm(organization, license, owner, tier="business", seats=10, cycle="annual", currency="USD")

    with pytest.raises(ProposalRefused, match="Your plan changed since this proposal was made"):
        accept_preview(version=version, option=option, user=owner)
    with pytest.raises(ProposalRefused, match="Your plan changed since this proposal was made"):
        proposal_accept(version=version, option=option, user=owner)
    assert not ScheduledChange.objects.filter(proposal_option=option).exists()
    version.refresh_from_db()
    assert version.status == ProposalStatus.SENT


def test_the_answer_is_emailed_to_who_prepared_it_and_the_accounts_manager(
    license, catalog, owner, account_manager, now
):
    preparer = UserFactory(is_staff=True, first_name="Ada", last_name="Admin")
    license.organization.account_manager = account_manager
    license.organization.save()
    accepted = sent_version(license, catalog, [business_3_years()], prepared_by=preparer)
    declined = sent_version(license, catalog, [{"seats": 7}], prepared_by=account_manager)

    proposal_decline(version=declined, user=owner, reason="Budget <frozen> & on hold")
    [decline] = OutboundEmail.objects.filter(subject__contains="declined")
    assert decline.to == account_manager.email  # who prepared it and manages the account
    assert decline.subject == f"{license.organization.name} declined {declined.label}"
    assert "Their reason:\nBudget <frozen> & on hold" in decline.body_text
    assert "Budget &lt;frozen&gt; &amp; on hold" in decline.body_html
    assert f"/manage/proposals/{declined.proposal.number}/" in decline.body_text

    proposal_accept(version=accepted, option=accepted.options.get(), user=owner)
    mails = OutboundEmail.objects.filter(subject__contains="accepted").order_by("to")
    assert sorted(mail.to for mail in mails) == sorted([preparer.email, account_manager.email])
    for mail in mails:
        assert f"accepted option 1 of {accepted.label}: Business v1, 10 seats" in mail.body_text
        assert "20% off (three-year commitment)" in mail.body_text


def test_more_seats_after_a_renewal_as_is_keep_its_term_and_discount(
    license, catalog, owner, organization, now
):
    """Seats added in the portal after a renewal as is was accepted: the renewal keeps its
    day, term and discount, with the seats added (it was cancelled as "nothing left of
    it", and the renewal billed one year at the list price)."""
    change = accepted_renewal_as_is(license, catalog, owner)
    shown, _ = confirm(organization, license, owner, tier="team", seats=6, cycle="annual")
    assert shown.replan.why == (
        "It stays on its day (the renewal agreed in your proposal), with what you choose "
        "now: 6 seats instead of 5."
    )
    change.refresh_from_db()
    assert (change.status, change.seats, change.term_cycles) == (
        ScheduledChangeStatus.SCHEDULED,
        6,
        3,
    )
    subscription = Subscription.objects.get(license=license)
    with time_machine.travel(datetime(2027, 1, 1, 5, tzinfo=UTC), tick=False):
        result = subscription_term_end(subscription=subscription, today=date(2027, 1, 1))
    described = "Negotiated discount 15% (loyalty)"
    assert lines_of(result.invoice)[:2] == [
        (LineKind.RECURRING, "Team, 6 seats, annual (1 of 3)", usd("1140.00")),
        (LineKind.DISCOUNT, described, usd("-171.00")),
    ]
    assert len(lines_of(result.invoice)) == 6


def test_an_upgrade_after_a_renewal_as_is_says_its_term_and_discount_go(
    license, catalog, owner, organization, now
):
    accepted_renewal_as_is(license, catalog, owner)
    shown, _ = confirm(organization, license, owner, tier="business", seats=10, cycle="annual")
    assert shown.replan.outcome == "cancel"
    assert shown.replan.why.endswith(
        "With it go the term and the discount agreed in your proposal; your account manager "
        "can offer them again."
    )
