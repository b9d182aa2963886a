"""A renewal made together (billing.renewals.batch) writes what the one-at-a-time path
writes with the batch switched off, row for row, for each shape: reverse charge with
billing emails and a PO number, no recipients, annual EUR with French tax, an entitlement
override, an add-on, a trial in force, a negotiated discount ending at the renewal,
three-year terms up front and per cycle, a saved card. (test_renew_together compares
renewals made together with renewals made one by one through the same engine.)"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from billing.models import Invoice, StripeCustomer, Subscription
from billing.models.subscriptions import Billing
from billing.renewals import batch
from licensing.models import Addon, EntitlementOverride, LicenseAddon, LimitMetric
from portal.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import subscribed_for_three_years
from tests.helpers.renewal_compare import AT, DAY, customer, diff, old_path, renew_old, written
from tests.helpers.trials import running_trial

real_renew = batch.subscriptions_renew


def _three_years(catalog, name, billing):
    organization = OrganizationFactory(name=name)
    MembershipFactory(organization=organization, role=Role.OWNER)
    return subscribed_for_three_years(
        organization, catalog, billing=billing, term_start=date(2023, 4, 1)
    ).license


def _override(license):
    EntitlementOverride.objects.create(
        license=license,
        metric=LimitMetric.objects.get(key="storage"),
        value=400,
        reason="Archive",
        starts_at=AT - timedelta(days=3),
    )


def _addon(license):
    pack, _ = Addon.objects.get_or_create(
        product=license.product, key="calls-pack", defaults={"name": "Call pack"}
    )
    LicenseAddon.objects.create(license=license, addon=pack, quantity=2)


def _trial(license):
    running_trial(license, "business", starts_at=AT - timedelta(days=2))


def _discount_ends(license):
    Subscription.objects.filter(license=license).update(
        discount_percent=Decimal("20"),
        discount_reason="Agreed.",
        discount_ends_on=date(2026, 3, 31),
    )


def _card(license):
    StripeCustomer.objects.create(
        organization=license.organization,
        customer_id=f"cus_{license.pk}_{license.organization.pk}",
        payment_method_id="pm_1",
        card_brand="visa",
        card_last4="4242",
        card_exp_month=12,
        card_exp_year=2031,
        card_saved_at=AT,
    )


SHAPES = {
    "plain": (dict(), None),
    "reverse_charge_and_billing_emails": (
        dict(
            details=dict(
                country="DE",
                tax_id="DE136695976",
                legal_name="Muster GmbH",
                address_line1="Str. 1",
                city="Berlin",
                billing_emails=["ap@muster.example"],
                po_number="PO-7",
            )
        ),
        None,
    ),
    "no_recipients": (dict(members=False), None),
    "annual_eur": (
        dict(
            tier="business",
            seats=12,
            cycle="annual",
            currency="EUR",
            term_start=date(2025, 4, 1),
            details=dict(country="FR"),
        ),
        None,
    ),
    "override": (dict(), _override),
    "addon": (dict(), _addon),
    "trial": (dict(), _trial),
    "discount_ending_at_renewal": (dict(), _discount_ends),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_batch_writes_what_old_path_writes(catalog, now, monkeypatch, shape):
    kwargs, extra = SHAPES[shape]
    together = customer(catalog, "Same Name", **kwargs)
    alone = customer(catalog, "Same Name", **kwargs)
    if extra:
        extra(together)
        extra(alone)
    done = real_renew([together.subscription.pk], today=DAY, at=AT)
    assert list(done.results) == [together.subscription.pk]
    old_path(monkeypatch)
    assert renew_old(alone).outcome == "renewed"
    problems = diff(written(together), written(alone))
    assert problems == []


@pytest.mark.parametrize("billing", [Billing.UPFRONT, Billing.PER_CYCLE])
def test_multi_year_terms(catalog, now, monkeypatch, billing):
    together = _three_years(catalog, "Same", billing)
    alone = _three_years(catalog, "Same", billing)
    done = real_renew([together.subscription.pk], today=DAY, at=AT)
    assert list(done.results) == [together.subscription.pk]
    old_path(monkeypatch)
    assert renew_old(alone).outcome == "renewed"
    assert diff(written(together), written(alone)) == []


@override_settings(STRIPE_API_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")
def test_saved_card(catalog, now, monkeypatch, django_capture_on_commit_callbacks):
    charged = []
    from billing.renewals import tasks

    monkeypatch.setattr(tasks, "hand_charge", lambda pk: charged.append(pk))
    together = customer(catalog, "Same")
    alone = customer(catalog, "Same")
    _card(together)
    _card(alone)
    with django_capture_on_commit_callbacks(execute=True):
        done = real_renew([together.subscription.pk], today=DAY, at=AT)
    old_path(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        assert renew_old(alone).outcome == "renewed"
    assert diff(written(together), written(alone)) == []
    # Each renewal's invoice is handed to be charged once it commits, once.
    mine = done.results[together.subscription.pk].invoice.pk
    assert sorted(charged) == sorted([mine, Invoice.objects.get(license=alone).pk])
