"""Cancelling a subscription at the end of its term, and resuming it before then.

Cancelling is the end of renewal: the license's auto-renew goes off now, so its term
ends as bought (no renewal grace: licensing.licenses.grace gives it only to a license
that renews) and nothing is invoiced after it; a change scheduled for the term's end is
canceled with it. Resuming turns renewal back on while the term runs, so it renews as
before. Each is one transaction in billing.locks' order (license, scheduled change,
subscription), recorded in both ledgers with who did it and why (the commercial
ledger's event has an AdminOperation `subscription_cancel` / `subscription_resume` as
its cause, whose reason carries the customer's), and emailed to the organization's
billing recipients in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from billing.checkout import changes
from billing.emails.services import send_billing_email
from billing.invoices.selectors import InvoiceSummary, invoice_summary
from billing.ledger.services import changes_recorded
from billing.locks import lock_license, lock_scheduled_changes
from billing.models import ScheduledChange, ScheduledChangeStatus, Subscription
from billing.subscriptions.selectors import CANCEL_ACTION, canceled_by_customer
from billing.subscriptions.services import subscription_set_auto_renew
from licensing.licenses import grace
from licensing.licenses.services import Actor
from licensing.models import License
from portal import clock


class CancelReason(models.TextChoices):
    TOO_EXPENSIVE = "too_expensive", "It costs too much"
    MISSING_FEATURES = "missing_features", "It lacks something we need"
    NOT_USED = "not_used", "We do not use it enough"
    SWITCHING = "switching", "We are moving to another product"
    PAUSE = "pause", "We need a pause"
    OTHER = "other", "Another reason"


@dataclass(frozen=True)
class CancellationTerms:
    """What a cancellation means for this license, in facts the cancel page states."""

    license: License
    ends_on: date  # the term's last day
    key_stops_at: datetime  # when the API stops answering valid (UTC)
    grace_until: date | None  # the renewal grace it would keep (none once canceled)
    grace_days: int  # RENEWAL_GRACE_DAYS, which a renewing license has
    data_kept_until: date
    retention_days: int
    invoices: InvoiceSummary
    scheduled: ScheduledChange | None  # canceled with the subscription


def cancellation_terms(*, license: License, at: datetime) -> CancellationTerms:
    """Read what cancelling would do, by the same rules the services and the API use."""
    grace_until = grace.grace_until(
        term_end=license.term_end,
        usable=license.is_usable,
        auto_renew=False,
        grace_days=settings.RENEWAL_GRACE_DAYS,
        ends_with_term=True,
    )
    last_day = grace_until or license.term_end
    retention = settings.CANCELED_DATA_RETENTION_DAYS
    return CancellationTerms(
        license=license,
        ends_on=license.term_end,
        key_stops_at=datetime.combine(last_day + timedelta(days=1), time(), tzinfo=UTC),
        grace_until=grace_until,
        grace_days=settings.RENEWAL_GRACE_DAYS,
        data_kept_until=license.term_end + timedelta(days=retention),
        retention_days=retention,
        invoices=invoice_summary(organization=license.organization, today=timezone.localdate(at)),
        scheduled=ScheduledChange.objects.filter(
            license=license, status=ScheduledChangeStatus.SCHEDULED
        ).first(),
    )


def _check_running(license: License, today: date, doing: str) -> None:
    if not license.is_usable:
        raise ValidationError(
            f"A {license.get_status_display().lower()} license has no subscription to {doing}."
        )
    if today > license.term_end and license.auto_renew:
        # Between the term's end and the renewal job (hourly), or while a failed renewal
        # is retried: the renewal the reminders announced is under way, not a new plan.
        raise ValidationError(
            f"The term ended on {license.term_end:%-d %B %Y} and the subscription is being "
            "renewed: it can no longer be canceled for this renewal. Once it has renewed, "
            "you can cancel it for the end of the new term."
        )
    if today > license.term_end:
        raise ValidationError(
            f"The term ended on {license.term_end:%-d %B %Y}; choose a plan to start a new one."
        )


def _renewing(change: ScheduledChange, license: License, *, actor: Actor, at: datetime) -> None:
    """A change still scheduled when the subscription is resumed (one made before the
    checkout refused them while canceled) keeps its plan but no longer ends the
    subscription: renewal is decided by cancel and resume. One that did nothing else
    is called off. Its row is locked (after the license, before the subscription)."""
    if change.auto_renew:
        return
    subscription = Subscription.objects.get(license=license)
    current = changes.Terms(
        version=license.version_id,
        tier_name=license.version.tier.name,
        seats=license.seats,
        cycle=subscription.cycle,
        auto_renew=True,
    )
    planned = changes.Terms(
        version=change.version_id,
        tier_name=change.version.tier.name,
        seats=change.seats,
        cycle=change.cycle,
        auto_renew=True,
    )
    if planned == current:
        change.status = ScheduledChangeStatus.CANCELED
        change.closed_at = at
        change.closed_by = actor.user
        change.close_reason = "The subscription was resumed: it renews, as it is."
    else:
        change.auto_renew = True
        change.summary = changes.summary(current, planned)[:300]
    change.save()


def cancel_reason_text(reason: str, details: str) -> str:
    label = CancelReason(reason).label if reason else "No reason given"
    details = details.strip()
    return f"{label}{': ' + details if details else ''}"


def _email_context(license: License, actor: Actor, at: datetime, **extra) -> dict:
    dashboard_url = settings.SITE_URL + license.organization.get_absolute_url()
    return {
        "license": license,
        "tier": license.version.tier.name,
        "actor": actor.user.email if actor.user else actor.label,
        "at": at,
        "ends_on": license.term_end,
        "dashboard_url": dashboard_url,
        "action_url": dashboard_url,
        **extra,
    }


@transaction.atomic
def subscription_cancel(
    *,
    subscription: Subscription,
    actor: Actor,
    reason: str = "",
    details: str = "",
    term_end: date | None = None,
    at: datetime | None = None,
) -> Subscription:
    """End the subscription at its term's end: renewal off from now, a change scheduled
    for the end canceled, on record with `reason` (a CancelReason, or empty) and
    `details`, emailed. Refused for a license that is not running or whose term ended,
    and, given the `term_end` the customer was shown, when the term is no longer that
    one (renewed since: the cancellation would end a term nobody showed them)."""
    at = at or clock.now()
    if reason and reason not in CancelReason.values:
        raise ValidationError("Choose one of the reasons, or none.")
    if len(details) > 500:
        raise ValidationError("Say it in 500 characters or fewer.")
    license = lock_license(subscription.license_id)
    _check_running(license, timezone.localdate(at), "cancel")
    if term_end is not None and term_end != license.term_end:
        raise ValidationError(
            f"The subscription has renewed since this page was opened: its term now ends on "
            f"{license.term_end:%-d %B %Y}, not {term_end:%-d %B %Y}. Read what canceling "
            "does now, and confirm again if you still want to."
        )
    if not license.auto_renew:
        if not canceled_by_customer(license):
            raise ValidationError(
                "This subscription is renewed by hand, as arranged with your account "
                "manager: tell them if it should not be renewed."
            )
        raise ValidationError(
            f"The subscription is already canceled: it ends on {license.term_end:%-d %B %Y}."
        )
    why = cancel_reason_text(reason, details)
    record = f"Canceled at the end of the term by {actor.label}. Reason: {why}"
    scheduled = list(lock_scheduled_changes(license.pk))
    with changes_recorded(license=license, actor=actor, reason=record, action=CANCEL_ACTION, at=at):
        for change in scheduled:
            # Called off here, in the lock order, and told in the cancellation's own email
            # (which names it), so the customer gets one message about one decision.
            change.status = ScheduledChangeStatus.CANCELED
            change.closed_at = at
            change.closed_by = actor.user
            change.close_reason = f"The subscription was canceled at the end of the term. {why}"
            change.save()
        subscription = subscription_set_auto_renew(
            subscription=Subscription.objects.get(pk=subscription.pk),
            auto_renew=False,
            actor=actor,
            reason=record,
            at=at,
            ends_with_term=True,
        )
    license = subscription.license
    terms = cancellation_terms(license=license, at=at)
    send_billing_email(
        "cancellation_scheduled",
        organization=license.organization,
        context=_email_context(
            license,
            actor,
            at,
            action_label="Resume from your dashboard",
            reason=why.rstrip(". ") if reason or details.strip() else "",
            key_stops_at=terms.key_stops_at,
            # What the cancel page says of the data: kept, read-only, for this long.
            retention_days=terms.retention_days,
            data_kept_until=terms.data_kept_until,
            scheduled=scheduled,
        ),
    )
    return subscription


@transaction.atomic
def subscription_resume(
    *, subscription: Subscription, actor: Actor, at: datetime | None = None
) -> Subscription:
    """Undo a cancellation before the term ends: renewal back on, so the subscription
    renews as before (a change canceled with it is not brought back), and no change
    still scheduled ends it at the term's end (`_renewing`). Refused when renewal is off
    because staff arranged a renewal by hand: that is theirs to change. Emailed."""
    at = at or clock.now()
    license = lock_license(subscription.license_id)
    _check_running(license, timezone.localdate(at), "resume")
    if license.auto_renew:
        raise ValidationError(
            f"The subscription is not canceled: it renews on {license.renews_on:%-d %B %Y}."
        )
    if not canceled_by_customer(license):
        raise ValidationError(
            "This subscription is not canceled: it is renewed by hand, as arranged with "
            "your account manager, who will contact you before "
            f"{license.term_end:%-d %B %Y}. Ask them to change the arrangement."
        )
    record = f"Resumed before the end of the term by {actor.label}."
    scheduled = list(lock_scheduled_changes(license.pk))
    with changes_recorded(
        license=license, actor=actor, reason=record, action="subscription_resume", at=at
    ):
        for change in scheduled:
            _renewing(change, license, actor=actor, at=at)
        subscription = subscription_set_auto_renew(
            subscription=Subscription.objects.get(pk=subscription.pk),
            auto_renew=True,
            actor=actor,
            reason=record,
            at=at,
        )
    license = subscription.license
    send_billing_email(
        "cancellation_resumed",
        organization=license.organization,
        context=_email_context(
            license, actor, at, action_label="Open your dashboard", renews_on=license.renews_on
        ),
    )
    return subscription
