"""A lower tier or fewer seats can be proposed from the renewal (../shared/PRODUCT.md,
rule 4: a downgrade takes effect at the end of the term): the option starts the day
after the current term, accepting it schedules the change for then (nothing changes or
is invoiced today), the customer's page lists what exceeds the lower plan, and the
renewal invoices the option's price path to the cent."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from billing.models import Invoice, ProposalStatus, ScheduledChange, Subscription
from billing.proposals.acceptance import Renewal, accept_preview, proposal_accept
from billing.proposals.content import option_path
from billing.proposals.options import OptionInput
from billing.proposals.sending import downgrades
from billing.proposals.services import proposal_create, proposal_option_set
from billing.renewals.services import Outcome, subscription_term_end
from licensing.licenses.services import Actor
from tests.helpers.proposals import sent_version

STARTER_FROM_RENEWAL = {"tier": "starter", "seats": 3, "cycle": "annual", "at_renewal": True}


def _set(proposal, option, account_manager, now):
    return proposal_option_set(
        proposal=proposal, position=None, option=option, actor=Actor.of(account_manager), at=now
    )


@pytest.mark.parametrize(
    ("tier", "seats"),
    [("starter", 3), ("team", 4)],
    ids=["a lower tier", "fewer seats"],
)
def test_the_builder_takes_a_decrease_that_starts_at_the_renewal(
    license, catalog, account_manager, now, tier, seats
):
    proposal = proposal_create(license=license, actor=Actor.of(account_manager), at=now)
    option = OptionInput(
        tier_version=catalog.version(tier), seats=seats, cycle="annual", at_renewal=True
    )
    _set(proposal, option, account_manager, now)
    saved = proposal.versions.get().options.get()
    assert saved.at_renewal and not saved.renew_as_is and saved.starts_at_term_end
    assert (saved.tier_version.tier.slug, saved.seats) == (tier, seats)


def test_renew_as_is_is_not_also_marked_at_renewal(license, catalog, account_manager, now):
    from billing.proposals.options import renew_as_is

    proposal = proposal_create(license=license, actor=Actor.of(account_manager), at=now)
    _set(proposal, renew_as_is(license, at_renewal=True), account_manager, now)
    saved = proposal.versions.get().options.get()
    assert saved.renew_as_is and not saved.at_renewal and saved.starts_at_term_end


def test_accepting_schedules_the_lower_plan_and_the_renewal_invoices_its_price(
    license, catalog, owner, account_manager, now
):
    version = sent_version(license, catalog, [STARTER_FROM_RENEWAL], prepared_by=account_manager)
    assert downgrades(version, version.options.all()) == []  # nothing keeps it from sending
    option = version.options.get()
    invoices = Invoice.objects.count()

    shown = accept_preview(version=version, option=option, user=owner)
    assert isinstance(shown, Renewal)
    assert shown.effective_on == date(2027, 1, 1)
    accepted = proposal_accept(version=version, option=option, user=owner, digest=shown.digest)

    version.refresh_from_db()
    assert version.status == ProposalStatus.ACCEPTED
    assert accepted.checkout is None
    change = accepted.scheduled
    assert (change.effective_on, change.version.tier.slug, change.seats) == (
        date(2027, 1, 1),
        "starter",
        3,
    )
    assert change.summary.startswith("From the renewal: Starter, 3 seats, annual")
    license.refresh_from_db()
    assert (license.version.tier.slug, license.seats) == ("team", 5)  # nothing changes today
    assert Invoice.objects.count() == invoices  # nothing is invoiced today

    path = option_path(option, license, now.date())
    renewal_day = date(2027, 1, 2)
    with time_machine.travel(datetime(2027, 1, 2, 9, tzinfo=UTC), tick=False):
        subscription = Subscription.objects.get(license=license)
        result = subscription_term_end(subscription=subscription, today=renewal_day)
    assert result.outcome == Outcome.RENEWED
    license.refresh_from_db()
    assert (license.version.tier.slug, license.seats) == ("starter", 3)
    assert (license.term_start, license.term_end) == (date(2027, 1, 1), date(2027, 12, 31))
    assert result.invoice.money("subtotal") == path.first_invoice
    change.refresh_from_db()
    assert change.status == "applied"
    # Once the term has moved on, the accepted option still starts when it did (walker:
    # the page said "from 1 Jan 2028" once the license renewed).
    from billing.proposals.content import proposal_content

    version.refresh_from_db()
    (shown,) = proposal_content(version, renewal_day).options
    assert shown.starts_on == date(2027, 1, 1)


def test_the_customers_pages_say_when_it_starts_and_what_exceeds(
    license, catalog, owner, account_manager, client_for, now
):
    version = sent_version(license, catalog, [STARTER_FROM_RENEWAL], prepared_by=account_manager)
    option = version.options.get()
    client = client_for(owner)
    detail = client.get(
        reverse("proposal_detail", args=[license.organization.slug, version.proposal_id])
    ).content.decode()
    assert "(the day after your current term)" in detail
    assert "less the unused part of your current term" not in detail
    assert "No longer available" not in detail

    page = client.get(
        reverse("proposal_accept", args=[license.organization.slug, version.proposal_id, option.pk])
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Nothing changes today and nothing is invoiced now." in text
    assert "What exceeds the new plan" in text
    # Team's 5 seats against Starter's 3, listed before confirming, kept read-only.
    assert "Nothing is deleted. What exceeds is kept, read-only." in text
    assert "Confirm and accept option 1" in text
    assert not ScheduledChange.objects.filter(license=license).exists()  # showing writes nothing


def test_fewer_seats_of_the_same_tier_are_shown_against_today(
    license, catalog, owner, account_manager, client_for
):
    """Team with 5 seats offered Team with 4 from the renewal: the page compares them
    (walker: it said "Everything you have today stays as it is.")."""
    version = sent_version(
        license,
        catalog,
        [{"tier": "team", "seats": 4, "cycle": "annual", "at_renewal": True}],
        prepared_by=account_manager,
    )
    page = (
        client_for(owner)
        .get(reverse("proposal_detail", args=[license.organization.slug, version.proposal_id]))
        .content.decode()
    )
    assert "Everything you have today stays as it is." not in page
    assert "Against your Team today" in page


def test_the_pdf_and_email_name_it_as_starting_at_the_renewal(
    license, catalog, account_manager, now
):
    from billing.proposals.content import proposal_content

    version = sent_version(license, catalog, [STARTER_FROM_RENEWAL], prepared_by=account_manager)
    (option,) = proposal_content(version, now.date()).options
    assert option.label == "Option 1: Starter, 1 year, from the renewal"
    assert option.at_term_end and option.starts_on == date(2027, 1, 1)
