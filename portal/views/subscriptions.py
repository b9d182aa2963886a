"""Cancel and resume a subscription, from the dashboard. The cancel page says what
happens at the term's end to the key, the customer's software, the data and the last
invoice, and asks for an optional reason; confirming schedules the end
(billing.subscriptions.cancellation). "Resume subscription" on the dashboard undoes it
while the term runs. Owners and billing admins only: a member gets 403, an outsider 404.
Writes are POST with CSRF; everything works without JavaScript."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from billing.models import Subscription
from billing.subscriptions.cancellation import (
    CancelReason,
    cancellation_terms,
    subscription_cancel,
    subscription_resume,
)
from billing.subscriptions.selectors import canceled_by_customer
from licensing.licenses import services as licenses
from portal import clock
from portal.access import get_license_for_member, require_billing


class CancelForm(forms.Form):
    # The term the page showed: a renewal between showing and confirming refuses the
    # confirmation instead of canceling a term the customer was not shown.
    term_end = forms.DateField(
        label="Page",
        widget=forms.HiddenInput,
        error_messages={
            "required": "out of date, open it again.",
            "invalid": "out of date, open it again.",
        },
    )
    reason = forms.ChoiceField(
        label="Why are you canceling? (optional)",
        choices=[("", "I'd rather not say"), *CancelReason.choices],
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the reasons, or none."},
    )
    details = forms.CharField(
        label="Anything you would like us to know (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Say it in 500 characters or fewer."},
    )


def _subscription_for_billing(request: HttpRequest, slug: str, license_id: int):
    membership, license = get_license_for_member(request, slug, license_id)
    require_billing(membership, "cancel or resume the subscription")
    subscription = Subscription.objects.filter(license=license).select_related("license").first()
    if subscription is None:
        raise Http404("This license has no subscription.")
    return membership, license, subscription


def _actor(request: HttpRequest, membership) -> licenses.Actor:
    return licenses.Actor.of(request.user, membership.get_role_display().lower())


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def subscription_cancel_view(request: HttpRequest, slug: str, license_id: int) -> HttpResponse:
    """GET: what canceling does, and the reason form. POST: schedule the end."""
    membership, license, subscription = _subscription_for_billing(request, slug, license_id)
    if not license.auto_renew:
        if canceled_by_customer(license):
            said = f"The subscription is already canceled: it ends on {license.term_end:%-d %B %Y}."
        else:
            said = (
                "This subscription is renewed by hand: tell your account manager before "
                f"{license.term_end:%-d %B %Y} if it should not be renewed."
            )
        messages.info(request, said)
        return redirect("organization_detail", slug)
    form = CancelForm(
        request.POST if request.method == "POST" else None,
        initial={"term_end": license.term_end},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                subscription_cancel(
                    subscription=subscription,
                    actor=_actor(request, membership),
                    reason=form.cleaned_data["reason"],
                    details=form.cleaned_data["details"],
                    term_end=form.cleaned_data["term_end"],
                    at=clock.now(),
                )
            except ValidationError as refused:
                # What the page shows next is the term as it is now, and so is what its
                # form confirms.
                license.refresh_from_db()
                data = request.POST.copy()
                data["term_end"] = license.term_end.isoformat()
                form = CancelForm(data)
                form.is_valid()
                form.add_error(None, refused)
            else:
                messages.success(
                    request,
                    f"Canceled. Your subscription ends on {license.term_end:%-d %B %Y}; "
                    "you can resume it until then.",
                )
                return redirect("organization_detail", slug)
    return render(
        request,
        "billing/cancel.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "license": license,
            "terms": cancellation_terms(license=license, at=clock.now()),
            "form": form,
        },
        status=status,
    )


@login_required
@require_POST
def subscription_resume_view(request: HttpRequest, slug: str, license_id: int) -> HttpResponse:
    membership, _, subscription = _subscription_for_billing(request, slug, license_id)
    try:
        subscription = subscription_resume(
            subscription=subscription, actor=_actor(request, membership), at=clock.now()
        )
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        renews_on = subscription.license.renews_on
        messages.success(
            request, f"Resumed. Your subscription renews on {renews_on:%-d %B %Y}, as before."
        )
    return redirect("organization_detail", slug)
