"""Renewals made together (billing.renewals.batch.subscriptions_renew, what the term-end
job runs for a batch) write what renewals made one at a time write, row for row, in a
number of statements that does not grow with the batch; what is not a plain renewal is
left for the one-at-a-time service; a batch that fails is renewed one at a time."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import (
    BillingDetails,
    Invoice,
    Notice,
    RenewalFailure,
    RenewalRun,
    Subscription,
    SubscriptionEvent,
    SubscriptionPeriod,
)
from billing.renewals.batch import subscriptions_renew
from billing.renewals.selectors import next_renewal
from billing.renewals.services import Outcome, subscription_renew
from billing.renewals.tasks import renew_batch
from licensing.licenses.services import license_latest_file
from licensing.licenses.signing import public_key_pem, verify
from licensing.models import LicenseEvent
from portal.models import OutboundEmail
from tests.helpers.previews import give_credit
from tests.helpers.renewal_compare import AT, DAY, anonymous, customer

# (tier, seats, cycle, currency, term start, term end, country, discount)
SHAPES = [
    ("team", 5, "monthly", "USD", date(2026, 3, 1), date(2026, 3, 31), "", None),
    ("business", 12, "annual", "EUR", date(2025, 4, 1), date(2026, 3, 31), "FR", None),
    ("team", 3, "annual", "GBP", date(2025, 4, 1), date(2026, 3, 31), "GB", Decimal("12.50")),
    ("business", 30, "monthly", "USD", date(2026, 3, 1), date(2026, 3, 31), "US", None),
]


def _customer(catalog, shape, name: str):
    """A customer of `shape` (an owner and a billing admin, the shape's tax country)."""
    tier, seats, cycle, currency, start, end, country, discount = shape
    license = customer(
        catalog,
        name,
        tier=tier,
        seats=seats,
        cycle=cycle,
        currency=currency,
        term_start=start,
        term_end=end,
        details={"country": country} if country else None,
    )
    if discount is not None:  # a negotiated discount for a term still running (test data)
        Subscription.objects.filter(license=license).update(
            discount_percent=discount,
            discount_reason="Agreed.",
            discount_ends_on=date(2027, 12, 31),
        )
        license.refresh_from_db()
    return license


def _written(license) -> dict:
    """What a renewal wrote for `license`, without ids, numbers and signatures."""
    invoice = Invoice.objects.get(license=license)
    period = SubscriptionPeriod.objects.filter(subscription__license=license).latest("starts_on")
    file = license_latest_file(license)
    payload = verify(file.body, public_key_pem())  # signed, and by our key
    license.refresh_from_db()
    return {
        "license": (license.term_start, license.term_end, license.revision),
        "lock": Subscription.objects.get(license=license).price_locked_until,
        "invoice": {
            name: getattr(invoice, name)
            for name in (
                "status",
                "currency",
                "subtotal",
                "tax",
                "total",
                "amount_due",
                "tax_rate",
                "tax_treatment",
                "tax_note",
                "billed_to_name",
                "billed_to_country",
                "issued_on",
                "due_on",
                "past_due_on",
                "suspend_on",
                "dunning_reminder_days",
            )
        },
        "history": [row.history_type for row in invoice.history.order_by("history_id")],
        "lines": [
            (
                line.kind,
                line.description,
                line.quantity,
                line.unit_price,
                line.amount,
                line.position,
                line.period_id == period.pk if line.period_id else None,
            )
            for line in invoice.lines.all()
        ],
        "period": (
            period.starts_on,
            period.ends_on,
            period.reason,
            period.net_amount,
            period.discount_amount,
            period.invoice_id == invoice.pk,
        ),
        "file": {
            k: v
            for k, v in payload.items()
            if k not in ("serial", "issued_at", "license", "key_prefix", "organization")
        },
        "license_event": list(
            LicenseEvent.objects.filter(license=license)
            .order_by("-pk")
            .values_list("kind", "reason", "before", "after")[:1]
        ),
        "ledger": list(
            SubscriptionEvent.objects.filter(license_id=license.pk, effective_at=AT).values_list(
                "kind", "mrr_before", "mrr_after", "reason", "operation__action"
            )
        ),
        "notice": list(
            Notice.objects.filter(license=license).values_list("kind", "period", "recipients")
        ),
        "emails": sorted(
            (email.subject, anonymous(email.body_text, invoice, license))
            for email in OutboundEmail.objects.filter(body_text__contains=invoice.number)
        ),
    }


def test_renewals_made_together_write_what_one_at_a_time_writes(catalog, now):
    # Each shape twice, for customers of one name (their slugs differ).
    together = [_customer(catalog, shape, f"Customer {n}") for n, shape in enumerate(SHAPES)]
    alone = [_customer(catalog, shape, f"Customer {n}") for n, shape in enumerate(SHAPES)]
    told = [next_renewal(license.subscription).total for license in together]

    done = subscriptions_renew([license.subscription.pk for license in together], today=DAY, at=AT)
    for license in alone:
        license.refresh_from_db()
        assert (
            subscription_renew(subscription=license.subscription, today=DAY, at=AT).outcome
            == Outcome.RENEWED
        )

    assert done.rest == []
    assert [done.results[license.subscription.pk].outcome for license in together] == [
        Outcome.RENEWED
    ] * len(SHAPES)
    for mine, theirs, total in zip(together, alone, told, strict=True):
        written = _written(mine)
        assert written == _written(theirs)
        assert written["invoice"]["total"] == total.amount  # what was told, to the cent
        assert written["notice"] == [("renewed", DAY, 2)]
        assert len(written["emails"]) == 2  # the owner and the billing admin
    # The numbers were taken together, one after another, in the batch's order.
    numbers = [Invoice.objects.get(license=license).number for license in together]
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(
        range(int(numbers[0].rsplit("-", 1)[1]), int(numbers[0].rsplit("-", 1)[1]) + len(SHAPES))
    )


def _statements(catalog, count: int, name: str) -> int:
    licenses = [_customer(catalog, SHAPES[n % len(SHAPES)], f"{name} {n}") for n in range(count)]
    ids = [license.subscription.pk for license in licenses]
    with CaptureQueriesContext(connection) as queries:
        done = subscriptions_renew(ids, today=DAY, at=AT)
    assert len(done.results) == count
    return len(queries)


def test_the_statements_of_a_batch_do_not_grow_with_it_but_for_its_numbers(catalog, now):
    four = _statements(catalog, 4, "Four")  # each shape once (a tax decision each)
    twelve = _statements(catalog, 12, "Twelve")  # each three times
    # One more UPDATE of the invoice series per number (its trigger allows a step of
    # one): nothing else is read or written per renewal.
    assert twelve - four == 8
    print(f"\nSQL statements for 4 renewals together: {four}, for 12: {twelve}")


def test_what_is_not_a_plain_renewal_is_left_for_the_service_one_at_a_time(catalog, now):
    plain = _customer(catalog, SHAPES[0], "Plain")
    credit = _customer(catalog, SHAPES[0], "Holds credit")
    give_credit(credit.organization, Decimal("10.00"), "USD", date(2026, 3, 14))
    running = _customer(
        catalog,
        ("team", 5, "monthly", "USD", date(2026, 4, 1), date(2026, 4, 30), "", None),
        "Still in its term",
    )
    renewed = _customer(catalog, SHAPES[0], "Renewed already")
    subscription_renew(subscription=renewed.subscription, today=DAY, at=AT)
    ids = [
        plain.subscription.pk,
        credit.subscription.pk,
        running.subscription.pk,
        renewed.subscription.pk,
    ]

    done = subscriptions_renew(ids, today=DAY, at=AT)

    assert list(done.results) == [plain.subscription.pk]
    assert done.rest == ids[1:]
    assert not Invoice.objects.filter(license=credit).exists()
    # The term-end batch renews the rest one at a time: the credit pays part of its invoice.
    run = RenewalRun.objects.create(business_day=DAY, due=4, batches=1, started_at=AT)
    counts = renew_batch.apply(args=[run.pk, ids]).get()
    assert counts == {"renewed": 1, "expired": 0, "skipped": 3, "failed": 0}
    invoice = Invoice.objects.get(license=credit)
    assert invoice.credit_applied == Decimal("10.00")
    assert (
        SubscriptionPeriod.objects.filter(subscription__license=plain, starts_on=DAY).count() == 1
    )


def test_a_batch_that_fails_is_renewed_one_at_a_time(catalog, now, monkeypatch):
    from billing.renewals import batch

    licenses = [_customer(catalog, SHAPES[n], f"Customer {n}") for n in range(3)]
    real = batch._write
    calls = []

    def fails_once(plain, **kwargs):
        calls.append(len(plain))
        if len(calls) == 1:
            raise RuntimeError("a batch-wide fault")
        return real(plain, **kwargs)

    monkeypatch.setattr(batch, "_write", fails_once)
    ids = [license.subscription.pk for license in licenses]
    run = RenewalRun.objects.create(business_day=DAY, due=3, batches=1, started_at=AT)

    counts = renew_batch.apply(args=[run.pk, ids]).get()

    assert counts["renewed"] == 3 and counts["failed"] == 0
    assert calls == [3, 1, 1, 1]  # together, then each on its own
    assert not RenewalFailure.objects.exists()
    for license in licenses:
        assert Invoice.objects.filter(license=license).count() == 1


@pytest.mark.parametrize("shape", SHAPES[:1])
def test_a_failed_renewal_recorded_earlier_is_resolved_by_the_batch(catalog, now, shape):
    license = _customer(catalog, shape, "Failed before")
    failure = RenewalFailure.objects.create(
        subscription=license.subscription,
        period_start=DAY,
        last_error="down",
        first_failed_at=AT,
        last_failed_at=AT,
    )
    subscriptions_renew([license.subscription.pk], today=DAY, at=AT)
    failure.refresh_from_db()
    assert failure.resolved_at is not None


def test_the_renewal_email_names_its_tax_as_the_invoice_does(catalog, now):
    license = _customer(catalog, SHAPES[0], "Reverse charged")
    BillingDetails.objects.create(
        organization=license.organization, country="DE", tax_id="DE136695976"
    )

    subscriptions_renew([license.subscription.pk], today=DAY, at=AT)

    invoice = Invoice.objects.get(license=license)
    assert invoice.tax_treatment == "reverse_charge"
    email = OutboundEmail.objects.filter(body_text__contains=invoice.number).first()
    assert "Tax (reverse charge, 0 %): $0.00" in email.body_text
    assert "Tax (reverse charge, 0 %)" in email.body_html
