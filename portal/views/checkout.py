"""The self-service checkout: buy a tier, upgrade, add seats, switch to annual (now,
prorated), or downgrade, remove seats, switch to monthly (at the end of the term, as a
scheduled change). Renewal is not a choice here: a change keeps it as it is, and the
dashboard's "Cancel subscription" and "Resume subscription" turn it off and on.

/app/buy/ takes the "Choose" buttons of /pricing/ (through sign-up and a first
organization when needed) to /app/<slug>/checkout/, which records a started checkout and
sends the browser to its own address. Every preview has a URL and the page works without
JavaScript; with htmx the lines update as the inputs change. A choice that cannot be
priced is a 422 with its message in place of the preview (htmx swaps a 422 in, and
django-htmx's DEBUG script, which replaces the whole page with a 400's body, leaves it
alone), so no Confirm stays on screen for a plan the form no longer shows. Confirm
submits the form's visible choices with the fingerprint of the preview shown; the server
prices those choices again and refuses a mismatch with the fresh figures (409).
Owners and billing admins confirm; a member sees what it would cost and who can buy; an
outsider gets 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from billing.cards.selectors import card_payable
from billing.checkout.quote import QuoteRefused
from billing.checkout.scheduled import scheduled_change_cancel
from billing.checkout.selectors import checkout_for_preview, checkout_invoice_to
from billing.checkout.services import (
    CONFIRMED_OTHERWISE,
    CheckoutClosed,
    ConfirmedOtherwise,
    StalePreview,
    Target,
    checkout_abandon,
    checkout_confirm,
    checkout_preview,
    checkout_record_preview,
    checkout_record_refusal,
    checkout_resume_or_start,
    confirmation_entitlement_diff,
    confirmed_as,
    open_license_for,
    pending_change,
)
from billing.details.selectors import invoice_to
from billing.invoices import rules as invoice_rules
from billing.models import CheckoutStatus
from billing.pricing import BillingCycle
from billing.subscriptions.selectors import canceled_by_customer
from billing.trials import conversion
from licensing.catalog.frozen import FrozenCatalog, frozen_catalog
from licensing.licenses import services as licenses
from licensing.models import License, Tier
from licensing.models.catalog import seat_limit
from portal import clock
from portal.access import (
    get_checkout_for_member,
    get_license_for_member,
    get_membership,
    get_membership_and_organizations,
    require_billing,
)
from portal.models import (
    PENDING_PLAN_SESSION_KEY,
    Membership,
    PendingPlan,
    PendingPlanKind,
    Role,
)

MAX_SEATS = 100_000
# A purchase's new license key, from the confirmation to the one page view that shows it.
NEW_KEY_SESSION = "checkout_new_key"
FIELDS = ("tier", "seats", "cycle", "currency", "renew")
# renew=on (the renewal reminder's and the dashboard's Renew button, for a license renewed
# by hand, with its tier, seats, cycle and currency: billing.renewals.summary.renew_query):
# the checkout turns automatic renewal back on, an increase the checkout already knows
# (charged nothing now). Once the license has ended it is a new purchase, said plainly.
RENEW = "on"
# A choice that cannot be priced: htmx swaps it in (base.html's responseHandling).
UNPROCESSABLE = 422


class CheckoutForm(forms.Form):
    tier = forms.ChoiceField(label="Tier")
    seats = forms.IntegerField(
        label="Seats",
        min_value=1,
        max_value=MAX_SEATS,
        error_messages={
            "required": "Enter how many seats.",
            "invalid": "Enter a whole number of seats.",
            "min_value": "Choose at least one seat.",
            "max_value": f"Choose at most {MAX_SEATS:,} seats.",
        },
    )
    cycle = forms.ChoiceField(
        label="Billing", choices=BillingCycle.choices, widget=forms.RadioSelect
    )
    currency = forms.ChoiceField(label="Currency")

    def __init__(self, *args, catalog: FrozenCatalog, license: License | None, **kwargs):
        super().__init__(*args, **kwargs)
        # A trial license is bought like a new license (tier, seats, billing, currency),
        # on the license itself (billing.trials.conversion).
        self.buys_trial_license = conversion.is_trial_license(license)
        # Renewal is not a checkout choice: a change keeps it as it is, and the dashboard's
        # "Cancel subscription" and "Resume subscription" turn it off and on, plainly.
        self.auto_renew = (
            license.auto_renew if license is not None and not self.buys_trial_license else True
        )
        asked_renew = (self.data.get("renew") if self.is_bound else None) == RENEW
        # Renew: a license renewed by hand (auto-renew off by staff) is turned back to
        # renewing. A canceled subscription is not: "Resume subscription" keeps it.
        self.renews = (
            license is not None
            and not self.buys_trial_license
            and not license.auto_renew
            and not license.ends_with_term
            and asked_renew
        )
        # Renew asked for a license that has ended (none open): a new purchase at
        # today's price, and the page says so (renew_query carried its plan here).
        self.renew_ended = license is None and asked_renew
        if self.renews:
            self.auto_renew = True
        tiers = catalog.tiers_on_offer(license.product_id if license else None)
        self.fields["tier"].choices = [(tier.slug, tier.name) for tier in tiers]
        self.fields["tier"].error_messages["invalid_choice"] = "Choose one of the tiers on offer."
        self.fields["cycle"].error_messages["invalid_choice"] = "Choose monthly or annual."
        if license is None or self.buys_trial_license:
            currencies = catalog.currencies_on_offer()
            self.fields["currency"].choices = [(code, code) for code in currencies]
            self.fields["currency"].error_messages["invalid_choice"] = (
                f"Choose one of {', '.join(currencies)}."
            )
        else:
            del self.fields["currency"]

    def target(self) -> Target:
        data = self.cleaned_data
        return Target(
            tier=data["tier"],
            seats=data["seats"],
            cycle=data["cycle"],
            currency=data.get("currency", ""),
            auto_renew=self.auto_renew,
        )

    def add_refusal(self, refused: QuoteRefused) -> None:
        for name, message in refused.errors.items():
            self.add_error(name if name in self.fields else None, message)


def _initial(catalog: FrozenCatalog, license: License | None) -> dict:
    if conversion.is_trial_license(license):
        # Buying the trial: its tier by default, with at least the seats it is sold from.
        tier = catalog.version(license.version_id).tier.slug
        currencies = catalog.currencies_on_offer()
        return {
            "tier": tier,
            "seats": max(license.seats, _minimum_seats(catalog, tier)),
            "cycle": BillingCycle.MONTHLY,
            "currency": currencies[0] if currencies else "",
        }
    if license is None:
        currencies = catalog.currencies_on_offer()
        return {
            "tier": "",
            "seats": "",
            "cycle": BillingCycle.MONTHLY,
            "currency": currencies[0] if currencies else "",
        }
    subscription = getattr(license, "subscription", None)
    return {
        "tier": catalog.version(license.version_id).tier.slug,
        "seats": license.seats,
        "cycle": subscription.cycle if subscription else BillingCycle.MONTHLY,
    }


def _form_data(catalog: FrozenCatalog, license: License | None, source) -> dict:
    """The inputs: what the request asks for over the license's current plan."""
    data = _initial(catalog, license)
    data.update({key: source.get(key) for key in FIELDS if key in source})
    if license is None and not data.get("seats") and data.get("tier"):
        data["seats"] = _minimum_seats(catalog, data["tier"])
    elif "seats" not in source and _another_tier(catalog, license, data.get("tier")):
        # A link that names another tier and no seats (the pricing page's "Upgrade to…"
        # or "Downgrade to…", the trial panel's "Convert"): the seats kept, at least those
        # the tier is sold from and at most those it allows, so the link opens on a price
        # (and for a downgrade on what exceeds it), not a refusal.
        seats = max(license.seats, _minimum_seats(catalog, data["tier"]))
        most = _most_seats(catalog, data["tier"])
        data["seats"] = seats if most is None else min(seats, most)
    return data


def _another_tier(catalog: FrozenCatalog, license: License | None, tier_slug) -> bool:
    """Whether `tier_slug` names a tier other than the paid `license`'s own (its trial's,
    a higher one)."""
    if license is None or conversion.is_trial_license(license) or not tier_slug:
        return False
    return tier_slug != catalog.version(license.version_id).tier.slug


def _most_seats(catalog: FrozenCatalog, tier_slug: str) -> int | None:
    """The most seats the tier's published version allows (None: no limit)."""
    version = catalog.published_version(tier_slug)
    return seat_limit(version) if version else None


def _minimum_seats(catalog: FrozenCatalog, tier_slug: str) -> int:
    version = catalog.published_version(tier_slug)
    rows = [row for row in version.price_rows.all() if row.per_seat] if version else []
    return max([row.min_seats for row in rows], default=1)


def _buyers(membership: Membership) -> list[Membership]:
    return list(
        Membership.objects.filter(
            organization=membership.organization, role__in=[Role.OWNER, Role.BILLING]
        )
        .select_related("user")
        .order_by("role", "user__email")
    )


def _context(membership, checkout, form, preview, **extra) -> dict:
    buys_trial_license = form.buys_trial_license
    return {
        "buys_trial_license": buys_trial_license,
        "membership": membership,
        "organization": membership.organization,
        "checkout": checkout,
        "license": checkout.license,
        "form": form,
        "preview": preview,
        "buyers": [] if membership.can_manage_billing else _buyers(membership),
        "may_abandon": _may_abandon(membership, checkout),
        "renewal_canceled": checkout.license is not None
        and not buys_trial_license
        and canceled_by_customer(checkout.license),
        "invoice_to": checkout_invoice_to(
            checkout, first_purchase=checkout.license_id is None or buys_trial_license
        ),
        # The navigation's current organization is this one (get_membership made it
        # so): no need for its context processor to look it up again.
        "nav_membership": membership,
        **extra,
    }


def _with_navigation(context: dict, organizations: list | None) -> dict:
    # Read with the membership: no need for the context processor to ask again.
    return context if organizations is None else context | {"nav_organizations": organizations}


def _may_abandon(membership, checkout) -> bool:
    """Who may close a checkout: an owner or a billing admin, or the member who started
    it; never a member closing someone else's."""
    return membership.can_manage_billing or checkout.started_by_id == membership.user_id


def _render(request, context, status=200) -> HttpResponse:
    template = "billing/_checkout_preview.html" if request.htmx else "billing/checkout.html"
    return render(request, template, context, status=status)


def _render_refusal(request, context, status) -> HttpResponse:
    """A confirmation refused, in place of the preview: its address stays the page's
    (htmx would otherwise push the confirmation's, which a reload could not GET)."""
    response = _render(request, context, status)
    if request.htmx:
        response["HX-Push-Url"] = "false"
    return response


def _redirect(request, url: str) -> HttpResponse:
    # htmx follows a redirect itself and would swap the next page into the preview.
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- Entry points ----------------------------------------------------------------------


@require_GET
def buy(request: HttpRequest) -> HttpResponse:
    """The pricing page's "Choose" buttons: on to the checkout of the visitor's
    organization, through sign-up and a first organization when needed."""
    query = request.GET.urlencode()
    here = request.get_full_path()
    if not request.user.is_authenticated:
        _remember_plan(request)
        return redirect(f"{reverse('account_signup')}?{urlencode({'next': here})}")
    # The purchase continues now: a plan kept on the account from sign-up is used up.
    PendingPlan.objects.filter(user=request.user).delete()
    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("organization")
        .order_by("organization__name")
    )
    if not memberships:
        return redirect(f"{reverse('organization_create')}?{urlencode({'next': here})}")
    if len(memberships) == 1:
        slug = memberships[0].organization.slug
        return redirect(f"{reverse('checkout_new', args=[slug])}?{query}")
    return render(
        request,
        "billing/checkout_pick.html",
        {"memberships": memberships, "query": query},
    )


def _remember_plan(request: HttpRequest) -> None:
    """Keep the plan a visitor chose in their session, named, for sign-up to put on the
    account it makes (portal.adapters): the verification email names it, and signing in
    on any device continues to its checkout. A tier that is not on sale is not kept."""
    tier = Tier.objects.filter(slug=request.GET.get("tier", ""), is_public=True).first()
    if tier is None:
        request.session.pop(PENDING_PLAN_SESSION_KEY, None)
        return
    asked = {key: request.GET[key][:20] for key in FIELDS if request.GET.get(key)}
    cycle = asked.get("cycle", BillingCycle.MONTHLY)
    label = tier.name
    if cycle in BillingCycle.values:
        label += f", billed {'yearly' if cycle == BillingCycle.ANNUAL else 'monthly'}"
    currency = asked.get("currency", "")
    if currency.isalpha() and len(currency) == 3:
        label += f", in {currency.upper()}"
    request.session[PENDING_PLAN_SESSION_KEY] = {
        "query": urlencode(asked),
        "label": label,
        "kind": PendingPlanKind.PURCHASE,
    }


@login_required
@require_GET
def checkout_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Continue the member's open checkout on that license, or record a started one, and
    go to its page, keeping the inputs asked for."""
    membership = get_membership(request, slug)
    organization = membership.organization
    tier = Tier.objects.filter(slug=request.GET.get("tier", ""), is_public=True).first()
    if tier is not None:
        license = open_license_for(organization, tier)
    else:
        license = next(iter(licenses.licenses_open(organization)), None)
    checkout = checkout_resume_or_start(
        organization=organization, license=license, user=request.user
    )
    url = reverse("checkout", args=[slug, checkout.token])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


# Reads, and one write in its own transaction (checkout_record_preview): no request-wide
# transaction, which cost two round trips on every keystroke's preview.
@transaction.non_atomic_requests
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def checkout_page(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    if request.method == "POST":
        # "Update the preview" without JavaScript: the form posts (its CSRF token stays
        # out of addresses) and the preview gets its own address.
        get_checkout_for_member(request, slug, token)
        asked = [
            (key, value) for key in (*FIELDS, "submitted") for value in request.POST.getlist(key)
        ]
        response = redirect(f"{request.path}?{urlencode(asked)}")
        response.status_code = 303
        return response
    # The whole page shows the navigation: its organizations come with the membership.
    membership, organizations = (
        (None, None) if request.htmx else get_membership_and_organizations(request, slug)
    )
    membership, checkout = get_checkout_for_member(
        request, slug, token, read=checkout_for_preview, membership=membership
    )
    if checkout.status == CheckoutStatus.CONFIRMED:
        return redirect("checkout_done", slug, token)
    license = checkout.license
    catalog = frozen_catalog()
    form = CheckoutForm(_form_data(catalog, license, request.GET), catalog=catalog, license=license)
    preview = None
    status = 200
    extra = {}
    if checkout.status == CheckoutStatus.ABANDONED:
        messages.info(request, "This checkout was closed. Here is a new one.")
        return redirect(f"{reverse('checkout_new', args=[slug])}?{request.GET.urlencode()}")
    unchanged = (
        license is not None
        and not form.buys_trial_license  # a purchase: priced from the start
        and not request.GET.get("submitted")
        and form.is_valid()
        and form.cleaned_data["tier"] == catalog.version(license.version_id).tier.slug
        and form.cleaned_data["seats"] == license.seats
        and form.cleaned_data["cycle"] == _initial(catalog, license)["cycle"]
        and not form.renews
    )
    if unchanged:
        # Opened from the dashboard: nothing asked for yet, so nothing to price.
        context = _context(membership, checkout, form, None, choosing=True)
        return _render(request, _with_navigation(context, organizations))
    if form.is_valid():
        try:
            preview = checkout_preview(checkout=checkout, target=form.target(), catalog=catalog)
            checkout_record_preview(preview=preview)
        except QuoteRefused as refused:
            form.add_refusal(refused)
        except StalePreview as stale:
            form.add_error(None, stale.message)
            extra = _open_license_link(slug, stale, request.GET)
    if form.errors and request.GET:
        status = UNPROCESSABLE
    context = _context(membership, checkout, form, preview, **extra)
    return _render(request, _with_navigation(context, organizations), status)


@never_cache
@login_required
@require_POST
def checkout_confirm_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    membership, checkout = get_checkout_for_member(request, slug, token)
    require_billing(membership, "confirm a change to the plan")
    done = reverse("checkout_done", args=[slug, token])
    if checkout.status == CheckoutStatus.CONFIRMED:
        if not confirmed_as(checkout, request.POST.get("digest", "")):
            # Another tab on this checkout confirmed other choices: never "done".
            checkout_record_refusal(checkout=checkout, why="confirmed_otherwise")
            messages.error(request, CONFIRMED_OTHERWISE)
            return _redirect(request, done)
        # A double click or the back button: the change was made once; show it.
        messages.info(request, "This change was already confirmed; nothing was charged twice.")
        return _redirect(request, done)
    license = checkout.license
    # The choices the form shows, as submitted with the Confirm button.
    form = CheckoutForm(request.POST, catalog=frozen_catalog(), license=license)
    if not form.is_valid():
        return _render_refusal(request, _context(membership, checkout, form, None), UNPROCESSABLE)
    first_purchase = license is None or form.buys_trial_license
    if invoice_to(membership.organization, first_purchase=first_purchase).needed:
        form.add_error(None, "Enter your billing details first: who the invoice is made out to.")
        return _render_refusal(request, _context(membership, checkout, form, None), UNPROCESSABLE)
    actor = licenses.Actor.of(request.user, membership.get_role_display().lower())
    try:
        confirmed = checkout_confirm(
            checkout=checkout,
            target=form.target(),
            digest=request.POST.get("digest", ""),
            actor=actor,
        )
    except StalePreview as stale:
        checkout_record_refusal(checkout=checkout, why="stale")
        if stale.preview is not None:
            checkout_record_preview(preview=stale.preview)
        else:
            form.add_error(None, stale.message)
        context = _context(
            membership,
            checkout,
            form,
            stale.preview,
            stale=stale.message,
            **_open_license_link(slug, stale, request.POST),
        )
        return _render_refusal(request, context, 409)
    except ConfirmedOtherwise as otherwise:  # the other tab confirmed while this one did
        checkout_record_refusal(checkout=checkout, why="confirmed_otherwise")
        messages.error(request, otherwise.message)
        return _redirect(request, done)
    except CheckoutClosed as closed:
        checkout_record_refusal(checkout=checkout, why="closed")
        messages.error(request, closed.message)
        return _redirect(request, reverse("organization_detail", args=[slug]))
    except QuoteRefused as refused:
        form.add_refusal(refused)
        return _render_refusal(request, _context(membership, checkout, form, None), UNPROCESSABLE)
    except ValidationError as refused:
        form.add_error(None, refused.messages)
        return _render_refusal(request, _context(membership, checkout, form, None), UNPROCESSABLE)
    if confirmed.issued_key:
        # Held only until the confirmation page shows it, once (checkout_done pops it).
        request.session[NEW_KEY_SESSION] = {"checkout": token, "key": confirmed.issued_key}
    if confirmed.invoice is not None:
        messages.success(request, f"Done. Invoice {confirmed.invoice.number} is issued.")
    else:
        messages.success(request, "Done. Your change is scheduled.")
    return _redirect(request, done)


def _open_license_link(slug: str, stale: StalePreview, asked) -> dict:
    """For a checkout refused because the organization has an open license of the
    product now (a trial started since): the link to a checkout on that license, with
    the choices made here."""
    if stale.license is None:
        return {}
    kept = [(key, asked[key]) for key in FIELDS if asked.get(key)]
    url = reverse("checkout_new", args=[slug])
    return {
        "open_license_url": f"{url}?{urlencode(kept)}" if kept else url,
        "open_license_tier": stale.license.version.tier.name,
    }


def _new_key_once(request: HttpRequest, token: str) -> str | None:
    """The new license key of this checkout's purchase, the first time its confirmation
    is shown to the person who confirmed it; never again."""
    held = request.session.get(NEW_KEY_SESSION)
    if not isinstance(held, dict) or held.get("checkout") != token:
        return None
    del request.session[NEW_KEY_SESSION]
    return held.get("key")


@never_cache
@login_required
@require_GET
def checkout_done(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    membership, checkout = get_checkout_for_member(request, slug, token)
    if checkout.status != CheckoutStatus.CONFIRMED:
        return redirect("checkout", slug, token)
    license = checkout.license
    invoice = checkout.invoice
    due_now = invoice is not None and invoice_rules.due_now(
        amount=invoice.money("amount_due"), due_on=invoice.due_on, today=clock.today()
    )
    is_purchase = not checkout.entitlements_before
    converted = conversion.converted_by(license, checkout.confirmed_at)
    if converted is not None:
        heading = conversion.converted_heading(converted, license)
    elif is_purchase:
        heading = "Your purchase is confirmed"
    elif checkout.scheduled_change and not invoice:
        heading = "Your change is scheduled"
    else:
        heading = "Your change is confirmed"
    return render(
        request,
        "billing/checkout_done.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "checkout": checkout,
            "license": license,
            "diff": confirmation_entitlement_diff(checkout),
            "latest_file": licenses.license_latest_file(license),
            "scheduled": checkout.scheduled_change,
            "replanned": checkout.replanned_change,
            "invoice": checkout.invoice,
            "invoice_total": checkout.invoice.money("total") if checkout.invoice else None,
            "invoice_due": checkout.invoice.money("amount_due") if checkout.invoice else None,
            "card_payable": bool(checkout.invoice) and card_payable(invoice=checkout.invoice),
            "new_key": _new_key_once(request, token),
            "is_purchase": is_purchase,
            "converted_trial": converted,
            "heading": heading,
            "invoice_due_now": due_now,
            "invoice_terms": invoice_rules.terms_phrase(invoice.net_days or 0) if invoice else "",
        },
    )


@login_required
@require_POST
def checkout_abandon_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    membership, checkout = get_checkout_for_member(request, slug, token)
    if not _may_abandon(membership, checkout):
        raise PermissionDenied("Only who started this checkout, an owner or a billing admin.")
    checkout_abandon(checkout=checkout)
    messages.info(request, "Nothing was changed.")
    return redirect("organization_detail", slug)


@login_required
@require_POST
def scheduled_change_cancel_view(request: HttpRequest, slug: str, license_id: int) -> HttpResponse:
    membership, license = get_license_for_member(request, slug, license_id)
    require_billing(membership, "cancel a scheduled change")
    change = pending_change(license)
    if change is None:
        messages.info(request, "There is no scheduled change to cancel.")
        return redirect("organization_detail", slug)
    try:
        scheduled_change_cancel(
            change=change,
            user=request.user,
            reason=f"Canceled by {request.user.email} in the portal.",
            at=clock.now(),
        )
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("organization_detail", slug)
    messages.success(request, f"Canceled: {change.summary}. Your plan stays as it is.")
    return redirect("organization_detail", slug)
