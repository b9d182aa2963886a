"""The rows of bench/renewals.py, written with bulk_create (imported once Django is set
up in the benchmark's own database):

- `seed`: organizations whose licenses end their term yesterday (due today) or in
  `days_left` days (for the reminders), each a valid subscription as a checkout leaves
  it: the license with its `created` ledger entry, the subscription at the catalog's
  annual USD price locked a year ago, one purchase period tiling the term, billed by a
  paid invoice with one recurring line, and the `purchased` event of the commercial
  ledger; billing details with one billing address, so each renewal and each reminder
  is one email to one address the SMTP sink can count.
- `baseline`: the rows a renewal writes, for the same subscriptions, with bulk_create:
  the period, the invoice (draft, its line, then finalized with its number), its PDF
  version waiting for the low-priority queue, the license's `term_started` event and its
  new revision, the license file, the `term_started` ledger event, the outbox email
  (text and HTML) and the `renewed` notice. What bulk_create takes for
  them is the floor a renewal cannot go below on this machine; the benchmark prints the
  renewals' rate as a ratio of it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F

from billing.invoices.kinds import LineKind
from billing.models import (
    AdminOperation,
    BillingDetails,
    DocumentSequence,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    InvoiceStatus,
    Notice,
    NoticeKind,
    PeriodReason,
    Series,
    Subscription,
    SubscriptionEvent,
    SubscriptionEventKind,
    SubscriptionPeriod,
)
from billing.pricing import BillingCycle
from billing.subscriptions.periods import add_months, term_end_for
from licensing.models import (
    EventKind,
    License,
    LicenseEvent,
    LicenseFile,
    LicenseStatus,
    TierVersion,
    TierVersionPrice,
    VersionStatus,
)
from portal.models import Organization, OutboundEmail

BATCH = 2000
# The size of a renewal email as the outbox stores it (templates/emails/billing/renewed-*,
# in the email layout), measured on one: the baseline's bodies are as long.
TEXT = "x" * 1_400
HTML = "<p>" + "x" * 7_000 + "</p>"
CURRENCY = "USD"
CYCLE = BillingCycle.ANNUAL
SEED = "bench seed"


@dataclass(frozen=True)
class Offer:
    """A published version's annual USD price and how many seats it allows."""

    version: TierVersion
    price: TierVersionPrice
    max_seats: int | None

    def seats(self, n: int) -> int:
        seats = max(self.price.min_seats, 3 + n % 12)
        return min(seats, self.max_seats) if self.max_seats else seats

    def amount(self, seats: int) -> Decimal:
        return self.price.amount * (seats if self.price.per_seat else 1)


def offers() -> list[Offer]:
    found = []
    versions = TierVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("tier")
    for version in versions.prefetch_related("limit_rows__metric").order_by("tier__order"):
        price = version.price_rows.filter(currency_id=CURRENCY, cycle=CYCLE).first()
        if price is None:
            continue
        limits = {row.metric.key: row.value for row in version.limit_rows.all()}
        found.append(Offer(version, price, limits.get("seats")))
    if not found:
        raise RuntimeError("The catalog has no published version with an annual USD price.")
    return found


def address(slug: str) -> str:
    return f"billing@{slug}.bench.test"


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk(model, rows: list) -> list:
    created = []
    for chunk in _chunks(rows):
        created += model.objects.bulk_create(chunk)
    return created


def _update(objects: list, fields: list[str]) -> None:
    """One UPDATE … FROM (VALUES …) per chunk: Django's bulk_update writes a CASE per
    field with a WHEN per row, which PostgreSQL evaluates row by row (quadratic)."""
    if not objects:
        return
    meta = type(objects[0])._meta
    columns = [meta.get_field(name) for name in fields]
    names = ", ".join(f'"{c.column}"' for c in columns)
    sets = ", ".join(f'"{c.column}" = v."{c.column}"::{c.db_type(connection)}' for c in columns)
    with connection.cursor() as cursor:
        for chunk in _chunks(objects, 1000):
            rows = ", ".join(["(%s" + ", %s" * len(columns) + ")"] * len(chunk))
            params = []
            for obj in chunk:
                params.append(obj.pk)
                params += [c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns]
            cursor.execute(
                f'UPDATE "{meta.db_table}" AS t SET {sets} FROM (VALUES {rows}) '
                f"AS v(id, {names}) WHERE t.id = v.id::bigint",
                params,
            )


def _finalize(invoices: list[Invoice], *, fields: list[str]) -> None:
    _update(invoices, fields)


FINAL_FIELDS = [
    "status", "number", "issued_on", "due_on", "payment_terms", "net_days",
    "billed_to_name", "billed_to_address", "billed_to_country", "subtotal", "tax", "total",
    "amount_due", "finalized_at", "paid_at",
]  # fmt: skip


def _take_numbers(year: int, count: int) -> int:
    """Takes `count` invoice numbers of `year`; the first. The database moves a series
    forward by one at a time: a new year's row starts at `count`, an existing one takes
    them one by one."""
    sequence = DocumentSequence.objects.filter(series=Series.INVOICE, year=year).first()
    if sequence is None:
        DocumentSequence.objects.create(series=Series.INVOICE, year=year, last_number=count)
        return 1
    first = sequence.last_number + 1
    for _ in range(count):
        DocumentSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
    return first


@transaction.atomic
def seed(*, count: int, term_end: date, prefix: str, now: datetime) -> list[int]:
    """`count` subscriptions whose term ends on `term_end` (one annual period from a year
    before), in organizations named `prefix`-n; the subscriptions' ids."""
    catalog = offers()
    term_start = add_months(term_end + timedelta(days=1), -12)
    assert term_end_for(term_start, cycle=CYCLE) == term_end
    bought_at = datetime.combine(term_start, datetime.min.time(), tzinfo=now.tzinfo)
    operation = AdminOperation.objects.create(
        actor_label=SEED, action="bench_seed", reason="Benchmark data.", performed_at=bought_at
    )
    organizations = _bulk(
        Organization,
        [
            Organization(name=f"Bench {prefix} {n}", slug=f"{prefix}-{n}", created_at=bought_at)
            for n in range(count)
        ],
    )
    _bulk(
        BillingDetails,
        [
            BillingDetails(
                organization=organization,
                legal_name=organization.name,
                address_line1=f"{n} Bench Street",
                city="Springfield",
                postal_code="12345",
                country="US",
                billing_emails=[address(organization.slug)],
            )
            for n, organization in enumerate(organizations)
        ],
    )
    plans = [
        (catalog[n % len(catalog)], organization) for n, organization in enumerate(organizations)
    ]
    licenses = _bulk(
        License,
        [
            License(
                organization=organization,
                product_id=offer.version.tier.product_id,
                version=offer.version,
                seats=offer.seats(n),
                status=LicenseStatus.ACTIVE,
                term_start=term_start,
                term_end=term_end,
                auto_renew=True,
                key_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                key_prefix=f"TWB{n:08d}"[:16],
                revision=1,
                created_at=bought_at,
                updated_at=bought_at,
            )
            for n, (offer, organization) in enumerate(plans)
        ],
    )
    _bulk(
        LicenseEvent,
        [
            LicenseEvent(
                license=license,
                kind=EventKind.CREATED,
                revision=1,
                actor_label=SEED,
                reason="Benchmark data.",
                after={"seats": license.seats, "term_end": str(term_end)},
                happened_at=bought_at,
            )
            for license in licenses
        ],
    )
    subscriptions = _bulk(
        Subscription,
        [
            Subscription(
                license=license,
                currency_id=CURRENCY,
                cycle=CYCLE,
                term_cycles=1,
                price_source=offer.price,
                unit_amount=offer.price.amount,
                per_seat=offer.price.per_seat,
                min_seats=offer.price.min_seats,
                price_locked_on=term_start,
                price_locked_until=term_end,
                billing_anchor=term_start,
                created_at=bought_at,
                updated_at=bought_at,
            )
            for license, (offer, _) in zip(licenses, plans, strict=True)
        ],
    )
    # The purchase invoices, numbered in the year they were issued: draft first (the
    # database refuses lines on a finalized invoice), then finalized as paid.
    year = term_start.year
    first = _take_numbers(year, count)
    amounts = [
        offer.amount(license.seats) for license, (offer, _) in zip(licenses, plans, strict=True)
    ]
    invoices = _bulk(
        Invoice,
        [
            Invoice(
                organization_id=license.organization_id,
                license=license,
                currency=CURRENCY,
                created_at=bought_at,
            )
            for license in licenses
        ],
    )
    periods = _bulk(
        SubscriptionPeriod,
        [
            SubscriptionPeriod(
                subscription=subscription,
                index=0,
                starts_on=term_start,
                ends_on=term_end,
                seats=license.seats,
                currency=CURRENCY,
                cycle=CYCLE,
                unit_amount=subscription.unit_amount,
                per_seat=subscription.per_seat,
                min_seats=subscription.min_seats,
                list_amount=amount,
                net_amount=amount,
                invoice=invoice,
                reason=PeriodReason.PURCHASE,
                created_at=bought_at,
            )
            for subscription, license, invoice, amount in zip(
                subscriptions, licenses, invoices, amounts, strict=True
            )
        ],
    )
    _bulk(
        InvoiceLine,
        [
            InvoiceLine(
                invoice=invoice,
                kind=LineKind.RECURRING,
                description=f"{offer.version.tier.name}, {license.seats} seats, a year",
                subscription=period.subscription,
                period=period,
                period_start=term_start,
                period_end=term_end,
                quantity=Decimal(license.seats if offer.price.per_seat else 1),
                unit_price=offer.price.amount,
                amount=amount,
            )
            for invoice, period, license, (offer, _), amount in zip(
                invoices, periods, licenses, plans, amounts, strict=True
            )
        ],
    )
    for n, (invoice, amount) in enumerate(zip(invoices, amounts, strict=True)):
        invoice.status = InvoiceStatus.PAID
        invoice.number = f"INV-{year}-{first + n:06d}"
        invoice.issued_on = invoice.due_on = term_start
        invoice.payment_terms, invoice.net_days = "due_on_receipt", 0
        invoice.billed_to_name = invoice.license.organization.name
        invoice.billed_to_address = "Bench Street\n12345 Springfield"
        invoice.billed_to_country = "US"
        invoice.subtotal = invoice.total = invoice.amount_due = amount
        invoice.tax = Decimal(0)
        invoice.finalized_at = invoice.paid_at = bought_at
    _finalize(invoices, fields=FINAL_FIELDS)
    _bulk(
        SubscriptionEvent,
        [
            SubscriptionEvent(
                subscription=subscription,
                license=license,
                kind=SubscriptionEventKind.PURCHASED,
                effective_at=bought_at,
                mrr_before=0,
                mrr_after=int(amount * 100 / 12),
                currency_id=CURRENCY,
                version_id=license.version_id,
                seats=license.seats,
                operation=operation,
                actor_label=SEED,
                reason="Benchmark data.",
                happened_at=bought_at,
            )
            for subscription, license, amount in zip(subscriptions, licenses, amounts, strict=True)
        ],
    )
    return [subscription.pk for subscription in subscriptions]


class Rollback(Exception):
    pass


def baseline(subscription_ids: list[int], *, today: date, now: datetime) -> tuple[float, dict]:
    """Writes, with bulk_create, the rows a renewal of each subscription writes, then
    rolls them back; the seconds it took and how many rows of each table."""
    started = time.perf_counter()
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            counts = _renewal_rows(subscription_ids, today=today, now=now)
            took = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return took, counts


def _renewal_rows(ids: list[int], *, today: date, now: datetime) -> dict[str, int]:
    subscriptions = list(
        Subscription.objects.filter(pk__in=ids)
        .select_related("license__organization", "license__version__tier")
        .order_by("pk")
    )
    ends_on = term_end_for(today, cycle=CYCLE)
    invoices = _bulk(
        Invoice,
        [
            Invoice(
                organization_id=s.license.organization_id,
                license_id=s.license_id,
                currency=CURRENCY,
                created_at=now,
            )
            for s in subscriptions
        ],
    )
    amounts = [s.unit_amount * (s.license.seats if s.per_seat else 1) for s in subscriptions]
    periods = _bulk(
        SubscriptionPeriod,
        [
            SubscriptionPeriod(
                subscription=s,
                index=1,
                starts_on=today,
                ends_on=ends_on,
                seats=s.license.seats,
                currency=CURRENCY,
                cycle=CYCLE,
                unit_amount=s.unit_amount,
                per_seat=s.per_seat,
                min_seats=s.min_seats,
                list_amount=amount,
                net_amount=amount,
                invoice=invoice,
                reason=PeriodReason.RENEWAL,
                created_at=now,
            )
            for s, invoice, amount in zip(subscriptions, invoices, amounts, strict=True)
        ],
    )
    lines = _bulk(
        InvoiceLine,
        [
            InvoiceLine(
                invoice=invoice,
                kind=LineKind.RECURRING,
                description=f"{s.license.version.tier.name}, {s.license.seats} seats, a year",
                subscription=s,
                period=period,
                period_start=today,
                period_end=ends_on,
                quantity=Decimal(s.license.seats if s.per_seat else 1),
                unit_price=s.unit_amount,
                amount=amount,
            )
            for s, invoice, period, amount in zip(
                subscriptions, invoices, periods, amounts, strict=True
            )
        ],
    )
    # The numbering row of a year no invoice has (the database lets a number move forward
    # by one only, so a renewal's UPDATE of its year's row cannot be done in bulk): one
    # INSERT stands for the N updates, and the numbers are marked B.
    _take_numbers(today.year + 1000, len(ids))
    first = 1
    for n, (s, invoice, amount) in enumerate(zip(subscriptions, invoices, amounts, strict=True)):
        invoice.status = InvoiceStatus.OPEN
        invoice.number = f"INV-{today.year}-B{first + n:06d}"
        invoice.issued_on = today
        invoice.due_on = today + timedelta(days=30)
        invoice.payment_terms, invoice.net_days = "net", 30
        invoice.billed_to_name = s.license.organization.name
        invoice.billed_to_address = "Bench Street\n12345 Springfield"
        invoice.billed_to_country = "US"
        invoice.subtotal = invoice.total = invoice.amount_due = amount
        invoice.tax = Decimal(0)
        invoice.finalized_at = now
    _finalize(invoices, fields=[f for f in FINAL_FIELDS if f != "paid_at"])
    documents = _bulk(InvoiceDocument, [InvoiceDocument(invoice=i, version=1) for i in invoices])
    for s in subscriptions:
        s.license.term_start, s.license.term_end = today, ends_on
        s.license.revision += 1
        s.license.updated_at = now
    _update(
        [s.license for s in subscriptions], ["term_start", "term_end", "revision", "updated_at"]
    )
    events = _bulk(
        LicenseEvent,
        [
            LicenseEvent(
                license_id=s.license_id,
                kind=EventKind.TERM_STARTED,
                revision=s.license.revision,
                actor_label="renewal",
                reason="Renewed at the end of its term.",
                before={"term_end": str(today - timedelta(days=1))},
                after={"term_end": str(ends_on)},
                happened_at=now,
            )
            for s in subscriptions
        ],
    )
    files = _bulk(
        LicenseFile,
        [
            LicenseFile(
                license_id=s.license_id,
                revision=s.license.revision,
                content_digest=hashlib.sha256(str(s.license_id).encode()).hexdigest(),
                body=secrets.token_urlsafe(600),
                key_id="bench",
                issued_at=now,
                expires_on=ends_on,
            )
            for s in subscriptions
        ],
    )
    operation = AdminOperation.objects.create(
        actor_label="renewal", action="subscription_renew", reason="Renewal."
    )
    ledger = _bulk(
        SubscriptionEvent,
        [
            SubscriptionEvent(
                subscription=s,
                license_id=s.license_id,
                kind=SubscriptionEventKind.TERM_STARTED,
                effective_at=now,
                mrr_before=int(amount * 100 / 12),
                mrr_after=int(amount * 100 / 12),
                currency_id=CURRENCY,
                version_id=s.license.version_id,
                seats=s.license.seats,
                operation=operation,
                actor_label="renewal",
                reason="Renewed at the end of its term.",
                happened_at=now,
            )
            for s, amount in zip(subscriptions, amounts, strict=True)
        ],
    )
    emails = []
    for s, invoice in zip(subscriptions, invoices, strict=True):
        emails.append(
            OutboundEmail(
                to=address(s.license.organization.slug),
                subject=f"Renewed: {s.license.version.tier.name}, {invoice.number}",
                body_text=f"Invoice {invoice.number}: {invoice.total} USD. {TEXT}",
                body_html=f"<p>Invoice {invoice.number}: {invoice.total} USD.</p>{HTML}",
            )
        )
    emails = _bulk(OutboundEmail, emails)
    notices = _bulk(
        Notice,
        [
            Notice(
                kind=NoticeKind.RENEWED,
                subject=f"license:{s.license_id}",
                period=today,
                lead=0,
                license_id=s.license_id,
                invoice=invoice,
                sent_on=today,
                recipients=1,
            )
            for s, invoice in zip(subscriptions, invoices, strict=True)
        ],
    )
    return {
        "periods": len(periods),
        "invoices": len(invoices),
        "invoice lines": len(lines),
        "invoice PDF versions": len(documents),
        "licenses updated": len(subscriptions),
        "license events": len(events),
        "license files": len(files),
        "ledger events": len(ledger),
        "outbox emails": len(emails),
        "notices": len(notices),
    }
