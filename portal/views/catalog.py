"""The public catalog: the pricing matrix, tier comparison, changelog and the upgrade
policy. None of these needs an account; unpublished drafts never appear here."""

from __future__ import annotations

import logging
import re

from django import forms
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET

from billing.pricing import SeatPrice
from licensing.catalog.diff import compare
from licensing.catalog.page import price_choice, pricing_page
from licensing.catalog.selectors import (
    changelog_entries,
    enabled_currencies,
    policy_in_effect,
    public_version_for_slug,
    public_versions,
    version_snapshot,
)
from licensing.catalog.standing import CurrentPlan
from licensing.models import CLOSED_STATUSES, ChangelogEntry, License, PolicyStatus, PolicyVersion
from portal import clock
from portal.access import current_membership
from portal.views.trials import trial_offer_slugs, trial_offers

logger = logging.getLogger(__name__)


# Read-only and served mostly from the cache: no transaction (nor connection) to pay for.
@transaction.non_atomic_requests
@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    offers = trial_offer_slugs(request)
    return pricing_page(
        request,
        plans=_current_plans(request),
        trial_tiers=None if offers is None else frozenset(offers),
    )


def _current_plans(request: HttpRequest) -> dict[int, CurrentPlan] | None:
    """The plans of the organization the signed-in user works in now (the one they
    last opened, or their first), by product: the pricing page marks them."""
    membership = current_membership(request)
    if membership is None:
        return None
    organization = membership.organization
    licenses = (
        License.objects.filter(organization=organization)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("version__tier", "subscription")
    )
    plans = {}
    trial_tiers = frozenset(tier.slug for tier in trial_offers(organization))
    for license in licenses:
        tier = license.version.tier
        subscription = getattr(license, "subscription", None)
        plans[tier.product_id] = CurrentPlan(
            organization_slug=organization.slug,
            organization_name=organization.name,
            product_id=tier.product_id,
            tier_slug=tier.slug,
            tier_name=tier.name,
            tier_order=tier.order,
            cycle=subscription.cycle if subscription else "",
            seats=license.seats,
            trial_tiers=trial_tiers,
        )
    return plans


class ComparePickForm(forms.Form):
    source = forms.ChoiceField(label="From")
    target = forms.ChoiceField(label="To")

    def __init__(self, *args, tiers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = tiers
        self.fields["target"].choices = tiers

    def clean(self):
        data = super().clean()
        if data.get("source") and data.get("source") == data.get("target"):
            raise forms.ValidationError("Pick two different tiers to compare.")
        return data


def _tier_choices() -> list[tuple[str, str]]:
    return [(v.tier.slug, v.tier.name) for v in public_versions()]


@require_GET
def compare_pick(request: HttpRequest) -> HttpResponse:
    form = ComparePickForm(request.GET or None, tiers=_tier_choices())
    if form.is_valid():
        url = reverse(
            "pricing_compare", args=[form.cleaned_data["source"], form.cleaned_data["target"]]
        )
        currency = request.GET.get("currency", "")
        return redirect(f"{url}?currency={currency}" if currency.isalpha() else url)
    return render(
        request,
        "catalog/compare_pick.html",
        {"form": form, "currency": request.GET.get("currency", "")[:3]},
        status=400 if form.is_bound else 200,
    )


# The most seats a comparison works a price out for; more is a typo, not a team.
MAX_COMPARE_SEATS = 100_000


def _compare_seats(request: HttpRequest) -> tuple[int | None, list[str]]:
    """The team size a per-seat price difference is for; None: the tiers' minimum."""
    raw = request.GET.get("seats", "").strip()
    if not raw:
        return None, []
    # Six ASCII digits at most: a longer string is no team size, and int() of a huge one
    # raises instead of answering.
    if re.fullmatch(r"[0-9]{1,6}", raw) and 1 <= int(raw) <= MAX_COMPARE_SEATS:
        return int(raw), []
    return None, [
        f"“{raw[:12]}” is not a number of seats. Showing the tiers' minimum; give a whole "
        f"number from 1 to {MAX_COMPARE_SEATS:,}."
    ]


def _describe(price: SeatPrice | None, locale: str) -> str | None:
    return price.describe(locale) if price else None


def _trial_offered(request: HttpRequest, source, target) -> bool:
    """Whether the comparison offers a trial of `target`: a tier with a trial, higher
    than the one compared from, and (signed in) one the organization may try now."""
    if not target.trial_days or target.order <= source.order:
        return False
    offers = trial_offer_slugs(request)
    return offers is None or target.slug in offers


@require_GET
def pricing_compare(request: HttpRequest, source: str, target: str) -> HttpResponse:
    if source == target:
        return render(
            request,
            "catalog/compare_pick.html",
            {"form": ComparePickForm({"source": source, "target": target}, tiers=_tier_choices())},
            status=400,
        )
    source_version = public_version_for_slug(source)
    target_version = public_version_for_slug(target)
    choice = price_choice(request, enabled_currencies())
    seats, seat_problems = _compare_seats(request)
    comparison = compare(
        version_snapshot(source_version),
        version_snapshot(target_version),
        currency=choice.currency,
        seats=seats,
    )
    price = comparison.price
    problems = choice.problems + seat_problems
    before, after = comparison.source.support.lines(), comparison.target.support.lines()
    context = {
        "support_rows": [(aspect, before[aspect], after[aspect]) for aspect in after],
        "currency": choice.currency,
        "comparison": comparison,
        "source": source_version,
        "target": target_version,
        "choice": choice,
        "problems": problems,
        "per_month": price and abs(price.per_month).format(choice.locale),
        "per_year": price and abs(price.per_year).format(choice.locale),
        "source_price": _describe(comparison.source_price, choice.locale),
        "target_price": _describe(comparison.target_price, choice.locale),
        "pick_form": ComparePickForm(
            initial={"source": source, "target": target}, tiers=_tier_choices()
        ),
    }
    context["trial_offered"] = _trial_offered(request, source_version.tier, target_version.tier)
    response = render(request, "catalog/compare.html", context, status=400 if problems else 200)
    patch_vary_headers(response, ["Accept-Language"])
    return response


@require_GET
def changelog(request: HttpRequest) -> HttpResponse:
    page = Paginator(changelog_entries(), 25).get_page(request.GET.get("page"))
    return render(request, "catalog/changelog.html", {"page": page})


class ChangelogFeed(Feed):
    feed_type = Atom1Feed
    title = "Tierwise pricing and plan changelog"
    subtitle = "Every published and retired tier version, what changed and why."

    def link(self) -> str:
        return reverse("changelog")

    def items(self):
        return changelog_entries(limit=50)

    def item_title(self, entry: ChangelogEntry) -> str:
        return f"{entry.version.tier.name} v{entry.version.number}: {entry.get_kind_display()}"

    def item_description(self, entry: ChangelogEntry) -> str:
        return render_to_string("catalog/_changelog_item.html", {"entry": entry})

    def item_link(self, entry: ChangelogEntry) -> str:
        return entry.get_absolute_url()

    def item_pubdate(self, entry: ChangelogEntry):
        return entry.happened_at

    def item_updateddate(self, entry: ChangelogEntry):
        return entry.happened_at


def _published_policies():
    return PolicyVersion.objects.filter(status=PolicyStatus.PUBLISHED).only(
        "number", "title", "effective_date"
    )


@require_GET
def policy_upgrades(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    policy = policy_in_effect(today)
    if policy is None:
        raise Http404("No upgrade policy has been published yet.")
    return _render_policy(request, policy, today)


@require_GET
def policy_upgrades_version(request: HttpRequest, number: int) -> HttpResponse:
    policy = (
        PolicyVersion.objects.filter(status=PolicyStatus.PUBLISHED, number=number)
        .prefetch_related("sections")
        .first()
    )
    if policy is None:
        raise Http404("No published policy with that number.")
    return _render_policy(request, policy, clock.today())


def _render_policy(request: HttpRequest, policy: PolicyVersion, today) -> HttpResponse:
    in_effect = policy_in_effect(today)
    return render(
        request,
        "catalog/policy.html",
        {
            "policy": policy,
            "is_current": in_effect is not None and in_effect.pk == policy.pk,
            "in_effect": in_effect,
            "versions": _published_policies(),
            "today": today,
        },
    )
