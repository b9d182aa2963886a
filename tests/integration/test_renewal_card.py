"""A renewal charges the saved card off-session after it commits, against a real
localstripe: once per invoice however often the task runs; a declined card leaves the
invoice open for dunning and tells the customer once (a renewal_failed notice)."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from billing.cards import services as cards
from billing.models import (
    CardPayment,
    CardPaymentStatus,
    InvoiceStatus,
    Notice,
    NoticeKind,
    Payment,
)
from billing.renewals.services import subscription_renew
from billing.renewals.tasks import charge_renewal_invoice
from portal.models import OutboundEmail
from tests.helpers.cards import CARD_DECLINED, CARD_OK, enter_card
from tests.helpers.checkout import subscribed

pytestmark = pytest.mark.django_db

APRIL_1 = date(2026, 4, 1)
AT = datetime(2026, 4, 1, 0, 2, tzinfo=UTC)


def save_card(organization, number: str) -> None:
    """The card the customer entered and kept (as a paid invoice would keep it)."""
    _, secret = cards.card_setup_start(organization=organization)
    setup = enter_card(cards_url(), secret, number)
    customer = cards._customer_locked(organization)
    method = cards._card_from_setup(customer, setup)
    cards._keep_card(customer, method, cards._card_details(method))


_URL = {}


def cards_url():
    return _URL["localstripe"]


@pytest.fixture
def license(organization, catalog, owner, now, stripe_settings, localstripe_url):
    _URL["localstripe"] = localstripe_url
    return subscribed(organization, catalog, "team", seats=5)


def renew(license, django_capture_on_commit_callbacks):
    """The term-end job's renewal at 00:02 on 1 April, and the charge after it commits."""
    with (
        time_machine.travel(AT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return subscription_renew(subscription=license.subscription, today=APRIL_1, at=AT)


def test_the_saved_card_pays_the_renewal_once(
    license, organization, django_capture_on_commit_callbacks
):
    save_card(organization, CARD_OK)

    result = renew(license, django_capture_on_commit_callbacks)

    invoice = result.invoice
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = Payment.objects.get(invoice=invoice)
    assert payment.money() == invoice.money("amount_due")
    renewed = OutboundEmail.objects.filter(subject__contains="renewed").get()
    assert "Visa ending 4242" in renewed.body_text
    # The task again (a retry, a duplicate delivery): the same attempt, no second charge.
    with time_machine.travel(AT, tick=False):
        assert charge_renewal_invoice.apply(args=[invoice.pk]).get() == "succeeded"
    assert CardPayment.objects.filter(invoice=invoice).count() == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_a_declined_card_leaves_the_invoice_open_and_says_so_once(
    license, organization, django_capture_on_commit_callbacks
):
    save_card(organization, CARD_DECLINED)

    result = renew(license, django_capture_on_commit_callbacks)
    with time_machine.travel(AT, tick=False):
        assert charge_renewal_invoice.apply(args=[result.invoice.pk]).get() == "failed"

    invoice = result.invoice
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    attempt = CardPayment.objects.get(invoice=invoice)
    assert attempt.status == CardPaymentStatus.FAILED
    notice = Notice.objects.get(kind=NoticeKind.RENEWAL_FAILED)
    assert (notice.subject, notice.invoice_id) == (f"invoice:{invoice.pk}", invoice.pk)
    failed = OutboundEmail.objects.exclude(subject__contains="renewed")
    assert failed.count() == 1
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_a_decline_the_webhook_reports_later_is_on_record_once(
    license, organization, owner, django_capture_on_commit_callbacks
):
    # The renewal's charge was still processing when the task ended (no card saved here,
    # so the renewal itself charged nothing); the bank's decline comes by webhook.
    result = renew(license, django_capture_on_commit_callbacks)
    invoice = result.invoice
    due = invoice.money("amount_due")
    CardPayment.objects.create(
        organization=organization,
        invoice=invoice,
        attempt_key=f"off-session-{invoice.pk}",
        intent_id="pi_reported_later",
        currency=due.currency,
        amount=due.amount,
        payment_method_id="pm_saved",
        status=CardPaymentStatus.PROCESSING,
    )
    declined = {
        "id": "pi_reported_later",
        "status": "requires_payment_method",
        "last_payment_error": {"message": "Your card was declined."},
    }

    with time_machine.travel(AT, tick=False):
        cards.card_payment_reconcile(intent=declined, failed=True)
        cards.card_payment_reconcile(intent=declined, failed=True)  # delivered twice

    notice = Notice.objects.get(kind=NoticeKind.RENEWAL_FAILED)
    assert (notice.invoice_id, notice.sent_on) == (invoice.pk, APRIL_1)
    failed = OutboundEmail.objects.filter(subject__startswith="Card payment failed")
    assert [email.to for email in failed] == [owner.email]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
