"""The rows of the book of accounts: one per organization, with its plans (open licenses
and their subscriptions), invoices, usage, trials and readiness signals. Read in a
bounded number of queries, whatever the number of accounts: each kind of row is read
once for all of them (the licenses' entitlements and meters through the batch readers
the renewal reminders use)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from billing.accounts import signals
from billing.invoices.selectors import invoice_outstanding
from billing.models import Invoice, InvoiceStatus, Subscription
from billing.money import Money
from billing.subscriptions.selectors import discounts_from
from licensing.licenses.entitlements import licenses_entitlements
from licensing.licenses.grants import SEATS
from licensing.models import (
    CLOSED_STATUSES,
    FeatureUse,
    License,
    LicenseStatus,
    TierVersionFeature,
    Trial,
    TrialStatus,
    VersionStatus,
)
from licensing.trials.rules import last_day
from licensing.usage.services import Meter, licenses_meters
from portal.models import Organization


@dataclass(frozen=True)
class Plan:
    """One open license of an account, with what its subscription costs a year."""

    license: License
    subscription: Subscription | None
    arr: Money | None  # None: no subscription (a trial license)
    seats_used: int | None
    days_to_go: int
    meters: list[Meter]

    @property
    def is_legacy(self) -> bool:
        return self.license.version.status == VersionStatus.RETIRED


@dataclass(frozen=True)
class RunningTrial:
    trial: Trial
    features_used: list[str]  # names of the extra features used so far
    features: int  # how many extra features the trial brings


@dataclass(frozen=True)
class InvoiceFigures:
    open_count: int = 0
    overdue_count: int = 0
    open_amounts: list[Money] = field(default_factory=list)  # outstanding, per currency
    overdue_amounts: list[Money] = field(default_factory=list)


@dataclass(frozen=True)
class AccountRow:
    organization: Organization
    plans: list[Plan]
    arr: list[Money]  # per currency
    invoices: InvoiceFigures
    trials: list[RunningTrial]
    signals: list[signals.Found]

    @property
    def renews_on(self) -> date | None:
        """The account's next renewal: its earliest plan's."""
        return min((plan.license.renews_on for plan in self.plans), default=None)

    @property
    def days_to_go(self) -> int | None:
        return min((plan.days_to_go for plan in self.plans), default=None)

    def has(self, signal: str) -> bool:
        return any(found.signal == signal for found in self.signals)


def book_organizations(*, manager_id: int | None = None, unassigned: bool = False) -> QuerySet:
    """The organizations of the book: a manager's, the unassigned ones, or all."""
    organizations = Organization.objects.select_related("account_manager").order_by("name")
    if unassigned:
        return organizations.filter(account_manager__isnull=True)
    if manager_id is not None:
        return organizations.filter(account_manager_id=manager_id)
    return organizations


def _seat_figures(meters: list[Meter]) -> tuple[int | None, int | None]:
    """Seats in use now (this month's level, last month's before any report this month)
    and SEAT_GROWTH_MONTHS months before that; (None, None) when seats are not metered."""
    meter = next((m for m in meters if m.key == SEATS), None)
    if meter is None:
        return None, None
    values = [value for _, value in meter.history]
    index = len(values) - 1 if values[-1] or len(values) < 2 else len(values) - 2
    before = index - signals.SEAT_GROWTH_MONTHS
    return values[index], (values[before] if before >= 0 else None)


def _plan_facts(plan: Plan, today: date) -> signals.PlanFacts:
    license = plan.license
    used, before = _seat_figures(plan.meters)
    return signals.PlanFacts(
        renews=license.is_usable and not license.ends_with_term,
        renews_on=license.renews_on,
        price_locked_until=plan.subscription.price_locked_until if plan.subscription else None,
        seats_bought=license.seats,
        seats_used=used,
        seats_used_before=before,
        limits=tuple(
            signals.LimitUsage(
                name=meter.grant.metric.name,
                limit=meter.grant.value,
                completed=tuple(value for _, value in meter.history[:-1]),
            )
            for meter in plan.meters
        ),
    )


def _plans(organization_ids: list[int], at: datetime) -> dict[int, list[Plan]]:
    today = timezone.localdate(at)
    licenses = list(
        License.objects.filter(organization_id__in=organization_ids)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("version__tier", "subscription")
        .order_by("organization_id", "pk")
    )
    meters = (
        licenses_meters(
            licenses=licenses,
            at=at,
            entitlements=licenses_entitlements(licenses=licenses, at=at),
        )
        if licenses
        else {}
    )
    plans: dict[int, list[Plan]] = defaultdict(list)
    for license in licenses:
        subscription = getattr(license, "subscription", None)
        arr = (
            signals.annual_recurring_revenue(
                price=subscription.seat_price,
                seats=license.seats,
                status=license.status,
                discounts=discounts_from(subscription, today),
            )
            if subscription
            else None
        )
        license_meters = meters.get(license.pk, [])
        plans[license.organization_id].append(
            Plan(
                license=license,
                subscription=subscription,
                arr=arr,
                seats_used=_seat_figures(license_meters)[0],
                days_to_go=signals.days_to_go(license.renews_on, today),
                meters=license_meters,
            )
        )
    return plans


@dataclass(frozen=True)
class AccountTrials:
    """An account's trials as the book reads them: those running (shown), and the facts
    of each trial the signal may count (running or recently ended)."""

    running: list[RunningTrial] = field(default_factory=list)
    facts: list[signals.TrialFacts] = field(default_factory=list)


def _stopped_at(trial: Trial) -> datetime:
    """When its grants stopped, or will: its end, or earlier if it was closed before."""
    return min(trial.ends_at, trial.ended_at or trial.ends_at)


def _trials(organization_ids: list[int], at: datetime) -> dict[int, AccountTrials]:
    """The trials running at `at`, and those that stopped within the signal's window
    (signals.TRIAL_RECENT_DAYS), each with the extra features (those the license's own
    plan lacks) used while it ran: three queries for all."""
    recent = at - timedelta(days=signals.TRIAL_RECENT_DAYS + 1)
    trials = list(
        Trial.objects.filter(organization_id__in=organization_ids, starts_at__lte=at)
        .filter(Q(status=TrialStatus.RUNNING) | Q(ends_at__gte=recent))
        .select_related("tier", "version", "license")
        .order_by("ends_at", "pk")
    )
    if not trials:
        return {}
    versions = {t.version_id for t in trials} | {t.license.version_id for t in trials}
    features: dict[int, dict[int, str]] = defaultdict(dict)
    for row in TierVersionFeature.objects.filter(version_id__in=versions).select_related("feature"):
        features[row.version_id][row.feature_id] = row.feature.name
    window = Q()
    for trial in trials:
        window |= Q(
            license_id=trial.license_id,
            used_at__gte=trial.starts_at,
            used_at__lt=min(at, _stopped_at(trial)),
        )
    used = {
        (license_id, feature_id)
        for license_id, feature_id, total in FeatureUse.objects.filter(window)
        .values_list("license_id", "feature_id")
        .annotate(total=Sum("count"))
        .order_by()
        if total
    }
    found: dict[int, AccountTrials] = defaultdict(AccountTrials)
    for trial in trials:
        extra = dict(features[trial.version_id])
        own_plan = trial.license.status != LicenseStatus.TRIALING
        if own_plan and trial.license.version_id != trial.version_id:
            for feature_id in features[trial.license.version_id]:
                extra.pop(feature_id, None)
        names = [name for fid, name in extra.items() if (trial.license_id, fid) in used]
        account = found[trial.organization_id]
        running = trial.in_force(at)
        if running:
            account.running.append(
                RunningTrial(trial=trial, features_used=sorted(names), features=len(extra))
            )
        account.facts.append(
            signals.TrialFacts(
                features_used=len(names),
                ended_on=None if running else last_day(_stopped_at(trial)),
                bought=trial.status == TrialStatus.CONVERTED,
            )
        )
    return found


def _invoices(organization_ids: list[int], today: date) -> dict[int, InvoiceFigures]:
    """Open invoices and the overdue among them, with what is still to pay of them (after
    payments and credit applied since issue): three queries for all."""
    open_invoices = (
        Invoice.objects.filter(organization_id__in=organization_ids, status=InvoiceStatus.OPEN)
        .prefetch_related("payments", "credit_entries")
        .order_by("pk")
    )
    by_organization: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in open_invoices:
        by_organization[invoice.organization_id].append(invoice)
    figures = {}
    for organization_id, invoices in by_organization.items():
        overdue = [invoice for invoice in invoices if invoice.is_overdue(today)]
        figures[organization_id] = InvoiceFigures(
            open_count=len(invoices),
            overdue_count=len(overdue),
            open_amounts=signals.totals_by_currency(
                [invoice_outstanding(invoice=invoice) for invoice in invoices]
            ),
            overdue_amounts=signals.totals_by_currency(
                [invoice_outstanding(invoice=invoice) for invoice in overdue]
            ),
        )
    return figures


def book_rows(organizations: QuerySet, *, at: datetime) -> list[AccountRow]:
    """One row per organization, sorted by name; the same queries for 3 accounts or 300."""
    today = timezone.localdate(at)
    organizations = list(organizations)
    ids = [organization.pk for organization in organizations]
    plans = _plans(ids, at)
    trials = _trials(ids, at)
    invoices = _invoices(ids, today)
    rows = []
    for organization in organizations:
        own_plans = plans.get(organization.pk, [])
        own_trials = trials.get(organization.pk, AccountTrials())
        own_invoices = invoices.get(organization.pk, InvoiceFigures())
        facts = signals.AccountFacts(
            plans=tuple(_plan_facts(plan, today) for plan in own_plans),
            trials=tuple(own_trials.facts),
            overdue_invoices=own_invoices.overdue_count,
        )
        rows.append(
            AccountRow(
                organization=organization,
                plans=own_plans,
                arr=signals.totals_by_currency([p.arr for p in own_plans if p.arr is not None]),
                invoices=own_invoices,
                trials=own_trials.running,
                signals=signals.account_signals(facts, today),
            )
        )
    return rows


def arr_totals(rows: list[AccountRow]) -> list[Money]:
    """The book's ARR per currency: no exchange rates, so never one figure."""
    return signals.totals_by_currency([amount for row in rows for amount in row.arr])
