"""On PostgreSQL, the dunning job racing a payment: on the suspension day, the job's step
for an overdue invoice and the bank transfer recorded for it run at the same moment. Both
lock the license before the invoice (billing.locks), so whichever comes second sees the
first: the job finds the invoice paid and suspends nothing, or the payment finds the
dunning hold and lifts it. Never a paid invoice's license left suspended, never a
deadlock. Each side is slowed in turn inside its transaction so the other arrives while
it holds its locks."""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from billing.dunning import services as dunning
from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.models import InvoiceStatus, Notice, NoticeKind
from billing.money import Money
from billing.payments import services as payments
from billing.payments.services import payment_record
from licensing.models import HoldSource, LicenseHold, LicenseStatus
from tests.helpers.concurrency import run_together
from tests.helpers.licenses import issue
from tests.helpers.services import NEEDS_POSTGRESQL

pytestmark = pytest.mark.integration

ISSUED = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)  # due 13 April (net 30)
PAST_DUE_DAY = datetime(2026, 4, 20, 6, 35, tzinfo=UTC)
SUSPEND_DAY = datetime(2026, 5, 13, 6, 35, tzinfo=UTC)
ROUNDS = 4


def slowed(function, seconds: float):
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        time.sleep(seconds)  # still inside the caller's transaction, holding its locks
        return result

    return wrapper


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("slow", ["dunning", "payment", "neither"])
def test_the_dunning_job_racing_a_payment_never_leaves_a_paid_license_suspended(
    organization, catalog, owner, monkeypatch, slow
):
    if slow == "dunning":
        monkeypatch.setattr(dunning, "_apply_stages", slowed(dunning._apply_stages, 0.4))
    elif slow == "payment":
        monkeypatch.setattr(payments, "_write_payment", slowed(payments._write_payment, 0.4))
    outcomes_seen = []
    for round_ in range(ROUNDS):
        with time_machine.travel(ISSUED, tick=False):
            license = _license(organization, catalog, round_)
            invoice = invoices.invoice_create_draft(
                organization=organization, currency="USD", license=license
            )
            invoices.invoice_add_line(
                invoice=invoice,
                kind=LineKind.ONE_OFF,
                description="Team plan",
                unit_price=Money(Decimal("120.00"), "USD"),
            )
            invoice = invoices.invoice_finalize(invoice=invoice, at=ISSUED)
        with time_machine.travel(PAST_DUE_DAY, tick=False):
            assert dunning.invoice_dunning_step(invoice_id=invoice.pk) == "past_due"
        with time_machine.travel(SUSPEND_DAY, tick=True):

            def step(invoice=invoice):
                return dunning.invoice_dunning_step(invoice_id=invoice.pk)

            def pay(invoice=invoice, round_=round_):
                return payment_record(
                    invoice=invoice,
                    amount=invoice.money("amount_due"),
                    received_on=SUSPEND_DAY.date(),
                    reference=f"TRF-{round_}",
                    actor=None,
                    reason="On the bank statement.",
                )

            outcomes = run_together([step, pay] if round_ % 2 else [pay, step])

        errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
        assert errors == [], errors
        invoice.refresh_from_db()
        license.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert license.status == LicenseStatus.ACTIVE, (slow, round_, outcomes)
        assert not LicenseHold.objects.filter(license=license, lifted_at__isnull=True).exists()
        suspended = Notice.objects.filter(invoice=invoice, kind=NoticeKind.SUSPENDED).exists()
        if suspended:  # the job came first: the payment lifted its hold
            assert LicenseHold.objects.get(license=license).source == HoldSource.DUNNING
        outcomes_seen.append("suspended, then lifted" if suspended else "paid first")
    print(f"\nslowed {slow}: {outcomes_seen}")


def _license(organization, catalog, round_):
    """One license per round: the previous round's is closed first (one open license per
    product)."""
    from licensing.licenses.services import license_revoke
    from licensing.models import License
    from tests.helpers.licenses import SYSTEM

    for open_license in License.objects.filter(organization=organization).exclude(
        status__in=[LicenseStatus.CANCELED, LicenseStatus.EXPIRED]
    ):
        license_revoke(license=open_license, actor=SYSTEM, reason=f"Round {round_} starts.")
    return issue(organization, catalog).license
