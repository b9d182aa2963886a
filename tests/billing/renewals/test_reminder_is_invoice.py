"""The amount a renewal reminder states is what the renewal then invoices, to the cent, as
a property: any tier, seats, cycle and currency, the buyer's country (tax by the rule or
none known) or a staff override of the rate, with or without fewer seats scheduled for
the renewal day. The reminder is sent on its lead day (7 days before a monthly renewal,
90 before an annual one), the renewal runs on its day, and the reminder's "Total" is
the invoice's total as it prints it. "Now" is 14 March 2026 (tests/conftest.py)."""

from datetime import UTC, date, datetime, timedelta

import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import BillingDetails, Notice, NoticeKind
from billing.renewals.notices import reminders_send
from billing.renewals.services import Outcome, subscription_renew
from portal.models import OutboundEmail, Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import confirm, subscribed

# Each tier's seats as the demo catalog sells them (its minimum, and at most its cap).
SEATS = {"starter": (1, 3), "team": (3, 15), "business": (10, 50)}
TERMS = {
    "monthly": (date(2026, 3, 1), date(2026, 3, 31), 7),
    "annual": (date(2025, 7, 1), date(2026, 6, 30), 90),
}


@st.composite
def renewals(draw) -> dict:
    tier = draw(st.sampled_from(sorted(SEATS)))
    low, high = SEATS[tier]
    seats = draw(st.integers(low, high))
    fewer = None
    if seats > low and draw(st.booleans()):
        fewer = draw(st.integers(low, seats - 1))
    return {
        "tier": tier,
        "seats": seats,
        "fewer": fewer,
        "cycle": draw(st.sampled_from(sorted(TERMS))),
        "currency": draw(st.sampled_from(["USD", "EUR", "GBP"])),
        "country": draw(st.sampled_from(["US", "DE", "IE", "GB", "FR", ""])),
        "override": draw(
            st.none() | st.decimals(min_value=0, max_value=30, places=2, allow_nan=False)
        ),
    }


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=renewals())
def test_the_reminder_states_what_the_renewal_invoices(catalog, case):
    term_start, term_end, lead = TERMS[case["cycle"]]
    renews_on = term_end + timedelta(days=1)
    with transaction.atomic():
        organization = OrganizationFactory()
        owner = MembershipFactory(organization=organization, role=Role.OWNER).user
        if case["country"] or case["override"] is not None:
            BillingDetails.objects.create(
                organization=organization,
                legal_name="Buyer Ltd",
                country=case["country"],
                tax_rate_override=case["override"],
                tax_override_reason="An exemption certificate" if case["override"] else "",
            )
        license = subscribed(
            organization,
            catalog,
            case["tier"],
            seats=case["seats"],
            cycle=case["cycle"],
            currency=case["currency"],
            term_start=term_start,
            term_end=term_end,
        )
        if case["fewer"] is not None:
            _, scheduled = confirm(
                organization,
                license,
                owner,
                tier=case["tier"],
                seats=case["fewer"],
                cycle=case["cycle"],
            )
            assert scheduled.scheduled_change is not None

        reminder_day = renews_on - timedelta(days=lead)
        with time_machine.travel(_at(reminder_day, 7), tick=False):
            first = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first()
            assert reminders_send(license_ids=[license.pk], today=reminder_day).sent == 1
        assert Notice.objects.filter(license=license, kind=NoticeKind.RENEWAL_REMINDER).count() == 1
        sent = list(OutboundEmail.objects.filter(pk__gt=first or 0))
        assert sent

        with time_machine.travel(_at(renews_on, 0), tick=False):
            license.refresh_from_db()
            result = subscription_renew(
                subscription=license.subscription, today=renews_on, at=_at(renews_on, 0)
            )
        assert result.outcome == Outcome.RENEWED
        invoice = result.invoice
        total = invoice.money("total").format()
        for message in sent:
            assert f"Total: {total}" in message.body_text, (case, message.body_text)
            assert total in message.body_html
        # The renewal made the change scheduled for its day, as the reminder priced it.
        license.refresh_from_db()
        assert license.seats == (case["fewer"] or case["seats"])
        transaction.set_rollback(True)
