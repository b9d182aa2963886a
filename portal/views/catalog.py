"""The public catalog: the pricing matrix, tier comparison, changelog and the upgrade
policy. None of these needs an account; unpublished drafts never appear here."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from django import forms
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from billing.locale import preferred_currency, visitor_locale
from billing.pricing import BillingCycle
from licensing.api import fastcache
from licensing.catalog.cache import GENERATION_KEY, PAGE_TIMEOUT, RELEASE, catalog_generation
from licensing.catalog.diff import compare
from licensing.catalog.selectors import (
    changelog_entries,
    enabled_currencies,
    policy_in_effect,
    pricing_matrix,
    public_version_for_slug,
    public_versions,
    version_snapshot,
)
from licensing.models import ChangelogEntry, PolicyStatus, PolicyVersion, TierVersion
from portal.unavailable import CACHE_ERRORS

logger = logging.getLogger(__name__)

PRICING_TEMPLATE = "catalog/pricing.html"


@dataclass
class PriceChoice:
    """The currency and cycle a page shows, and what was wrong with the request's own."""

    currency: str
    cycle: str
    locale: str
    currencies: list[str]
    problems: list[str]


def _cached_currencies(generation: str) -> list[str]:
    key = f"catalog:currencies:{generation}"
    currencies = cache.get(key)
    if currencies is None:
        currencies = enabled_currencies()
        cache.set(key, currencies, PAGE_TIMEOUT)
    return currencies


def _price_choice(
    request: HttpRequest, currencies: list[str], locale: str | None = None
) -> PriceChoice:
    locale = locale or visitor_locale(request)
    problems = []
    fallback = preferred_currency(locale, currencies) or ""
    currency = request.GET.get("currency", "").strip().upper()
    if "currency" in request.GET and currency not in currencies:
        shown = request.GET["currency"][:12] or "an empty value"
        problems.append(
            f"Prices are not available in {shown}. Showing {fallback}; choose one of "
            f"{', '.join(currencies)}."
        )
    if currency not in currencies:
        currency = fallback
    cycle = request.GET.get("cycle", BillingCycle.MONTHLY)
    if cycle not in BillingCycle.values:
        problems.append(
            f"“{cycle[:20]}” is not a billing cycle. Showing monthly prices; choose monthly "
            "or annual."
        )
        cycle = BillingCycle.MONTHLY
    return PriceChoice(currency, cycle, locale, currencies, problems)


def _matrix_context(choice: PriceChoice, *, substitute: TierVersion | None = None) -> dict:
    return {
        "products": pricing_matrix(
            currency=choice.currency,
            cycle=choice.cycle,
            locale=choice.locale,
            substitute=substitute,
        ),
        "currency": choice.currency,
        "cycle": choice.cycle,
        "currencies": choice.currencies,
        "cycles": BillingCycle.choices,
        "preview": substitute is not None,
    }


# The whole response is cached for the visitors who make up most of the traffic: htmx
# swaps, and first-time visitors with no session (so no messages and no signed-in
# navigation). The CSRF token is the one per-visitor part: the cached page holds this
# placeholder and each response gets the visitor's own token.
CSRF_PLACEHOLDER = "tierwise-csrf-placeholder-5f0c2e"
RESPONSE_PARAMETERS = {"currency": 3, "cycle": 10}


class _RecentResponses:
    """This process's copies of the most requested cached pages. The shared cache still
    decides: a copy is used only while its catalog generation is the current one, so a
    publish reaches every worker at once; this only saves fetching 30 kB per request."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: str) -> tuple[str, str] | None:
        with self.lock:
            return self.entries.get(key)

    def put(self, key: str, value: tuple[str, str]) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_recent_responses = _RecentResponses(size=64)


def _response_key(request: HttpRequest, locale: str) -> str | None:
    cookies = request.COOKIES
    if not request.htmx and (
        settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies
    ):
        return None
    # Only the parameters the page understands, and only short ones: anything else
    # (tracking tags, junk) is served without filling the cache with variants.
    if any(
        name not in RESPONSE_PARAMETERS or len(value) > RESPONSE_PARAMETERS[name]
        for name, value in request.GET.items()
    ):
        return None
    kind = "partial" if request.htmx else "page"
    currency = request.GET.get("currency", "").upper()
    return f"pricing:{RELEASE}:{kind}:{currency}:{request.GET.get('cycle', '')}:{locale}"


def _pricing_response(request: HttpRequest, html: str, *, status: int) -> HttpResponse:
    response = HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)), status=status)
    patch_vary_headers(response, ["Accept-Language", "HX-Request"])
    return response


def _pricing_html(request: HttpRequest, choice: PriceChoice, matrix_html: str) -> str:
    if request.htmx and not choice.problems:
        return matrix_html
    return render_to_string(
        PRICING_TEMPLATE,
        {
            # Rendered by our own template with autoescaping; the cache returns text.
            "matrix_html": mark_safe(matrix_html),
            "problems": choice.problems,
            "choice": choice,
            "csrf_token": CSRF_PLACEHOLDER,
        },
        request=request,
    )


def _render_matrix(choice: PriceChoice) -> str:
    return str(render_to_string(f"{PRICING_TEMPLATE}#matrix", _matrix_context(choice)))


def _cached_pricing(request: HttpRequest, locale: str) -> HttpResponse:
    response_key = _response_key(request, locale)
    if response_key:
        stored = _recent_responses.get(response_key)
        # The one round trip a cached page costs: is this copy still the current one?
        generation = fastcache.get(GENERATION_KEY)
        if stored is None or stored[0] != generation:
            stored = cache.get(response_key)
        if stored and generation and stored[0] == generation:
            _recent_responses.put(response_key, stored)
            return _pricing_response(request, stored[1], status=200)

    generation = catalog_generation()
    choice = _price_choice(request, _cached_currencies(generation), locale)
    key = (
        f"pricing:{RELEASE}:matrix:{generation}:{choice.currency}:{choice.cycle}:{choice.locale}"
    )
    matrix_html = cache.get(key)
    if matrix_html is None:
        matrix_html = _render_matrix(choice)
        cache.set(key, matrix_html, PAGE_TIMEOUT)
    html = _pricing_html(request, choice, matrix_html)
    if response_key and not choice.problems:
        cache.set(response_key, (generation, html), PAGE_TIMEOUT)
    return _pricing_response(request, html, status=400 if choice.problems else 200)


# Read-only and served mostly from the cache: no transaction (nor connection) to pay for.
@transaction.non_atomic_requests
@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    locale = visitor_locale(request)
    try:
        return _cached_pricing(request, locale)
    except CACHE_ERRORS as exc:
        # The cache only makes this page faster: without it, render it from the database.
        logger.warning("Pricing page rendered without the cache: %r", exc)
    choice = _price_choice(request, enabled_currencies(), locale)
    html = _pricing_html(request, choice, _render_matrix(choice))
    return _pricing_response(request, html, status=400 if choice.problems else 200)


def render_pricing_preview(request: HttpRequest, draft: TierVersion) -> HttpResponse:
    """The pricing page as it will look once `draft` is published. Staff only (the admin
    wraps it); never cached."""
    choice = _price_choice(request, enabled_currencies())
    matrix_html = render_to_string(
        f"{PRICING_TEMPLATE}#matrix", _matrix_context(choice, substitute=draft), request=request
    )
    return render(
        request,
        PRICING_TEMPLATE,
        {
            "matrix_html": matrix_html,
            "problems": choice.problems,
            "choice": choice,
            "preview_of": draft,
        },
        status=400 if choice.problems else 200,
    )


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
    choice = _price_choice(request, enabled_currencies())
    comparison = compare(
        version_snapshot(source_version),
        version_snapshot(target_version),
        currency=choice.currency,
    )
    price = comparison.price
    before, after = comparison.source.support.lines(), comparison.target.support.lines()
    context = {
        "support_rows": [(aspect, before[aspect], after[aspect]) for aspect in after],
        "currency": choice.currency,
        "comparison": comparison,
        "source": source_version,
        "target": target_version,
        "choice": choice,
        "problems": choice.problems,
        "per_month": price and abs(price.per_month).format(choice.locale),
        "per_year": price and abs(price.per_year).format(choice.locale),
        "pick_form": ComparePickForm(
            initial={"source": source, "target": target}, tiers=_tier_choices()
        ),
    }
    response = render(
        request, "catalog/compare.html", context, status=400 if choice.problems else 200
    )
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
    today = timezone.localdate()
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
    return _render_policy(request, policy, timezone.localdate())


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
