"""Sending renewal reminders: which licenses a day's run looks at, and per license at most
one email (HTML and text) to its billing recipients, exactly once per lead time and
renewal date.

The claim is the Notice row (billing.models.Notice, unique on kind, subject, period and
lead): it is written in the transaction that writes the outbox emails. A batch reads what
its licenses need in bulk (about 25 queries whatever its size), makes each reminder, then
writes all their notices and emails in one savepoint, two INSERTs. A second run, a
retried batch or two workers at once insert the same key: the IntegrityError rolls that
savepoint back, and each reminder is written again in a savepoint of its own, where the
loser's rolls back alone (its emails with it) and the batch goes on. The emails are
handed to the workers in groups once the transaction commits (portal.emails.queue_many),
each group delivered over one SMTP connection. Nothing here locks a row: reminders only
read the license and its subscription, so they take no place in the lock order
(billing/locks.py).

What to send is the pure rule (billing.renewals.reminders); what the renewal bills is
selectors.next_renewal through summary.renewal_summary, the function the renewal's
invoice is made from, so the amount told is the amount charged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.emails.notices import absolute
from billing.emails.services import (
    billing_recipients,
    billing_recipients_of,
    billing_templates,
    render_billing_email,
)
from billing.invoices.selectors import credit_balances, credit_balances_of
from billing.models import Notice, NoticeKind, Subscription
from billing.money import Money
from billing.renewals import reminders
from billing.renewals.selectors import Cache
from billing.renewals.summary import RenewalSummary, credited, renewal_summary
from licensing.licenses.entitlements import licenses_entitlements
from licensing.licenses.selectors import published_ladder, upgrade_suggestions
from licensing.models import USABLE_STATUSES, License
from licensing.usage import meters as meter_rules
from licensing.usage.services import Meter, license_meters, licenses_meters
from portal.emails import Rendered, queue_many

logger = logging.getLogger(__name__)

REMINDER_KINDS = (NoticeKind.RENEWAL_REMINDER, NoticeKind.PRICE_INCREASE)
TEMPLATE = "renewal_reminder"


def subject_of(license_id: int) -> str:
    return f"license:{license_id}"


def largest_lead() -> int:
    """The furthest ahead any reminder or price notice is sent."""
    leads = [lead for table in settings.RENEWAL_REMINDER_DAYS.values() for lead in table]
    return max([settings.PRICE_INCREASE_NOTICE_DAYS, *leads])


def due_license_ids(*, today: date) -> list[int]:
    """The usable licenses with a subscription renewing after today and within the
    largest lead time, auto-renewing or not (one not renewing is told it will end), in
    id order. Which of them is due a reminder is the rule's, per license."""
    return list(
        License.objects.filter(
            subscription__isnull=False,
            status__in=USABLE_STATUSES,
            term_end__gte=today,
            term_end__lt=today + timedelta(days=largest_lead()),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class UsageLine:
    """A limit and the usage against it, per UTC calendar month."""

    name: str
    unit: str
    limit: int | None
    this_month: int
    peak: int  # the highest month of this term so far
    over: bool  # this month is over the limit


@dataclass(frozen=True)
class Recommendation:
    metric: str
    tier_name: str
    over_in: int
    compare_url: str


@dataclass
class RunCounts:
    sent: int = 0  # licenses reminded (one email per recipient each)
    emails: int = 0
    price_notices: int = 0
    already_sent: int = 0  # another run claimed the same notice first
    nothing_due: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: RunCounts) -> None:
        for name in ("sent", "emails", "price_notices", "already_sent", "nothing_due", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures.extend(other.failures)


def _month_of(day: date) -> date:
    return date(day.year, day.month, 1)


def usage_lines(license: License, found: list[Meter]) -> list[UsageLine]:
    """Each limit with this UTC month's usage and the highest month of the term so far."""
    first = _month_of(license.term_start)
    lines = []
    for meter in found:
        term = [value for period, value in meter.history if period >= first]
        used = meter.state.used
        limit = meter.state.limit
        lines.append(
            UsageLine(
                name=meter.grant.metric.name,
                unit=meter.grant.metric.unit,
                limit=limit,
                this_month=used,
                peak=max(term, default=used),
                over=limit is not None and used > limit,
            )
        )
    return lines


class _Batch:
    """What the licenses of one batch share or need, each read once for all of them: the
    billing recipients of their organizations (two queries), their entitlements (five)
    and usage (two), their scheduled changes and billing details (two, selectors.Cache),
    the upgrade ladder of a product, the credit balances of their organizations (one),
    and the reminder's compiled templates. A license not preloaded (a batch of one, made
    without licenses) is read on its own."""

    def __init__(self, licenses: list[License] | None = None, *, today: date | None = None) -> None:
        licenses = licenses or []
        organizations = {license.organization_id for license in licenses}
        self.recipients: dict[int, list[str]] = billing_recipients_of(organizations)
        self.ladders: dict[int, list] = {}
        self.renewals = Cache()
        self.meters: dict[int, list[Meter]] = {}
        self.credit: dict[int, list[Money]] = {key: [] for key in organizations}
        if organizations:
            self.credit.update(credit_balances_of(organizations))
        if licenses and today is not None:
            self.renewals.preload(licenses)
            at = _meters_at(today)
            self.meters = licenses_meters(
                licenses=licenses,
                at=at,
                entitlements=licenses_entitlements(licenses=licenses, at=at),
            )
        self.templates = billing_templates(TEMPLATE)

    def recipients_of(self, license: License) -> list[str]:
        if license.organization_id not in self.recipients:
            self.recipients[license.organization_id] = billing_recipients(license.organization)
        return self.recipients[license.organization_id]

    def credit_of(self, license: License) -> list[Money]:
        if license.organization_id not in self.credit:
            self.credit[license.organization_id] = credit_balances(
                organization=license.organization
            )
        return self.credit[license.organization_id]

    def ladder_of(self, license: License) -> list:
        if license.product_id not in self.ladders:
            self.ladders[license.product_id] = published_ladder(license.product_id)
        return self.ladders[license.product_id]

    def meters_of(self, license: License, today: date) -> list[Meter]:
        if license.pk not in self.meters:
            self.meters[license.pk] = license_meters(license=license, at=_meters_at(today))
        return self.meters[license.pk]


def _meters_at(today: date) -> datetime:
    """The usage a reminder tells: as it stands at noon UTC of its day."""
    return datetime.combine(today, time(12), tzinfo=UTC)


def _sent(license_ids: list[int]) -> dict[tuple[int, date], dict[str, set[int]]]:
    """(license, period) → kind → the leads already sent, for the batch's licenses."""
    found: dict[tuple[int, date], dict[str, set[int]]] = {}
    rows = Notice.objects.filter(license_id__in=license_ids, kind__in=REMINDER_KINDS).values_list(
        "license_id", "period", "kind", "lead"
    )
    for license_id, period, kind, lead in rows:
        found.setdefault((license_id, period), {}).setdefault(kind, set()).add(lead)
    return found


def _urls(license: License, summary: RenewalSummary) -> dict:
    """The dashboard's renewal panel, and for a license renewed by hand the checkout's
    Renew (renew=on, with what renews: summary.renew_query). A canceled subscription is
    kept by "Resume subscription", a button on the panel: its link is the panel's."""
    organization = license.organization
    dashboard = reverse("organization_detail", args=[organization.slug])
    urls = {"manage_url": absolute(f"{dashboard}#renewal-{license.pk}")}
    if summary.renew_query:
        checkout = reverse("checkout_new", args=[organization.slug])
        urls["renew_url"] = absolute(f"{checkout}?{summary.renew_query}")
    return urls


def _action_label(summary: RenewalSummary) -> str:
    if summary.auto_renew:
        return "Manage your renewal"
    return "Resume subscription" if summary.canceled else "Renew"


def _context(
    license: License,
    summary: RenewalSummary,
    *,
    lead: int | None,
    price_notice: bool,
    found: list[Meter],
    ladder: list,
    today: date,
) -> dict:
    urls = _urls(license, summary)
    recommendations = [
        Recommendation(
            metric=s.metric,
            tier_name=s.tier_name,
            over_in=s.over_in,
            compare_url=absolute(s.compare_url),
        )
        for s in upgrade_suggestions(license, found, ladder)
    ]
    return {
        "license": license,
        "product": license.version.tier.product.name,
        "current_tier": license.version.tier.name,
        "summary": summary,
        "lead": lead,
        "price_notice": price_notice,
        "usage": usage_lines(license, found),
        "month": today.replace(day=1),
        "today": today,
        "window": meter_rules.SUSTAINED_WINDOW,
        "recommendations": recommendations,
        "action_url": urls.get("renew_url", urls["manage_url"]),
        "action_label": _action_label(summary),
        **urls,
    }


@dataclass(frozen=True)
class Outcome:
    state: str  # "sent", "nothing_due", or "already_sent" (another run claimed it first)
    emails: int = 0
    price_notice: bool = False


NOTHING_DUE = Outcome("nothing_due")


@dataclass
class _Reminder:
    """One license's reminder, made but not yet written: its claims (Notice rows) and
    its emails, all written together or not at all."""

    license: License
    notices: list[Notice]
    emails: list[tuple[str, Rendered]]
    price_notice: bool

    @property
    def outcome(self) -> Outcome:
        return Outcome("sent", emails=len(self.emails), price_notice=self.price_notice)


def reminder_make(
    license: License,
    *,
    today: date,
    sent: dict[str, set[int]],
    batch: _Batch,
) -> _Reminder | None:
    """The one reminder due for `license` today, if any, with a price rise told when due,
    rendered once for all its recipients; nothing is written here."""
    subscription: Subscription = license.subscription
    days_left = (license.renews_on - today).days
    leads = reminders.lead_times(
        cycle=subscription.cycle,
        term_cycles=subscription.term_cycles,
        table=settings.RENEWAL_REMINDER_DAYS,
    )
    lead = reminders.reminder_lead(
        days_left=days_left, leads=leads, sent=sent.get(NoticeKind.RENEWAL_REMINDER, set())
    )
    told = bool(sent.get(NoticeKind.PRICE_INCREASE))
    term_days = (license.term_end - license.term_start).days + 1
    # Whether the renewal costs more is only worth reading when it could be told now.
    could_tell = not told and reminders.price_notice_due(
        rises=True,
        told=False,
        days_left=days_left,
        term_days=term_days,
        notice_days=settings.PRICE_INCREASE_NOTICE_DAYS,
        leads=leads,
    )
    if lead is None and not could_tell:
        return None
    summary = renewal_summary(subscription, today=today, cache=batch.renewals)
    price_notice = could_tell and summary.rise is not None
    if lead is None and not price_notice:
        return None
    # What the credit pays of it and the amount due, as the renewal panel tells them.
    summary = credited(
        subscription,
        summary,
        balances=batch.credit_of(license),
        today=today,
        cache=batch.renewals,
    )
    found = batch.meters_of(license, today)
    recipients = batch.recipients_of(license)
    context = _context(
        license,
        summary,
        lead=lead,
        price_notice=price_notice,
        found=found,
        ladder=batch.ladder_of(license),
        today=today,
    )
    common = {
        "subject": subject_of(license.pk),
        "period": license.renews_on,
        "license": license,
        "sent_on": today,
        "recipients": len(recipients),
    }
    notices = []
    if lead is not None:
        notices.append(Notice(kind=NoticeKind.RENEWAL_REMINDER, lead=lead, **common))
    if price_notice:
        notices.append(Notice(kind=NoticeKind.PRICE_INCREASE, lead=0, **common))
    rendered = None
    if recipients:
        rendered = render_billing_email(
            batch.templates, organization=license.organization, context=context
        )
    return _Reminder(
        license=license,
        notices=notices,
        emails=[(address, rendered) for address in recipients],
        price_notice=price_notice,
    )


def _write(made: list[_Reminder]) -> None:
    """The notices then the emails of `made`, two INSERTs for all of them, with the
    emails handed to the workers once the caller's transaction commits. A notice already
    claimed raises IntegrityError: the caller's savepoint rolls everything here back."""
    Notice.objects.bulk_create([notice for one in made for notice in one.notices])
    queue_many([email for one in made for email in one.emails])


def _write_each(made: list[_Reminder]) -> dict[int, Outcome]:
    """Each reminder in a savepoint of its own: one whose notice another run claimed
    first rolls back alone, with its emails (the exactly-once claim); license id ->
    outcome."""
    outcomes = {}
    for one in made:
        try:
            with transaction.atomic():
                _write([one])
        except IntegrityError:
            outcomes[one.license.pk] = Outcome("already_sent")
        else:
            outcomes[one.license.pk] = one.outcome
    return outcomes


def _write_batch(made: list[_Reminder]) -> dict[int, Outcome]:
    """All of a batch's reminders in one savepoint, four queries; if any notice was
    claimed by another run meanwhile, that savepoint rolls back whole and each reminder
    is written again in its own (_write_each), so the others are still sent once."""
    if not made:
        return {}
    try:
        with transaction.atomic():
            _write(made)
    except IntegrityError:
        return _write_each(made)
    return {one.license.pk: one.outcome for one in made}


def _licenses(license_ids: list[int]):
    return (
        License.objects.filter(pk__in=license_ids)
        .select_related(
            "organization",
            "subscription",
            "subscription__license",
            "version__tier__product",
        )
        .order_by("pk")
    )


def reminders_send(*, license_ids: list[int], today: date) -> RunCounts:
    """The reminders due today for `license_ids`, in one transaction: read in bulk for
    the batch, made per license (a license whose reminder fails to be made is counted
    and skipped), then written together, or per license in a savepoint each when another
    run claimed one of them first (_write_batch). Safe to run again: what was sent is
    skipped."""
    counts = RunCounts()
    with transaction.atomic():
        licenses = [
            license
            for license in _licenses(license_ids)
            if license.is_usable and license.term_end >= today
        ]
        for license in licenses:
            # One object, not two: next_renewal reads subscription.license.
            license.subscription.license = license
        batch = _Batch(licenses, today=today)
        sent = _sent([license.pk for license in licenses])
        made = []
        for license in licenses:
            try:
                one = reminder_make(
                    license,
                    today=today,
                    sent=sent.get((license.pk, license.renews_on), {}),
                    batch=batch,
                )
            except Exception as exc:  # one license's failure never stops the batch
                logger.exception("Renewal reminder for license %s failed", license.pk)
                counts.failed += 1
                counts.failures.append(f"license {license.pk}: {exc!r}")
                continue
            if one is None:
                counts.nothing_due += 1
            else:
                made.append(one)
        for outcome in _write_batch(made).values():
            if outcome.state == "sent":
                counts.sent += 1
                counts.emails += outcome.emails
                counts.price_notices += int(outcome.price_notice)
            else:
                counts.already_sent += 1
    return counts
