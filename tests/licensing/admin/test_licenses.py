"""Licenses in the admin, as a superuser: every change goes through a service behind a
confirmation page (ledger row, new entitlements), bad input changes nothing."""

from datetime import date, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from licensing.api.tokens import api_token_identify
from licensing.licenses.entitlements import license_entitlements
from licensing.licenses.services import entitlement_override_grant, license_hold
from licensing.models import (
    Addon,
    AddonLimit,
    EntitlementOverride,
    EventKind,
    Feature,
    HoldSource,
    License,
    LicenseEvent,
    LicenseStatus,
)
from tests.helpers.licenses import SYSTEM

CHANGELIST = "/admin/licensing/license/"


@pytest.fixture
def license(issued) -> License:
    return issued.license


def operate(admin_client, license, operation, data=None, **query):
    url = f"{CHANGELIST}{license.pk}/operate/{operation}/"
    if data is None:
        return admin_client.get(url, query)
    return admin_client.post(url, {"confirm": "yes", **data})


def ledger(license) -> list[LicenseEvent]:
    return list(LicenseEvent.objects.filter(license=license).order_by("revision"))


def change_page(license) -> str:
    return f"{CHANGELIST}{license.pk}/change/"


def premium_feature(license) -> Feature:
    included = license_entitlements(license=license).features
    return Feature.objects.filter(product=license.product).exclude(key__in=included).first()


def test_it_lists_and_finds_licenses_by_organization_and_key(admin_client, license):
    listing = admin_client.get(CHANGELIST).content.decode()
    assert "Northwind" in listing and "Team v2" in listing and license.key_prefix in listing
    assert "Northwind" in admin_client.get(CHANGELIST, {"q": "northw"}).content.decode()
    by_key = admin_client.get(CHANGELIST, {"q": license.key_prefix + "-XXXXX"}).content.decode()
    assert "Northwind" in by_key
    assert "Northwind" not in admin_client.get(CHANGELIST, {"q": "TW-ZZZZZ"}).content.decode()
    filtered = admin_client.get(CHANGELIST, {"status__exact": "suspended"}).content.decode()
    assert "Northwind" not in filtered


def test_it_shows_the_license_read_only_with_its_ledger_and_operations(admin_client, license):
    page = admin_client.get(f"{CHANGELIST}{license.pk}/change/").content.decode()
    assert 'name="seats"' not in page and 'name="status"' not in page
    assert "Bought in the test." in page  # the ledger inline
    assert "Grant override…" in page and "Suspend…" in page
    assert "Reinstate…" not in page  # nothing to reinstate from


def test_it_refuses_a_direct_edit_of_the_license(admin_client, license):
    response = admin_client.post(
        f"{CHANGELIST}{license.pk}/change/", {"seats": 99, "status": "canceled"}
    )
    assert response.status_code == 403
    license.refresh_from_db()
    assert (license.seats, license.status) == (5, LicenseStatus.ACTIVE)
    assert (
        admin_client.post(f"{CHANGELIST}{license.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert License.objects.filter(pk=license.pk).exists() and len(ledger(license)) == 1


def test_it_grants_an_override_through_the_confirmation_page(admin_client, license, now):
    feature = premium_feature(license)
    assert "Grant override?" in operate(admin_client, license, "grant-override").content.decode()
    response = operate(
        admin_client,
        license,
        "grant-override",
        {
            "feature": feature.pk,
            "ends_on": (now.date() + timedelta(days=30)).isoformat(),
            "reason": "Pilot of the premium feature.",
        },
    )
    assert (response.status_code, response["Location"]) == (302, change_page(license))
    entitlements = license_entitlements(license=license)
    assert entitlements.has(feature.key)
    assert entitlements.features[feature.key].until.date() == now.date() + timedelta(days=31)
    event = ledger(license)[-1]
    assert event.kind == EventKind.OVERRIDE_GRANTED
    assert event.reason == "Pilot of the premium feature."
    assert event.actor.is_superuser and "(admin)" in event.actor_label
    assert license.files.count() == 2  # a new signed file says so


def test_it_grants_a_limit_override(admin_client, license, catalog):
    metric = catalog.metric("api-calls")
    operate(
        admin_client,
        license,
        "grant-override",
        {"metric": metric.pk, "value": 2_000_000, "reason": "Launch month."},
    )
    assert license_entitlements(license=license).limit("api-calls") == 2_000_000


@pytest.mark.parametrize(
    "data, error",
    [
        ({"reason": "   "}, "This field is required."),
        ({"ends_on": "2026-03-13"}, "The end date is in the past."),
        ({"value": -5}, "greater than or equal to 0"),
        ({"feature": None}, "Choose a feature or a limit to grant."),
        ({"metric": "both"}, "Choose either a feature or a limit, not both."),
    ],
)
def test_it_refuses_a_bad_override_and_writes_nothing(admin_client, license, catalog, data, error):
    base = {"feature": premium_feature(license).pk, "reason": "Pilot."}
    if data.get("metric") == "both":
        data = {"metric": catalog.metric("api-calls").pk}
    if data.get("value") is not None:
        base = {"metric": catalog.metric("api-calls").pk, "reason": "Pilot."}
    data = {k: v for k, v in (base | data).items() if v is not None}
    before = ledger(license)
    response = operate(admin_client, license, "grant-override", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert ledger(license) == before
    assert not EntitlementOverride.objects.exists()


def test_it_revokes_an_override(admin_client, license):
    feature = premium_feature(license)
    override = entitlement_override_grant(
        license=license, feature=feature, actor=SYSTEM, reason="Pilot."
    )
    page = admin_client.get(f"{CHANGELIST}{license.pk}/change/").content.decode()
    assert f"?override={override.pk}" in page
    operate(
        admin_client,
        license,
        "revoke-override",
        {"override": override.pk, "reason": "Pilot over."},
    )
    assert not license_entitlements(license=license).has(feature.key)
    assert ledger(license)[-1].kind == EventKind.OVERRIDE_REVOKED


def test_it_changes_seats(admin_client, license):
    # The page says what the change does not do (staff walker: seats added here were
    # never invoiced, and nothing said so).
    page = operate(admin_client, license, "seats").content.decode()
    assert "Nothing is invoiced or credited here" in page
    response = operate(admin_client, license, "seats", {"seats": 8, "reason": "Two new hires."})
    assert (response.status_code, response["Location"]) == (302, change_page(license))
    license.refresh_from_db()
    assert license.seats == 8
    event = ledger(license)[-1]
    assert (event.kind, event.before["seats"], event.after["seats"]) == ("seats", 5, 8)


@pytest.mark.parametrize(
    "data, error",
    [
        ({"seats": -1, "reason": "Oops."}, "greater than or equal to 1"),
        ({"seats": 0, "reason": "Oops."}, "greater than or equal to 1"),
        ({"seats": 8, "reason": ""}, "This field is required."),
        ({"seats": "lots", "reason": "Oops."}, "Enter a whole number."),
        ({"seats": 100_000, "reason": "Too many."}, "at most"),  # refused by the service
    ],
)
def test_it_refuses_bad_seats_and_writes_nothing(admin_client, license, data, error):
    before = ledger(license)
    response = operate(admin_client, license, "seats", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    license.refresh_from_db()
    assert license.seats == 5 and ledger(license) == before


def test_it_suspends_and_reinstates(admin_client, license):
    operate(admin_client, license, "suspend", {"reason": "Chargeback."})
    license.refresh_from_db()
    assert license.status == LicenseStatus.SUSPENDED
    assert "Reinstate…" in admin_client.get(f"{CHANGELIST}{license.pk}/change/").content.decode()
    operate(admin_client, license, "reinstate", {"reason": "Paid."})
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE
    kinds = [(e.kind, e.after.get("status"), e.reason) for e in ledger(license)[-2:]]
    assert kinds == [("status", "suspended", "Chargeback."), ("status", "active", "Paid.")]


def test_staff_reinstating_lifts_only_their_own_hold(admin_client, license):
    license_hold(license=license, source=HoldSource.DUNNING, actor=SYSTEM, reason="Unpaid.")
    page = admin_client.get(f"{CHANGELIST}{license.pk}/change/").content.decode()
    assert "Unpaid." in page and "Suspend…" in page and "Reinstate…" not in page

    operate(admin_client, license, "suspend", {"reason": "Abuse report."})
    operate(admin_client, license, "reinstate", {"reason": "Report was mistaken."})

    license.refresh_from_db()
    assert license.status == LicenseStatus.SUSPENDED
    in_place = license.holds.filter(lifted_at__isnull=True).values_list("source", flat=True)
    assert list(in_place) == [HoldSource.DUNNING]
    response = operate(admin_client, license, "reinstate", {"reason": "Again."})
    assert "The license has no staff hold to lift." in response.content.decode()


def test_it_refuses_to_reinstate_an_active_license_with_a_form_error(admin_client, license):
    before = ledger(license)
    response = operate(admin_client, license, "reinstate", {"reason": "Why not."})
    assert response.status_code == 200
    assert "Only a suspended or revoked license can be reinstated." in response.content.decode()
    assert ledger(license) == before


def test_it_revokes_several_licenses_from_the_list(admin_client, license):
    selection = {"action": "bulk_revoke", ACTION_CHECKBOX_NAME: [license.pk]}
    confirm = admin_client.post(CHANGELIST, selection)
    assert "Revoke?" in confirm.content.decode()
    empty = admin_client.post(CHANGELIST, selection | {"confirm": "yes", "reason": ""})
    assert "This field is required." in empty.content.decode()
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE
    admin_client.post(CHANGELIST, selection | {"confirm": "yes", "reason": "Fraud."})
    license.refresh_from_db()
    assert license.status == LicenseStatus.CANCELED
    assert ledger(license)[-1].reason == "Fraud."


def test_it_sets_an_add_on(admin_client, license, catalog):
    addon = Addon.objects.create(product=license.product, key="calls", name="More calls")
    AddonLimit.objects.create(addon=addon, metric=catalog.metric("api-calls"), extra=10_000)
    before = license_entitlements(license=license).limit("api-calls")
    operate(admin_client, license, "addon", {"addon": addon.pk, "quantity": 3, "reason": "Bought."})
    assert license_entitlements(license=license).limit("api-calls") == before + 30_000
    assert ledger(license)[-1].kind == EventKind.ADDON


def test_it_moves_to_another_version_and_renews(admin_client, license, catalog):
    business = catalog.version("business")
    operate(admin_client, license, "version", {"version": business.pk, "reason": "Upgrade."})
    past = operate(admin_client, license, "renew", {"term_end": "2026-06-30", "reason": "Shorter?"})
    assert "A renewal extends the term" in past.content.decode()
    operate(admin_client, license, "renew", {"term_end": "2027-12-31", "reason": "Renewed."})
    license.refresh_from_db()
    assert license.version == business and license.term_end == date(2027, 12, 31)
    assert [e.kind for e in ledger(license)[-2:]] == [EventKind.VERSION, EventKind.TERM_EXTENDED]


def test_it_answers_an_unknown_operation_with_a_message(admin_client, license):
    response = admin_client.post(
        f"{CHANGELIST}{license.pk}/operate/delete-everything/", {"confirm": "yes", "reason": "x"}
    )
    assert (response.status_code, response["Location"]) == (302, change_page(license))
    assert License.objects.filter(pk=license.pk).exists() and len(ledger(license)) == 1


def test_the_ledger_is_read_only(admin_client, license):
    event = ledger(license)[0]
    assert admin_client.get("/admin/licensing/licenseevent/").status_code == 200
    assert admin_client.get("/admin/licensing/licenseevent/add/").status_code == 403
    page = admin_client.get(f"/admin/licensing/licenseevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="reason"' not in page.content.decode()
    admin_client.post(f"/admin/licensing/licenseevent/{event.pk}/change/", {"reason": "x"})
    assert LicenseEvent.objects.get(pk=event.pk).reason == "Bought in the test."
    delete = admin_client.post(f"/admin/licensing/licenseevent/{event.pk}/delete/", {"post": "y"})
    assert delete.status_code == 403
    assert ledger(license) == [event]


def test_usage_and_machines_are_read_only(admin_client, license):
    for model in ("usagerecord", "machine"):
        assert admin_client.get(f"/admin/licensing/{model}/").status_code == 200
        assert admin_client.get(f"/admin/licensing/{model}/add/").status_code == 403


def test_it_revokes_an_api_token_and_the_token_stops_working_at_once(
    admin_client, token, django_capture_on_commit_callbacks
):
    assert api_token_identify(token.secret) is not None  # cached now
    url = "/admin/licensing/apitoken/"
    selection = {"action": "revoke_tokens", ACTION_CHECKBOX_NAME: [token.token.pk]}
    assert "Revoke API tokens?" in admin_client.post(url, selection).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, selection | {"confirm": "yes"})
    assert api_token_identify(token.secret) is None
    assert admin_client.get(f"{url}add/").status_code == 403


def test_staff_who_may_only_view_licenses_are_offered_no_operation(client_for, license):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_license"))
    # Staff who are not admins see only the customers assigned to them.
    license.organization.account_manager = viewer
    license.organization.save()
    viewer_client = client_for(viewer)
    page = viewer_client.get(f"{CHANGELIST}{license.pk}/change/").content.decode()
    assert "View license" in page and "Suspend…" not in page
    response = operate(viewer_client, license, "suspend", {"reason": "Not mine to do."})
    assert (response.status_code, response["Location"]) == (302, change_page(license))
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE and len(ledger(license)) == 1


@pytest.mark.parametrize("term_end", ["9999-12-31", "2032-01-01"])
def test_it_refuses_an_extension_of_more_than_five_years(admin_client, license, term_end):
    before = license.term_end
    page = operate(admin_client, license, "renew", {"term_end": term_end, "reason": "Forever."})
    assert page.status_code == 200
    assert "An extension runs at most 5 years past the current last day" in page.content.decode()
    license.refresh_from_db()
    assert license.term_end == before and len(ledger(license)) == 1
