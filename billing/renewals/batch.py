"""The term-end job's renewals, many subscriptions in one transaction.

`subscriptions_renew` renews the subscriptions of a batch that `subscription_renew` would
renew the plain way: its term ended, it renews by itself, and its next term is its own
plan again (no change scheduled for the day, no move to a successor, the same anchor),
for an organization holding no credit in its currency. What each renewal writes is what
`subscription_renew` writes, made by the same services' builders and rules: the next
term from the anchor and its signed license file (licensing's `licenses_start_term`),
the price lock's date (`terms.locked_until`), the commercial ledger's steps
(`changes_recorded_many`), the periods and the invoice with `next_renewal`'s lines
(`subscription_periods_add`, `invoices_create_drafts`, `invoices_add_lines`,
`invoices_finalize`: the numbers taken last, one after another), the renewal email and
its `Notice`. Only the statements differ: a few per table for the whole batch instead
of about seventy per renewal, which is what lets the job renew 20,000 licenses in
minutes (README, "Renewals at scale").

It takes the locks in billing.locks' order, each kind for the whole batch in ascending
id: billing details, licenses, their scheduled changes, subscriptions, then the rows it
writes and the invoice numbers last. The claim is the same: each next term's first
`SubscriptionPeriod`, unique per subscription and first day, committed with the rest.
A retried batch, a duplicated tick or two workers find the periods made (the second
waits on the locks, then finds them) and leave those subscriptions alone; a worker
killed half-way commits nothing of its batch, which is renewed again.

Every other subscription of the batch is returned as `rest`, for `subscription_term_end`
one at a time: a change due that day, a move to a successor, a new anchor, credit held
(which invoice_finalize uses and grants one invoice at a time), one not due or already
renewed, one to end or whose cycle to bill, one whose lock waits on a request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.cards import offsession
from billing.cards.selectors import saved_cards_of
from billing.checkout.quote import discount_by_period
from billing.emails.services import billing_recipients_of, billing_templates, render_billing_email
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import credit_balances_of
from billing.invoices.services import (
    NewLine,
    invoices_add_lines,
    invoices_create_drafts,
    invoices_finalize,
)
from billing.ledger.services import changes_recorded_many
from billing.locks import lock_billing_details_of, lock_licenses, lock_scheduled_changes_of
from billing.models import (
    Notice,
    PeriodReason,
    RenewalFailure,
    Subscription,
    SubscriptionPeriod,
)
from billing.renewals import services, terms
from billing.renewals.selectors import Cache, NextRenewal, next_renewal
from billing.subscriptions.periods import Span
from billing.subscriptions.services import (
    NewPeriod,
    subscription_periods_add,
    subscriptions_lock_until,
)
from licensing.licenses.services import NewTerm, licenses_start_term
from licensing.models import License
from portal import clock
from portal.emails import queue_many


@dataclass
class Renewed:
    """What subscriptions_renew did: each renewed subscription's result, and the ones
    left for subscription_term_end, one at a time."""

    results: dict[int, services.Result] = field(default_factory=dict)
    rest: list[int] = field(default_factory=list)


@dataclass
class _Plain:
    subscription: Subscription
    renewal: NextRenewal


def subscriptions_renew(
    subscription_ids: list[int], *, today: date | None = None, at: datetime | None = None
) -> Renewed:
    """Renew, in one transaction, those of `subscription_ids` due a plain renewal (the
    module's docstring); the others are returned in `rest`."""
    at = at or clock.now()
    today = today or clock.today()
    with transaction.atomic():
        return _renew(list(dict.fromkeys(subscription_ids)), today=today, at=at)


def _renew(ids: list[int], *, today: date, at: datetime) -> Renewed:
    done = Renewed()
    # Which licenses and organizations (never changing: read unlocked).
    rows = Subscription.objects.filter(pk__in=ids).values_list(
        "pk", "license_id", "license__organization_id"
    )
    found = {pk: (license_id, organization_id) for pk, license_id, organization_id in rows}
    details = lock_billing_details_of(org for _, org in found.values())  # lock 1
    license_ids = lock_licenses(lic for lic, _ in found.values())  # lock 3
    licenses = {
        license.pk: license
        for license in License.objects.filter(pk__in=license_ids).select_related(
            "organization", "product", "version", "version__tier"
        )
    }
    lock_scheduled_changes_of(license_ids)  # lock 4
    subscriptions = list(
        Subscription.objects.select_for_update(of=("self",)).filter(pk__in=found).order_by("pk")
    )  # lock 5
    # Written in the order given (the job's: billing.renewals.selectors.ISSUE_ORDER, the
    # order invoices are numbered in), locked in ascending id above.
    given = {pk: n for n, pk in enumerate(ids)}
    subscriptions.sort(key=lambda s: given[s.pk])
    due = []
    for subscription in subscriptions:
        license = licenses[subscription.license_id]
        subscription.license = license  # the row locked above, not read again
        if services.due(license, today) and not services.lapsed(license, today):
            due.append(subscription)
    claimed = _claimed(due)
    due = [s for s in due if (s.pk, s.license.renews_on) not in claimed]
    cache = Cache()
    cache.preload([s.license for s in due])
    credit = credit_balances_of({s.license.organization_id for s in due})
    plain = []
    for subscription in due:
        renewal = next_renewal(subscription, cache=cache)
        holds_credit = any(
            balance.currency == subscription.currency_id and balance.amount > 0
            for balance in credit.get(subscription.license.organization_id, [])
        )
        if (
            renewal.change is None
            and not renewal.moves_to_successor
            and renewal.anchor == subscription.billing_anchor
            and not holds_credit
        ):
            plain.append(_Plain(subscription, renewal))
    renewed = {item.subscription.pk for item in plain}
    done.rest = [pk for pk in ids if pk not in renewed]
    if plain:
        done.results = _write(plain, details=details, today=today, at=at)
    return done


def _claimed(subscriptions: list[Subscription]) -> set[tuple[int, date]]:
    """(subscription id, first day) of the next terms already made: renewed already."""
    if not subscriptions:
        return set()
    first = min(s.license.renews_on for s in subscriptions)
    return set(
        SubscriptionPeriod.objects.filter(
            subscription__in=subscriptions, starts_on__gte=first, replaced=False
        ).values_list("subscription_id", "starts_on")
    )


def _write(plain: list[_Plain], *, details: dict, today: date, at: datetime) -> dict:
    reasons = {}
    new_terms = []
    for item in plain:
        license, renewal = item.subscription.license, item.renewal
        reason = f"Renewed for {license.renews_on:%-d %B %Y} to {renewal.term_end:%-d %B %Y}."
        reasons[license.pk] = reason
        new_terms.append(NewTerm(license, license.renews_on, renewal.term_end, reason))
    subscriptions = [item.subscription for item in plain]
    with changes_recorded_many(
        subscriptions=subscriptions,
        actor=services.RENEWAL,
        reasons=reasons,
        action=services.RENEW_ACTION,
        at=at,
    ):
        licenses_start_term(terms=new_terms, actor=services.RENEWAL, at=at)
        subscriptions_lock_until(
            locks=[
                (
                    s,
                    terms.locked_until(
                        term_end=s.license.term_end, notice_date=s.license.version.notice_date
                    ),
                )
                for s in subscriptions
            ],
            at=at,
        )
    drafts = invoices_create_drafts(drafts=[(s.license, s.currency_id) for s in subscriptions])
    new_periods, line_periods = [], []
    for item, draft in zip(plain, drafts, strict=True):
        off = discount_by_period(item.renewal.lines)
        for line in item.renewal.lines:
            if line.kind == LineKind.DISCOUNT:  # a discount line has no period of its own
                line_periods.append(None)
                continue
            line_periods.append(len(new_periods))
            new_periods.append(
                NewPeriod(
                    subscription=item.subscription,
                    span=Span(line.period_start, line.period_end),
                    reason=PeriodReason.RENEWAL,
                    amount=line.amount,
                    discount=off.get(line.period_start),
                    invoice=draft,
                )
            )
    periods = subscription_periods_add(periods=new_periods, at=at)
    new_lines = []
    position = iter(line_periods)
    for item, draft in zip(plain, drafts, strict=True):
        for line in item.renewal.lines:
            index = next(position)
            new_lines.append(
                (
                    draft,
                    NewLine(
                        kind=line.kind,
                        description=line.description,
                        unit_price=line.unit_price,
                        quantity=line.quantity,
                        period_start=line.period_start,
                        period_end=line.period_end,
                        period=None if index is None else periods[index],
                        list_unit_price=line.list_unit_price,
                    ),
                )
            )
    lines_of = defaultdict(list)
    for line in invoices_add_lines(lines=new_lines):
        lines_of[line.invoice_id].append(line)
    invoices = invoices_finalize(
        invoices=[(draft, lines_of[draft.pk]) for draft in drafts], details=details, at=at
    )
    _resolve_failures(subscriptions, at=at)
    return _notify(plain, invoices, lines_of, today=today)


def _resolve_failures(subscriptions: list[Subscription], *, at: datetime) -> None:
    """The failures recorded for the periods these renewals started are resolved."""
    started = Q()
    for subscription in subscriptions:
        started |= Q(subscription_id=subscription.pk, period_start=subscription.license.term_start)
    RenewalFailure.objects.filter(started, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )


def _notify(plain: list[_Plain], invoices: list, lines_of: dict, *, today: date) -> dict:
    """Each renewal's email to its organization's billing recipients, with its notice;
    the saved cards charged once this commits."""
    organizations = {item.subscription.license.organization_id for item in plain}
    recipients = billing_recipients_of(organizations)
    charged = [invoice for invoice in invoices if offsession.chargeable(invoice)]
    cards = saved_cards_of({invoice.organization_id for invoice in charged}) if charged else {}
    templates = billing_templates("renewed")
    messages, notices = [], []
    for item, invoice in zip(plain, invoices, strict=True):
        license = item.subscription.license
        card = cards.get(license.organization_id) if offsession.chargeable(invoice) else None
        addresses = recipients[license.organization_id]
        if addresses:
            rendered = render_billing_email(
                templates,
                organization=license.organization,
                context=services.renewed_context(
                    license, item.renewal, invoice, lines_of[invoice.pk], card=card
                ),
            )
            messages.extend((address, rendered) for address in addresses)
        notices.append(
            services.renewed_notice(license, invoice, today=today, recipients=len(addresses))
        )
        if card is not None:
            transaction.on_commit(_charge(invoice.pk))
    queue_many(messages)
    Notice.objects.bulk_create(notices, batch_size=500)
    return {
        item.subscription.pk: services.Result(
            services.Outcome.RENEWED, notice.license_id, notice.period, invoice, notice
        )
        for item, invoice, notice in zip(plain, invoices, notices, strict=True)
    }


def _charge(invoice_id: int):
    def hand() -> None:
        from billing.renewals.tasks import hand_charge  # the tasks module imports this one

        hand_charge(invoice_id)

    return hand
