"""Trials of a higher tier, the customer's side (PRODUCT.md rule 6): the "Try <tier>"
entry from the pricing and comparison pages, the start page (GET explains, POST starts),
the new trial license's key shown once, the dashboard's trial panel and End now.

The rules are licensing.trials (rules: why a start is refused; services: trial_start and
trial_end). Owners and billing admins start and end trials; members read, and the start
page names who can; anyone outside the organization gets 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from licensing.licenses import services as licenses
from licensing.licenses.continuity import entitlements_on
from licensing.licenses.downgrade import Excess, Usage, find_excesses
from licensing.licenses.entitlements import license_entitlements, usable_trial
from licensing.licenses.grants import SEATS
from licensing.models import (
    CLOSED_STATUSES,
    USABLE_STATUSES,
    Feature,
    License,
    LicenseStatus,
    Tier,
    TierVersion,
    Trial,
    TrialStatus,
    VersionStatus,
)
from licensing.trials.rules import OpenLicense, last_day, start_refusal
from licensing.trials.selectors import FeatureUsed, TrialSummary, running_trial, trial_summary
from licensing.trials.services import (
    trial_end,
    trial_ends_at,
    trial_license_seats,
    trial_start,
)
from licensing.usage.services import license_meters
from portal import clock
from portal.access import current_membership, get_membership
from portal.models import (
    PENDING_PLAN_SESSION_KEY,
    Membership,
    Organization,
    PendingPlan,
    PendingPlanKind,
    Role,
)

# A new trial license's key, from the start to the one page view that shows it.
TRIAL_KEY_SESSION = "trial_new_key"


# --- What the organization may try ------------------------------------------------------


def _published(tier: Tier) -> TierVersion | None:
    return tier.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


def _open_license(organization: Organization, tier: Tier) -> License | None:
    return (
        License.objects.filter(organization=organization, product_id=tier.product_id)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("version__tier", "product")
        .first()
    )


def trial_refusal(organization: Organization, tier: Tier) -> str | None:
    """Why `organization` may not start a trial of `tier` now, in words; None: it may."""
    license = _open_license(organization, tier)
    current = None
    if license is not None:
        current = OpenLicense(
            tier_order=license.version.tier.order,
            # By the clock, as the start itself decides (licensing.trials.services).
            usable=licenses.license_status_at(license, clock.now()) in USABLE_STATUSES,
            trial_running=Trial.objects.filter(
                license=license, status=TrialStatus.RUNNING
            ).exists(),
        )
    return start_refusal(
        tier_name=tier.name,
        trial_days=tier.trial_days,
        tier_order=tier.order,
        already_tried=Trial.objects.filter(organization=organization, tier=tier).exists(),
        current=current,
    )


def trial_offers(organization: Organization) -> list[Tier]:
    """The public tiers `organization` may start a trial of now, lowest first."""
    tiers = Tier.objects.filter(is_public=True, trial_days__isnull=False).order_by(
        "product", "order"
    )
    return [
        tier
        for tier in tiers
        if _published(tier) is not None and trial_refusal(organization, tier) is None
    ]


def trial_offer_slugs(request: HttpRequest) -> set[str] | None:
    """The tiers the signed-in user's current organization may try (the pricing and
    comparison pages offer those only); None for a visitor, who is offered every tier
    with a trial and learns at the start page whether theirs may."""
    membership = current_membership(request)
    if membership is None:
        return None
    return {tier.slug for tier in trial_offers(membership.organization)}


# --- The start --------------------------------------------------------------------------


def _starters(organization: Organization) -> list[Membership]:
    """Who may start or end a trial: the owners and billing admins, owners first."""
    return list(
        Membership.objects.filter(organization=organization, role__in=[Role.OWNER, Role.BILLING])
        .select_related("user")
        .order_by("role", "user__email")
    )


@dataclass(frozen=True)
class StartPlan:
    """What starting a trial of a tier now would give, until when, and what follows."""

    tier: Tier
    version: TierVersion
    license: License | None  # the open license it runs on; None: a license of its own
    last_day: date
    gained: list[Feature]  # features the current plan does not have (all, for a new org)
    limits: list[tuple[str, str, str]]  # (limit, on the plan now, during the trial)


def _limit_text(value: int | None, unit: str) -> str:
    return "Unlimited" if value is None else f"{value:,} {unit}"


def _larger(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)


def _limit_during(
    row, license: License | None, now, version: TierVersion, at: datetime
) -> tuple[str, str]:
    """(on the plan now, during the trial) for one of the trial version's limits, as the
    license will have them: a paying license keeps its seats bought, and its other limits
    are the larger of its plan's and the trial's (with its add-ons and any override); a
    new trial license gets its trial seats (trial_license_seats) and the trial version's
    limits."""
    metric = row.metric
    if license is None:
        during = trial_license_seats(version) if metric.key == SEATS else row.value
        return "—", _limit_text(during, metric.unit)
    own = now.limits.get(metric.key)
    before = "—" if own is None else _limit_text(own.value, metric.unit)
    if metric.key == SEATS:
        return _limit_text(license.seats, metric.unit), _limit_text(license.seats, metric.unit)
    trial = entitlements_on(license=license, version=version, at=at).limits.get(metric.key)
    during = row.value if trial is None else trial.value
    if own is not None:
        during = _larger(own.value, during)
    return before, _limit_text(during, metric.unit)


def _start_plan(organization: Organization, tier: Tier, at: datetime) -> StartPlan:
    version = _published(tier)
    if version is None:
        raise Http404("This tier is not on offer.")
    license = _open_license(organization, tier)
    now = license_entitlements(license=license, at=at) if license else None
    features = list(version.features.all())
    limits = [
        (row.metric.name, *_limit_during(row, license, now, version, at))
        for row in version.limit_rows.select_related("metric")
    ]
    return StartPlan(
        tier=tier,
        version=version,
        license=license,
        last_day=last_day(trial_ends_at(today=clock.today(), days=tier.trial_days)),
        gained=[f for f in features if now is None or f.key not in now.features],
        limits=limits,
    )


def _remember_trial(request: HttpRequest, tier: Tier) -> None:
    """Keep the trial a visitor chose in their session, named, for the sign-up page to
    say which tier's trial it makes the account for, and for sign-up to put on the
    account (portal.adapters): the verification email names it, and signing in on any
    device continues to the page that starts it. A tier with no trial is kept as none."""
    if not tier.trial_days:
        request.session.pop(PENDING_PLAN_SESSION_KEY, None)
        return
    request.session[PENDING_PLAN_SESSION_KEY] = {
        "query": urlencode({"tier": tier.slug}),
        "label": f"a {tier.trial_days}-day trial of {tier.name}",
        "kind": PendingPlanKind.TRIAL,
    }


@require_GET
def trial_try(request: HttpRequest, tier: str) -> HttpResponse:
    """The pricing and comparison pages' "Try <tier>": on to the start page of the
    visitor's current organization, through sign-up (or sign-in) and a first
    organization when needed, coming back here after. A trial kept on the account from
    sign-up whose tier is no longer offered, or no longer has a trial, is dropped: on to
    the pricing page, saying so (signing in, which lands here, would come back every time)."""
    if request.user.is_authenticated:
        pending = PendingPlan.objects.filter(user=request.user).first()
        # The trial is on its way now, or no longer offered: either way it is used up.
        PendingPlan.objects.filter(user=request.user).delete()
        offered = Tier.objects.filter(slug=tier, is_public=True, trial_days__gt=0).exists()
        if pending is not None and not offered:
            messages.info(
                request,
                f"The plan you chose when signing up ({pending.label}) is no longer offered. "
                "Here are the plans on offer now.",
            )
            return redirect("pricing")
    tier_row = get_object_or_404(Tier, slug=tier, is_public=True)
    here = request.get_full_path()
    if not request.user.is_authenticated:
        _remember_trial(request, tier_row)
        return redirect(f"{reverse('account_signup')}?{urlencode({'next': here})}")
    membership = current_membership(request)
    if membership is None:
        return redirect(f"{reverse('organization_create')}?{urlencode({'next': here})}")
    return redirect("trial_start", membership.organization.slug, tier_row.slug)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def trial_start_view(request: HttpRequest, slug: str, tier: str) -> HttpResponse:
    """GET says exactly what a trial of the tier gives, until when, and what happens at
    its end; POST (owners and billing admins) starts it. A refusal says the rule's
    reason with a 409; a second POST finds the trial started and says so."""
    membership = get_membership(request, slug)
    organization = membership.organization
    tier_row = get_object_or_404(Tier, slug=tier, is_public=True)
    at = clock.now()
    refusal = trial_refusal(organization, tier_row)
    started = None
    if request.method == "POST" and membership.can_manage_billing and refusal is None:
        try:
            started = trial_start(
                organization=organization,
                tier=tier_row,
                actor=licenses.Actor.of(request.user, membership.get_role_display().lower()),
            )
        except ValidationError as refused:
            refusal = " ".join(refused.messages)
    if started is not None:
        if started.key:
            # Held only until the next page shows it, once (trial_started pops it).
            request.session[TRIAL_KEY_SESSION] = {"trial": started.trial.pk, "key": started.key}
        messages.success(
            request,
            f"Your {tier_row.name} trial has started: it runs until the end of "
            f"{last_day(started.trial.ends_at):%-d %B %Y} (UTC).",
        )
        return redirect("trial_started", slug, started.trial.pk)
    running = _running_of_tier(organization, tier_row)
    status = 200
    if request.method == "POST":
        status = 403 if not membership.can_manage_billing else 409
    elif refusal is not None:
        status = 409
    return render(
        request,
        "portal/trials/start.html",
        {
            "membership": membership,
            "organization": organization,
            "plan": _start_plan(organization, tier_row, at) if refusal is None else None,
            "tier": tier_row,
            "refusal": refusal,
            "running": running,
            "running_last_day": last_day(running.ends_at) if running else None,
            "running_hold": trial_hold(running, at) if running else None,
            "starters": [] if membership.can_manage_billing else _starters(organization),
        },
        status=status,
    )


def _running_of_tier(organization: Organization, tier: Tier) -> Trial | None:
    return Trial.objects.filter(
        organization=organization, tier=tier, status=TrialStatus.RUNNING
    ).first()


def _trial_for_member(request: HttpRequest, slug: str, trial_id: int):
    membership = get_membership(request, slug)
    trial = get_object_or_404(
        Trial.objects.select_related("tier", "version", "license", "license__version__tier"),
        pk=trial_id,
        organization=membership.organization,
    )
    return membership, trial


@never_cache
@login_required
@require_GET
def trial_started(request: HttpRequest, slug: str, trial_id: int) -> HttpResponse:
    """After the start: the new trial license's key, this once, for an organization that
    had none; for a paying one, what now runs on its license. A reload shows no key."""
    membership, trial = _trial_for_member(request, slug, trial_id)
    held = request.session.get(TRIAL_KEY_SESSION)
    new_key = None
    if isinstance(held, dict) and held.get("trial") == trial.pk:
        del request.session[TRIAL_KEY_SESSION]
        new_key = held.get("key")
    return render(
        request,
        "portal/trials/started.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "trial": trial,
            "license": trial.license,
            "last_day": last_day(trial.ends_at),
            "new_key": new_key,
            "hold": trial_hold(trial, clock.now()),
        },
    )


@never_cache
@login_required
@require_GET
def trial_detail(request: HttpRequest, slug: str, trial_id: int) -> HttpResponse:
    """The trial's own page, where the reminder emails point: its panel while it runs
    (with Convert and End now for owners and billing admins); after, how it closed and
    how it ran: the features used and how often, and usage against its limits."""
    membership, trial = _trial_for_member(request, slug, trial_id)
    at = clock.now()
    context = {
        "membership": membership,
        "organization": membership.organization,
        "trial": trial,
        "license": trial.license,
        "last_day": last_day(trial.ends_at),
    }
    context |= trial_close_context(trial)
    if trial.in_force(at):
        context["plan"] = _running_plan(trial, at)
        return render(request, "portal/trials/detail.html", context)
    # Closed (or past its end): how it ran, its features used and usage at its end.
    context["ran"] = trial_panel(trial, at)
    if not context["trial_license"]:
        # Back on (or bought) a tier below the trial's: what exceeds it is read-only.
        after = after_trial(trial, at)
        context["plan"] = {"after_trial": after} if after else {}
    return render(request, "portal/trials/detail.html", context)


def is_trial_license(trial: Trial) -> bool:
    """Whether `trial` ran on a license of its own (an organization that had none), not
    bought since: at the end that license expires rather than going back to a plan."""
    return trial.status != TrialStatus.CONVERTED and trial.license.version_id == trial.version_id


def ended_on(trial: Trial) -> date:
    """The day a closed trial ended, as a customer counts it: the day they ended it (or
    bought), else its last day (the job that reverts it may run the morning after)."""
    if trial.status in (TrialStatus.ENDED, TrialStatus.CONVERTED) and trial.ended_at:
        return timezone.localdate(trial.ended_at)
    return last_day(trial.ends_at)


def trial_close_context(trial: Trial) -> dict:
    """How a trial's pages word its close: a trial license or a plan to go back to, the
    day it ended, and (bought) the tier bought, which may be another than the trial's."""
    return {
        "trial_license": is_trial_license(trial),
        "ended_on": ended_on(trial),
        "bought_tier": trial.license.version.tier
        if trial.status == TrialStatus.CONVERTED
        else None,
    }


# --- The end ----------------------------------------------------------------------------


class TrialEndForm(forms.Form):
    reason = forms.CharField(
        label="Why are you ending it? (optional)",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept on record with the trial; it helps us make the tier better.",
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def trial_end_view(request: HttpRequest, slug: str, trial_id: int) -> HttpResponse:
    """End now: GET asks (what ending means), POST ends it through trial_end."""
    membership, trial = _trial_for_member(request, slug, trial_id)
    form = TrialEndForm(request.POST if request.method == "POST" else None)
    error = None
    status = 200
    if request.method == "POST" and not membership.can_manage_billing:
        # The role first: a member learns they may not act, whatever the trial's state.
        error = "Only an owner or a billing admin can end a trial."
        status = 403
    elif trial.status != TrialStatus.RUNNING:
        error = "This trial has already ended."
        status = 409
    elif request.method == "POST":
        if form.is_valid():
            try:
                trial_end(
                    trial=trial,
                    actor=licenses.Actor.of(request.user, membership.get_role_display().lower()),
                    reason=form.cleaned_data["reason"].strip(),
                )
            except ValidationError as refused:
                error, status = " ".join(refused.messages), 409
            else:
                if is_trial_license(trial):
                    ended = (
                        f"Your {trial.tier.name} trial has ended and its trial license has "
                        "expired. Nothing made during it is deleted; buy a plan to keep using it."
                    )
                else:
                    ended = (
                        f"Your {trial.tier.name} trial has ended. Everything made during it is "
                        "kept; what is beyond your plan is read-only."
                    )
                messages.success(request, ended)
                return redirect("organization_detail", slug)
        else:
            status = 422
    return render(
        request,
        "portal/trials/end.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "trial": trial,
            "last_day": last_day(trial.ends_at),
            "hold": trial_hold(trial, clock.now()),
            "form": form,
            "error": error,
            "starters": [] if membership.can_manage_billing else _starters(trial.organization),
        },
        status=status,
    )


# --- The dashboard's panel --------------------------------------------------------------


@dataclass(frozen=True)
class TrialPanel:
    summary: TrialSummary  # days left, features used (never-used too), usage (selectors)
    features: list[FeatureUsed]  # the summary's, the most used first, never-used last
    convert_url: str  # the checkout for the trial's tier (an upgrade, or a purchase)

    @property
    def trial(self) -> Trial:
        return self.summary.trial


@dataclass(frozen=True)
class AfterTrial:
    """A trial that ended (by the customer, or at its end date): what exceeds the plan
    the license returned to, kept read-only."""

    trial: Trial
    excesses: list[Excess]
    features_lost: list[str]


def trial_panel(trial: Trial, at: datetime) -> TrialPanel:
    summary = trial_summary(trial, at)
    slug = trial.organization.slug
    return TrialPanel(
        summary=summary,
        features=sorted(summary.features, key=lambda f: (f.times_used == 0, -f.times_used)),
        convert_url=f"{reverse('checkout_new', args=[slug])}?tier={trial.tier.slug}",
    )


def after_trial(trial: Trial, at: datetime) -> AfterTrial | None:
    """What exceeds the plan after `trial` ended, or None when everything fits."""
    license = trial.license
    during = entitlements_on(license=license, version=trial.version, at=at)
    check = find_excesses(
        current=during,
        target=license_entitlements(license=license, at=at),
        seats=license.seats,
        active_machines=license.machines.active().count(),
        usage=[
            Usage(meter.grant.metric, meter.state.used)
            for meter in license_meters(license=license, at=at, entitlements=during)
        ],
    )
    if check.fits:
        return None
    return AfterTrial(trial=trial, excesses=check.excesses, features_lost=check.features_lost)


def trial_hold(trial: Trial, at: datetime) -> str | None:
    """The license's status (its label) when `trial` is in force on a license that may not
    be used: by usable_trial's rule such a license grants nothing, its trial included, so
    every trial page names the trial only as on hold. None when it runs as it says."""
    if not trial.in_force(at):
        return None
    license = trial.license
    status = licenses.license_status_at(license, at)
    if usable_trial(license=license, status=status, at=at) is not None:
        return None
    return LicenseStatus(status).label


def _running_plan(trial: Trial, at: datetime) -> dict:
    """A trial in force: its panel; on hold (trial_hold), named only as on hold, never as
    what the customer now runs on."""
    held = trial_hold(trial, at)
    if held is not None:
        return {"trial_on_hold": {"trial": trial, "status": held}}
    return {"trial": trial_panel(trial, at)}


def license_trial_context(license: License, at: datetime) -> dict:
    """The dashboard's trial parts for one license: the running trial's panel, or what a
    trial that ended left beyond the plan (read-only)."""
    running = running_trial(license, at)
    if running is not None:
        running.license = license
        return _running_plan(running, at)
    trial = (
        Trial.objects.filter(license=license)
        .select_related("tier", "version")
        .order_by("-starts_at")
        .first()
    )
    if trial is None:
        return {}
    trial.license = license
    if is_trial_license(trial):
        # The license was the trial: it expired with it; nothing goes back to a plan.
        return {"trial_license_ended": trial} if not license.is_usable else {}
    bought_another = (
        trial.status == TrialStatus.CONVERTED and license.version.tier_id != trial.tier_id
    )
    if (
        bought_another
        or trial.status in (TrialStatus.ENDED, TrialStatus.REVERTED)
        or (trial.status == TrialStatus.RUNNING and at >= trial.ends_at)
    ):
        after = after_trial(trial, at)
        return {"after_trial": after} if after else {}
    return {}
