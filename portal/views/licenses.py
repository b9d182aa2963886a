"""The customer dashboard, the organization's home at /app/<slug>/: its licenses with
entitlements, meters, warnings and suggestions, the key and file, API tokens (owners
only) and members. Outsiders get 404 from the access helpers."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.checkout.services import pending_change
from billing.dunning.selectors import dunning_hold, holding_invoices, overdue_panel, staff_hold
from billing.invoices.selectors import invoice_summary
from billing.models import Subscription
from billing.money import Money
from billing.proposals.customer import customer_proposals, open_proposals
from billing.renewals.selectors import lock_holds_until, version_price
from billing.renewals.services import RENEWAL, ends_after
from billing.renewals.summary import renewal_summary, with_credit
from billing.subscriptions.selectors import canceled_by_customer
from licensing.api.tokens import api_token_create, api_token_revoke
from licensing.licenses import keys, signing
from licensing.licenses import services as licenses
from licensing.licenses.selectors import license_panel
from licensing.models import ApiToken, LicenseStatus
from portal import clock
from portal.access import (
    get_api_token_for_owner,
    get_license_for_member,
    get_membership,
    require_billing,
    require_owner,
)
from portal.models import Membership
from portal.views.trials import license_trial_context, trial_offers


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=80,
        help_text="What will use it, e.g. “Build server” or “Production app”.",
    )


class RotateKeyForm(forms.Form):
    """How long the old key keeps working beside the new one, and why it is rotated."""

    OVERLAPS = {
        "none": timedelta(0),
        "1h": timedelta(hours=1),
        "24h": timedelta(hours=24),
        "7d": timedelta(days=7),
    }
    REASONS = {
        "routine": "Routine rotation",
        "person_left": "Someone who knew the key left",
        "leaked": "The key may have leaked",
        "other": "Another reason",
    }

    # The one-time token of this form (licenses.rotation_token): a second submission of
    # it finds the key rotated already and is refused.
    token = forms.CharField(widget=forms.HiddenInput, max_length=128)
    overlap = forms.ChoiceField(
        label="How long may the current key keep working?",
        choices=[
            ("none", "Not at all: it stops the moment I rotate"),
            ("1h", "1 hour"),
            ("24h", "24 hours"),
            ("7d", "7 days"),
        ],
        initial="24h",
        widget=forms.RadioSelect,
        help_text="If the key may have leaked, choose “Not at all”.",
        error_messages={"required": "Choose how long the current key keeps working."},
    )
    reason = forms.ChoiceField(
        label="Why are you rotating it?",
        choices=list(REASONS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why; the reason is kept on record."},
    )
    details = forms.CharField(
        label="Anything to add (optional)",
        required=False,
        max_length=300,
        help_text="Kept on the license's record with the reason.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("overlap", "reason"):
            self.fields[name].error_messages["invalid_choice"] = "Choose one of the options."
        self.fields["token"].error_messages["required"] = (
            "This form has expired; open Rotate key again from the dashboard."
        )

    def clean(self):
        # A hidden field's error has no field on screen to stand beside: say it on top.
        if "token" in self.errors:
            self.add_error(None, self.errors.pop("token"))
        return super().clean()

    def overlap_period(self) -> timedelta:
        return self.OVERLAPS[self.cleaned_data["overlap"]]

    def reason_text(self) -> str:
        reason = self.REASONS[self.cleaned_data["reason"]]
        details = self.cleaned_data["details"].strip()
        return f"{reason}{': ' + details if details else ''} (rotated in the portal)."


class KeyDownloadForm(forms.Form):
    key = forms.CharField(max_length=64)


PERIODS_SHOWN = 12
# A rotation's new license key, from the rotation to the one page view that shows it.
ROTATED_KEY_SESSION = "rotated_license_key"


def _closed(license) -> dict:
    """A closed license, read-only for the data retention after its term: when it ended,
    why, and until when it stays readable."""
    event = licenses.license_closing_event(license)
    # The term-end job's own words only: a reason staff wrote is theirs, never shown.
    told = event is not None and event.actor_label == RENEWAL.label
    return {
        "on": timezone.localdate(event.happened_at) if event else license.term_end,
        # Expired by the term-end job (the day after its last usable day, or later): the
        # day it last worked, which its reason and the expiry email name.
        "last_day": ends_after(license)
        if told and license.status == LicenseStatus.EXPIRED
        else None,
        "reason": event.reason if told else "",
        "readable_until": license.term_end + timedelta(days=settings.CANCELED_DATA_RETENTION_DAYS),
    }


def _dunning(license) -> dict | None:
    """While dunning holds the license suspended: the invoices to pay to lift its hold
    (the overdue panel's `to_lift`, each one that has reached its suspension day) and
    whether staff hold it suspended too (then paying them leaves it suspended)."""
    if dunning_hold(license.pk) is None:
        return None
    return {
        "to_lift": holding_invoices(license, clock.today()),
        "held_by_staff": staff_hold(license.pk),
    }


def _suspension(license, dunning: dict | None) -> dict | None:
    """A suspended license at its term's end: not renewed while suspended; expires after
    its last usable day unless reinstated (billing.renewals.services.lapsed)."""
    if license.status != LicenseStatus.SUSPENDED:
        return None
    return {
        "term_end": license.term_end,
        "ended": license.term_end < clock.today(),
        "expires_on": ends_after(license),
        "dunning": dunning,
    }


def _plan(license, *, closed: bool = False) -> dict:
    """What the license costs and the change scheduled for it, if any; a closed one's
    end instead of what it would cost."""
    if closed:
        return {"closed": _closed(license)}
    # What lifts a dunning suspension, for its notice on the card (with or without a plan).
    dunning = _dunning(license)
    subscription = Subscription.objects.filter(license=license).first()
    if subscription is None:
        return {"dunning": dunning}
    subscription.license = license
    return {
        "dunning": dunning,
        "suspension": _suspension(license, dunning),
        # The next renewal's panel: usable licenses only (a closed one renews no more).
        "renewal": renewal_summary(subscription, today=clock.today())
        if license.is_usable
        else None,
        "subscription": subscription,
        # What the renewal panel says too: the stored day, or a retired version's later
        # notice date (billing.renewals.selectors.lock_holds_until).
        "locked_until": lock_holds_until(subscription, license.version),
        "price_text": subscription.seat_price.describe(),
        "cycle_price": subscription.cycle_price.rounded(),
        "scheduled": pending_change(license),
        # Renewal off: a cancellation (Resume undoes it) or a renewal by hand (staff's).
        "canceled": canceled_by_customer(license),
        # The latest first, the year or so a customer looks back on.
        "periods": list(
            subscription.periods.select_related("invoice").order_by("-starts_on", "-pk")[
                :PERIODS_SHOWN
            ]
        ),
    }


def _trial(license, at) -> dict:
    # The trial panel, or what a trial that ended left beyond the plan (read-only).
    return license_trial_context(license, at)


def _panel(license, context: dict, at):
    panel = license_panel(license=license, at=at)
    subscription = context.get("subscription")
    if panel.legacy and subscription is not None:
        # The legacy table's price row: today's version at the subscription's currency
        # and cycle, beside the price kept (none: today's is not sold that way).
        today = version_price(
            panel.today, currency=subscription.currency_id, cycle=subscription.cycle
        )
        context = context | {"today_price_text": today.describe() if today else ""}
    # Each meter with its months as (period, used, limit), the limit each month had.
    return panel, context | {"meter_rows": [(view, view.rows) for view in panel.meters]}


def _renewals_with_credit(panels: list[tuple], balances: list[Money]) -> None:
    """The renewal panels' invoices with what the organization's credit `balances` will
    pay of them (billing.renewals.summary.with_credit), for those who read their amounts:
    what the customer will be asked to pay, not the total before credit."""
    plans = [plan for _, plan in panels if plan.get("renewal")]
    summaries = with_credit([(plan["subscription"], plan["renewal"]) for plan in plans], balances)
    for plan, summary in zip(plans, summaries, strict=True):
        plan["renewal"] = summary


def _dashboard_context(membership: Membership, token_form: TokenForm | None = None) -> dict:
    organization = membership.organization
    now = clock.now()
    open_licenses = list(licenses.licenses_open(organization))
    context = {
        "membership": membership,
        "organization": organization,
        "panels": [
            _panel(license, _plan(license) | _trial(license, now), now) for license in open_licenses
        ]
        # A closed license stays readable (read-only) for the data retention after its
        # term, as the cancel page promises; after it, as if there were none.
        + [
            _panel(license, _plan(license, closed=True) | _trial(license, now), now)
            for license in licenses.licenses_closed_since(
                organization,
                since=timezone.localdate(now)
                - timedelta(days=settings.CANCELED_DATA_RETENTION_DAYS),
            )
        ],
        # What is overdue and what happens when, for every member (billing.dunning).
        "dunning_overdue": overdue_panel(organization=organization, today=timezone.localdate(now)),
        # The proposals waiting for an answer (billing.proposals): a link for everyone.
        "open_proposals": open_proposals(organization, timezone.localdate(now)),
        # Every member reads the proposals sent, open or not: the list stays in reach.
        "has_proposals": customer_proposals(organization).exists(),
        "members": list(
            Membership.objects.filter(organization=organization)
            .select_related("user")
            .order_by("role", "user__email")
        ),
        # "Try <tier> free": the tiers the trial rule lets it try now (portal.views.trials).
        "trial_offers": trial_offers(organization),
        # A trial then runs on the plan and goes back to it; else on a trial license.
        "trial_on_plan": bool(open_licenses),
    }
    if membership.can_manage_billing:
        context["invoices"] = invoice_summary(
            organization=organization, today=timezone.localdate(now)
        )
        _renewals_with_credit(context["panels"], context["invoices"].credit)
    if membership.is_owner:
        context["tokens"] = list(ApiToken.objects.filter(organization=organization))
        context["token_form"] = token_form or TokenForm()
    return context


def _secret_issued(
    request: HttpRequest,
    membership: Membership,
    *,
    title: str,
    secret: str,
    what: str,
    note: str,
    license=None,
) -> HttpResponse:
    # Rendered, not redirected: the secret is shown this once and kept nowhere.
    return render(
        request,
        "licensing/secret_issued.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "title": title,
            "secret": secret,
            "what": what,
            "note": note,
            "license": license,
        },
    )


@login_required
@require_GET
def license_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    membership = get_membership(request, slug)
    return render(request, "licensing/dashboard.html", _dashboard_context(membership))


@login_required
@require_GET
def license_file_download(request: HttpRequest, slug: str, license_id: int) -> HttpResponse:
    _, license = get_license_for_member(request, slug, license_id)
    file = licenses.license_latest_file(license)
    if file is None:
        messages.error(request, "This license has no file yet.")
        return redirect("organization_detail", slug)
    response = HttpResponse(file.body, content_type="text/plain; charset=us-ascii")
    name = f"tierwise-{license.organization.slug}-{license.version.tier.slug}.lic"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def license_key_rotate(request: HttpRequest, slug: str, license_id: int) -> HttpResponse:
    """GET asks first: how long the key in use keeps working, and why; the POST rotates
    it once (the form's one-time token is the key it rotates) and redirects to the page
    that shows the new key this once, so a reload never posts again."""
    membership, license = get_license_for_member(request, slug, license_id)
    require_owner(membership)
    form = RotateKeyForm(
        request.POST if request.method == "POST" else None,
        initial={"token": licenses.rotation_token(license)},
    )
    if request.method == "POST" and form.is_valid():
        now = clock.now()
        try:
            issued = licenses.license_rotate_key(
                license=license,
                actor=licenses.Actor.of(request.user, membership.get_role_display().lower()),
                reason=form.reason_text(),
                overlap=form.overlap_period(),
                at=now,
                token=form.cleaned_data["token"],
            )
        except ValidationError as refused:
            # A second submission of the same form: the first one's key, if its page
            # has not shown it yet, is shown there.
            messages.warning(request, " ".join(refused.messages))
            return redirect("license_key_rotated", slug, license.pk)
        if form.overlap_period():
            until = now + form.overlap_period()
            old = f"The previous key keeps working until {until:%-d %B %Y, %H:%M} UTC"
            note = f"{old}; give every installation this one before then."
        else:
            note = "The previous key stopped working just now. Update your software with this one."
        # Held only until the next page shows it, once (license_key_rotated pops it).
        request.session[ROTATED_KEY_SESSION] = {
            "license": license.pk,
            "key": issued.key,
            "note": note,
        }
        return redirect("license_key_rotated", slug, license.pk)
    return render(
        request,
        "licensing/rotate_confirm.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "license": license,
            "form": form,
            "retiring_keys": licenses.license_retiring_keys(license, clock.now()),
        },
        status=422 if form.is_bound else 200,
    )


def _rotated_key_once(request: HttpRequest, license_id: int) -> dict | None:
    """The key this person's rotation of the license just made, and what became of the
    old one, the first time it is asked for; never again."""
    held = request.session.get(ROTATED_KEY_SESSION)
    if not isinstance(held, dict) or held.get("license") != license_id:
        return None
    del request.session[ROTATED_KEY_SESSION]
    return held


@never_cache
@login_required
@require_GET
def license_key_rotated(request: HttpRequest, slug: str, license_id: int) -> HttpResponse:
    """The new key, shown once after the rotation; a reload finds it gone and goes back
    to the dashboard, which lists the keys masked."""
    membership, license = get_license_for_member(request, slug, license_id)
    require_owner(membership)
    held = _rotated_key_once(request, license.pk)
    if held is None:
        messages.info(
            request,
            "The new key was shown once, after the rotation, and is not kept to show "
            "again. If it was not copied, rotate the key again.",
        )
        return redirect("organization_detail", slug)
    return _secret_issued(
        request,
        membership,
        title="Your new license key",
        secret=held["key"],
        what=f"The {license.version.tier.name} license key",
        note=held["note"],
        license=license,
    )


@never_cache
@login_required
@require_POST
def license_key_download(request: HttpRequest, slug: str, license_id: int) -> HttpResponse:
    """The key on the page that shows it once, sent back as a .txt file: only the holder
    of the license's current key gets it, and nothing is kept to serve it later."""
    membership, license = get_license_for_member(request, slug, license_id)
    require_billing(membership, "download the license key")
    form = KeyDownloadForm(request.POST)
    try:
        key = keys.normalize_key(form.data.get("key", "")) if form.is_valid() else ""
    except keys.MalformedKey:
        key = ""
    if not key or not keys.same_hash(key, license.key_hash):
        return HttpResponseBadRequest(
            "This is not the license's current key: download it from the page that shows it.",
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(f"{key}\n", content_type="text/plain; charset=us-ascii")
    name = f"tierwise-{license.organization.slug}-{license.version.tier.slug}-key.txt"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@login_required
@require_POST
def token_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = get_membership(request, slug)
    require_owner(membership)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            issued = api_token_create(
                organization=membership.organization,
                name=form.cleaned_data["name"],
                created_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _secret_issued(
                request,
                membership,
                title="Your new API token",
                secret=issued.secret,
                what=f"The API token “{issued.token.name}”",
                note="Send it as Authorization: Bearer <token> to the licensing API.",
            )
    return render(
        request,
        "licensing/dashboard.html",
        _dashboard_context(membership, token_form=form),
        status=422,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    membership, token = get_api_token_for_owner(request, slug, token_id)
    try:
        api_token_revoke(token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect(f"{membership.organization.get_absolute_url()}#api-tokens")


@transaction.non_atomic_requests  # a file; no database
@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    """The key that verifies license files, at a fixed address."""
    return HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
