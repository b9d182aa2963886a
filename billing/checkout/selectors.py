"""The checkout as its page reads it: in one query with its license, version, tier and
subscription, and with what a preview reads of the organization's billing besides —
its credit in the subscription's currency, a pending scheduled change, the running
trial a change to its tier would convert (billing.trials.conversion),
the last day the term was paid for (before a free extension) and whether a credit note
corrected an invoice that billed the term (only then is what it gave back read) —
as annotations that checkout_preview uses instead of asking again. Every typed change
is a preview, and on a busy machine each round trip to the database costs more than the
work it does. The organization's billing details come joined (the tax, the payment terms
and who the invoice goes to), with whether it was ever invoiced."""

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Exists, Min, OuterRef, QuerySet, Subquery, Sum

from billing.details.selectors import InvoiceTo, invoice_to, invoice_to_from
from billing.invoices.kinds import LineKind
from billing.models import (
    BillingDetails,
    Checkout,
    CreditEntry,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PeriodReason,
    ScheduledChange,
    ScheduledChangeStatus,
    SubscriptionPeriod,
)
from licensing.models import Trial, TrialStatus
from portal.prepared import PreparedRead

MONEY = DecimalField(max_digits=12, decimal_places=2)
# The lines that pay for days of a term: a whole period, or the rest of one after a change.
PAYING_KINDS = (LineKind.RECURRING, LineKind.PRORATION_CHARGE)


def credited_in_term(license, *, term_start: date, paid_end: date) -> list[tuple[Decimal, date]]:
    """(what credit notes gave back before tax, the first day billed) of each issued
    invoice of `license` that paid for days from `term_start` to `paid_end` and that a
    credit note corrected (a void is a credit note for all that remained), in one query."""
    paying = InvoiceLine.objects.filter(
        invoice=OuterRef("pk"),
        kind__in=PAYING_KINDS,
        period_start__gte=term_start,
        period_start__lte=paid_end,
    )
    given = (
        CreditNote.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(total=Sum("subtotal"))
        .values("total")
    )
    first = paying.order_by().values("invoice").annotate(first=Min("period_start")).values("first")
    rows = (
        Invoice.objects.filter(license=license)
        .exclude(status=InvoiceStatus.DRAFT)
        .annotate(first_day=Subquery(first), given=Subquery(given, output_field=MONEY))
        .filter(first_day__isnull=False, given__gt=0)
        .order_by("first_day", "pk")
        .values_list("given", "first_day")
    )
    # Whole cents, whatever the database's SUM returns (floating point on SQLite).
    cents = Decimal("0.01")
    return [(Decimal(amount).quantize(cents), day) for amount, day in rows]


def checkout_for_preview(*, token: str, organization_id: int) -> Checkout | None:
    """The organization's checkout with this token, read as the preview reads it (None:
    there is none). Compiled once per process (portal.prepared): compiling the query
    took longer than the database took to answer it."""
    found = _PREVIEW_READ.read(token=token, organization_id=organization_id)
    return found[0] if found else None


def _checkouts_for_preview() -> QuerySet[Checkout]:
    # Built once, by the prepared read below, which runs its SQL from then on.
    credit = (
        CreditEntry.objects.filter(
            organization=OuterRef("organization"),
            currency=OuterRef("license__subscription__currency"),
        )
        .order_by()
        .values("organization")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    # The one pending_change() finds: the first by its ordering.
    pending = ScheduledChange.objects.filter(
        license=OuterRef("license"), status=ScheduledChangeStatus.SCHEDULED
    ).order_by("effective_on", "pk")
    paid = (
        SubscriptionPeriod.objects.filter(
            subscription__license=OuterRef("license"),
            ends_on__lte=OuterRef("license__term_end"),
            replaced=False,
        )
        .exclude(reason=PeriodReason.EXTENSION)
        .order_by("-ends_on")
    )
    corrected = CreditNote.objects.filter(
        invoice__license=OuterRef("license"),
        invoice__lines__kind__in=PAYING_KINDS,
        invoice__lines__period_start__gte=OuterRef("license__term_start"),
    )
    trial = Trial.objects.filter(license=OuterRef("license"), status=TrialStatus.RUNNING)
    invoiced = Invoice.objects.filter(organization=OuterRef("organization")).exclude(
        status=InvoiceStatus.DRAFT
    )
    return Checkout.objects.select_related(
        "organization__billing_details", "license__version__tier", "license__subscription"
    ).annotate(
        preview_invoiced=Exists(invoiced),
        preview_credit=Subquery(credit, output_field=MONEY),
        preview_pending_id=Subquery(pending.values("pk")[:1]),
        preview_paid_through=Subquery(paid.values("ends_on")[:1]),
        preview_corrected=Exists(corrected),
        preview_trial_id=Subquery(trial.values("pk")[:1]),
    )


_PREVIEW_READ = PreparedRead(
    lambda token, organization_id: _checkouts_for_preview().filter(
        token=token, organization_id=organization_id
    ),
    token=str,
    organization_id=int,
)


def read_with_preview(checkout: Checkout) -> bool:
    """Whether `checkout` was read by checkout_for_preview(), with what it joins; a
    checkout read otherwise (the confirmation's, under its locks) asks the database."""
    return hasattr(checkout, "preview_invoiced")


def preview_billing_details(checkout: Checkout) -> BillingDetails | None:
    """The organization's billing details (None: none entered yet), as read with the
    checkout when it was."""
    if not read_with_preview(checkout):
        return BillingDetails.objects.filter(organization=checkout.organization_id).first()
    organization = checkout.organization
    relation = type(organization)._meta.get_field("billing_details")
    return relation.get_cached_value(organization)


def checkout_invoice_to(checkout: Checkout, *, first_purchase: bool) -> InvoiceTo:
    """invoice_to() for the checkout's organization, from what the preview's read holds."""
    if not read_with_preview(checkout):
        return invoice_to(checkout.organization, first_purchase=first_purchase)
    return invoice_to_from(
        preview_billing_details(checkout),
        invoiced=checkout.preview_invoiced,
        first_purchase=first_purchase,
    )
