"""The one order in which billing takes row locks, and the locks themselves.

Every transaction that locks more than one of these rows takes them in this order, and
never goes back for an earlier one once it holds a later one:

0. proposal (billing.proposals.events.proposal_lock): every step of a proposal locks its
   row first; accepting an option then takes the checkout's order below (a change now)
   or the license and its scheduled change (a renewal as is), so two acceptances of one
   proposal queue on it and the second finds it answered,
1. billing details (the organization's: its credit balance and every checkout of it),
2. checkout (its one-time token),
3. license (several licenses: in ascending id, `lock_licenses`; a payment or credit locks
   those of the organization's open invoices here, before any invoice, because paying
   one may lift its license's dunning hold in the same transaction: billing.dunning),
4. scheduled change (the license's pending one),
5. subscription,
6. billing periods, invoice, then the invoice's PDF versions (the render task locks
   only its own version, and nothing else while it does) and its card payment attempts
   (billing.cards, which call Stripe while they hold the invoice),
7. document sequence: the number is taken last, so it is held for the shortest time.

Two transactions that follow one order can make each other wait, never wait for each
other: a checkout confirmation (details, checkout, license, scheduled change,
subscription, invoice, sequence) and the scheduled change it replans, applied by the
daily job or canceled by staff at that moment (license, scheduled change, subscription),
queue on the license instead of each holding a row the other wants. The term-end
renewal (billing.renewals.services.subscription_renew) takes the same order: billing
details (the invoice's credit and buyer), license, scheduled change (applied first, as
quoted), subscription, its new periods and invoice, the number last; so a renewal and a
checkout confirmed at that moment queue on the details, and two workers renewing one
subscription queue on them and the license, the second finding the period made. A batch
of renewals made together (billing.renewals.batch) takes each kind for all of them before
the next kind, each in ascending id (`lock_billing_details_of`, `lock_licenses`,
`lock_scheduled_changes_of`, then the subscriptions): two batches over the same rows, or a
batch and a single change, queue the same way. A step
may skip a row it does not need; it may not take one out of turn. The PostgreSQL test
tests/integration/test_lock_order.py runs them against each other.
"""

from __future__ import annotations

from django.db.models import QuerySet

from billing.models import BillingDetails, ScheduledChange, ScheduledChangeStatus
from licensing.models import License
from portal.models import Organization


def lock_billing_details(organization: Organization) -> BillingDetails:
    """Lock 1: the organization's billing details (made on first use). The row made
    only to be locked is not a change of the details: it is inserted without a history
    entry (bulk_create sends no post_save), so the customer's first save is the first
    entry of the history, not an empty "saved" one before it. ON CONFLICT DO NOTHING:
    two first uses at once make one row."""
    BillingDetails.objects.bulk_create(
        [BillingDetails(organization=organization)], ignore_conflicts=True
    )
    return BillingDetails.objects.select_for_update().get(organization=organization)


def lock_billing_details_of(organization_ids) -> dict[int, BillingDetails]:
    """Lock 1 for several organizations (a batch of renewals): each one's billing details
    (made on first use, as lock_billing_details), in ascending organization id, so two
    batches that share organizations queue instead of waiting for each other."""
    ordered = sorted(set(organization_ids))
    BillingDetails.objects.bulk_create(
        [BillingDetails(organization_id=pk) for pk in ordered], ignore_conflicts=True
    )
    return {
        details.organization_id: details
        for details in BillingDetails.objects.select_for_update()
        .filter(organization_id__in=ordered)
        .order_by("organization_id")
    }


def lock_license(license_id: int) -> License:
    """Lock 3: the license's row only (not the rows it is read with)."""
    return License.objects.select_for_update(of=("self",)).get(pk=license_id)


def lock_licenses(license_ids) -> list[int]:
    """Lock 3 for several licenses: each row, in ascending id, so two transactions that
    lock some of the same licenses queue instead of waiting for each other. The ids
    locked, in that order."""
    ordered = sorted(set(license_ids))
    if ordered:
        list(
            License.objects.select_for_update(of=("self",))
            .filter(pk__in=ordered)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return ordered


def lock_scheduled_changes(license_id: int) -> QuerySet[ScheduledChange]:
    """Lock 4: the license's changes still scheduled (at most one), once its license is
    locked."""
    return (
        ScheduledChange.objects.select_for_update(of=("self",))
        .select_related("version__tier")
        .filter(license_id=license_id, status=ScheduledChangeStatus.SCHEDULED)
    )


def lock_scheduled_changes_of(license_ids) -> list[ScheduledChange]:
    """Lock 4 for several licenses, once they are locked: their changes still scheduled,
    in ascending license id."""
    return list(
        ScheduledChange.objects.select_for_update(of=("self",))
        .filter(license_id__in=sorted(set(license_ids)), status=ScheduledChangeStatus.SCHEDULED)
        .order_by("license_id", "pk")
    )
