"""Keeping a retired version's price past its lock needs an admin's approval
(billing.proposals.content.approval_reasons, options.retired_price_until), asked when a
version is sent; a version sent inside the lock can run past it by the day it is
accepted (a monthly renewal moves its start on): the acceptance refuses it then, unless
an admin approved it (attacker)."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from billing.models import ScheduledChange, Subscription
from billing.proposals.acceptance import ProposalRefused, accept_preview, proposal_accept
from billing.proposals.options import renew_as_is
from billing.proposals.sending import proposal_send
from billing.proposals.services import Edit, proposal_create, proposal_edit, proposal_option_set
from billing.renewals.selectors import lock_holds_until
from billing.renewals.services import Outcome, subscription_term_end
from licensing.licenses.services import Actor
from tests.helpers.checkout import subscribed


def _renew(license, day):
    with time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=UTC), tick=False):
        subscription = Subscription.objects.get(license=license)
        result = subscription_term_end(subscription=subscription, today=day)
    assert result.outcome == Outcome.RENEWED
    license.refresh_from_db()


def test_a_retired_price_past_its_lock_is_never_scheduled_without_approval(
    organization, owner, catalog, account_manager, now
):
    # Northwind on Team v1 (retired, its price holds until its notice date), monthly.
    license = subscribed(organization, catalog, "team", number=1, seats=4, cycle="monthly")
    v1 = license.version
    holds = lock_holds_until(license.subscription, v1)
    assert holds == date(2026, 5, 13)
    am = Actor.of(account_manager)
    proposal = proposal_create(license=license, actor=am, at=now)
    proposal_option_set(
        proposal=proposal, position=None, option=renew_as_is(license), actor=am, at=now
    )
    proposal_edit(proposal=proposal, edit=Edit(valid_until=date(2026, 6, 10)), actor=am, at=now)
    version = proposal.versions.get()
    # Sent today without approval: renewing on 1 April for April is within the lock.
    proposal_send(version=version, actor=am, at=now)

    # The monthly renewals of April and May run (both start before the lock ends).
    _renew(license, date(2026, 4, 2))
    _renew(license, date(2026, 5, 2))
    assert license.renews_on == date(2026, 6, 1)

    # The customer accepts the offer, still valid, on 20 May.
    accepted_at = datetime(2026, 5, 20, 10, tzinfo=UTC)
    version.refresh_from_db()
    option = version.options.get()
    with time_machine.travel(accepted_at, tick=False):
        for answer in (accept_preview, proposal_accept):
            with pytest.raises(
                ProposalRefused, match="Team v1, retired, at its price past 31 May 2026"
            ):
                answer(version=version, option=option, user=owner, at=accepted_at)
    version.refresh_from_db()
    assert version.status == "sent"
    assert not ScheduledChange.objects.filter(license=license, version=v1).exists()
