"""Account managers reach only their own customers in the admin.

The demo's Maya manages Northwind Analytics and Acme Robotics; Globex Health belongs to
another account manager. Every admin registered on the site is
walked from the registry
(changelists, every object URL, every action, every autocomplete), so an admin added
later is checked without anyone adding it here. Most walks use Maya with every
permission the site has but not in the Admins group, so only the scoping stands between
her and Globex; the rest use Maya as the demo has her.
"""

import re

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.urls import URLPattern

from billing.demo import build_checkouts, build_invoices, build_subscriptions
from billing.models import (
    AdminOperation,
    BillingDetails,
    Invoice,
    Notice,
    NoticeKind,
    RenewalRun,
    TaxRate,
)
from billing.renewals.services import renewal_failure_record
from licensing.api.tokens import api_token_create
from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from licensing.licenses.services import Actor, machine_activate
from licensing.models import (
    Addon,
    ApiToken,
    ChangelogEntry,
    Currency,
    Feature,
    License,
    LimitMetric,
    PolicyVersion,
    Product,
    Tier,
    TierVersion,
    Trial,
)
from portal import demo
from portal.admin_scoping import OBJECT_KWARGS, owner_path
from portal.models import (
    ACCOUNT_MANAGERS_GROUP,
    Membership,
    Organization,
    OutboundEmail,
    Role,
    User,
)
from tests.conftest import FROZEN_NOW
from tests.factories import InvitationFactory, UserFactory
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.django_db

# Models whose rows belong to no customer: the catalog, and the staff groups. Their
# admins are gated by permissions alone. A new model admin must be listed here or be
# reachable from an organization, or test_it_knows_whose_rows_each_admin_shows fails.
NOT_CUSTOMER_DATA = {
    Group,
    Currency,
    Product,
    Feature,
    LimitMetric,
    Tier,
    TierVersion,
    ChangelogEntry,
    PolicyVersion,
    Addon,
    TaxRate,
}
# The outbox holds every customer's mail, with invitation and password-reset links.
# An admin operation belongs to no one customer (its events do, and are scoped).
ADMINS_ONLY = {OutboundEmail, AdminOperation, RenewalRun}

OTHER_MANAGER = "otto@tierwise.test"
# Nothing of Globex Health may appear on a page Maya sees.
GLOBEX = ["Globex", "globex", OTHER_MANAGER]


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    """The demo and a few additions, built once for this module at the frozen now: each
    test runs in a transaction of its own inside the module's, which is rolled back after
    the last test, so no test sees another's changes and none outlives the module."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(FROZEN_NOW, tick=False),
        transaction.atomic(),
    ):
        _build_demo_site()
        yield
        transaction.set_rollback(True)


def _build_demo_site() -> None:
    demo.build_people()
    build_catalog()
    build_licenses()
    build_subscriptions()
    build_invoices()
    build_checkouts()
    otto = UserFactory(email=OTHER_MANAGER, is_staff=True)
    otto.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    Organization.objects.filter(slug="globex-health").update(account_manager=otto)
    for slug in ["northwind-analytics", "globex-health"]:
        organization = Organization.objects.get(slug=slug)
        owner = organization.memberships.get(role=Role.OWNER).user
        api_token_create(organization=organization, name=f"{slug} CI", created_by=owner)
        InvitationFactory(organization=organization, email=f"newcomer@{slug}.test")
        TOTP.activate(owner, generate_totp_secret())
        machine_activate(
            license=License.objects.get(organization=organization),
            fingerprint=f"{slug}-laptop",
            actor=Actor(label="test setup"),
        )
        # Notices: one about the license, one about an invoice only (no license on it).
        license = License.objects.get(organization=organization)
        Notice.objects.create(
            kind=NoticeKind.RENEWAL_REMINDER,
            subject=f"license:{license.pk}",
            period=license.renews_on,
            lead=7,
            sent_on=FROZEN_NOW.date(),
            license=license,
        )
        invoice = Invoice.objects.filter(organization=organization).first()
        if invoice is not None:
            Notice.objects.create(
                kind=NoticeKind.DUNNING_REMINDER,
                subject=f"invoice:{invoice.pk}",
                period=FROZEN_NOW.date(),
                lead=1,
                sent_on=FROZEN_NOW.date(),
                invoice=invoice,
            )
        renewal_failure_record(
            subscription_id=License.objects.get(organization=organization).subscription.pk,
            error=f"{slug}: tax rates unavailable",
        )
        if not Trial.objects.filter(organization=organization).exists():
            running_trial(license, "enterprise")


@pytest.fixture
def maya(demo_site) -> User:
    return User.objects.get(email="maya@tierwise.test")


@pytest.fixture
def maya_with_every_permission(maya) -> User:
    maya.user_permissions.set(Permission.objects.all())
    return User.objects.get(pk=maya.pk)


@pytest.fixture
def globex():
    return Organization.objects.get(slug="globex-health")


def _registry():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()]


def _customer_admins():
    return [
        (model, model_admin)
        for model, model_admin in _registry()
        if model not in NOT_CUSTOMER_DATA | ADMINS_ONLY
    ]


def _label(model) -> str:
    return model._meta.label


def _changelist(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def _globex_rows(model):
    path = owner_path(model)
    lookup = f"{path}__slug" if path else "slug"
    return model._default_manager.filter(**{lookup: "globex-health"}).distinct()


def _assert_no_globex(response) -> None:
    page = response.content.decode()
    leaked = [word for word in GLOBEX if word in page]
    assert not leaked, f"{response.wsgi_request.path} shows {leaked}"


def _object_urls(model, model_admin, object_id) -> list[str]:
    """Every URL of the model admin that names one object, for object_id. Any other path
    parameter gets "1": the object check must answer before the view looks at it."""
    urls = []
    for pattern in model_admin.get_urls():
        assert isinstance(pattern, URLPattern), pattern
        names = set(pattern.pattern.converters)
        if not names:
            continue
        assert names & set(OBJECT_KWARGS), (
            f"{_label(model)} has a URL {pattern.pattern} whose parameters {names} name no "
            f"object; call the object's parameter one of {OBJECT_KWARGS} so it is scoped."
        )
        route = re.sub(
            r"<(?:\w+:)?(\w+)>",
            lambda m: str(object_id) if m.group(1) in OBJECT_KWARGS else "1",
            str(pattern.pattern),
        )
        urls.append(_changelist(model) + route)
    return urls


def _snapshot(model, rows) -> list[dict]:
    return list(model._default_manager.filter(pk__in=[r.pk for r in rows]).order_by("pk").values())


def test_it_knows_whose_rows_each_admin_shows(demo_site):
    for model, _ in _customer_admins():
        assert owner_path(model) is not None, (
            f"{_label(model)} belongs to no organization: list it in NOT_CUSTOMER_DATA "
            "or ADMINS_ONLY, or give it a foreign key that leads to one."
        )
        assert _globex_rows(model).exists(), (
            f"The fixture has no {_label(model)} of Globex, so nothing proves Maya cannot "
            "reach one: add one to demo_site."
        )


# A search for Globex's owner finds nothing either (the box echoes "gina", not Globex).
@pytest.mark.parametrize("query", ["", "?q=gina"])
def test_it_lists_only_the_managers_customers(client_for, maya_with_every_permission, query):
    client = client_for(maya_with_every_permission)
    for model, _ in _customer_admins():
        response = client.get(_changelist(model) + query)
        assert response.status_code == 200, _label(model)
        _assert_no_globex(response)


def test_it_answers_404_for_every_page_of_another_customers_object(
    client_for, maya_with_every_permission
):
    client = client_for(maya_with_every_permission)
    for model, model_admin in _customer_admins():
        rows = list(_globex_rows(model))
        before = _snapshot(model, rows)
        for row in rows:
            for url in _object_urls(model, model_admin, row.pk):
                assert client.get(url).status_code == 404, url
                assert client.post(url, {"confirm": "yes", "reason": "x"}).status_code == 404, url
        assert _snapshot(model, rows) == before, f"{_label(model)} changed"


def test_it_runs_no_action_on_another_customers_objects(client_for, maya_with_every_permission):
    client = client_for(maya_with_every_permission)
    for model, model_admin in _customer_admins():
        rows = list(_globex_rows(model))
        before = _snapshot(model, rows)
        request = client.get(_changelist(model)).wsgi_request
        for action in model_admin.get_actions(request):
            client.post(
                _changelist(model),
                {
                    "action": action,
                    ACTION_CHECKBOX_NAME: [row.pk for row in rows],
                    "post": "yes",
                    "confirm": "yes",
                    "reason": "Forged.",
                },
            )
        assert _snapshot(model, rows) == before, f"{_label(model)} changed"


def test_it_suggests_only_the_managers_customers_in_autocomplete(
    client_for, maya_with_every_permission
):
    client = client_for(maya_with_every_permission)
    asked = 0
    for model, _ in _registry():
        for field in model._meta.get_fields():
            if not (field.many_to_one or field.many_to_many) or not field.concrete:
                continue
            target = admin.site._registry.get(field.related_model)
            if target is None or not target.search_fields:
                continue
            response = client.get(
                "/admin/autocomplete/",
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field.name,
                },
            )
            asked += 1
            assert response.status_code == 200, (model, field.name)
            _assert_no_globex(response)
    assert asked >= 3  # memberships' user and organization, licenses' organization…


def test_it_shows_maya_her_two_customers_and_not_globex(client_for, maya):
    client = client_for(maya)
    response = client.get("/admin/portal/organization/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Northwind Analytics" in page and "Acme Robotics" in page
    _assert_no_globex(response)
    northwind = Organization.objects.get(slug="northwind-analytics")
    for page in ["change", "history"]:
        url = f"/admin/portal/organization/{northwind.pk}/{page}/"
        assert client.get(url).status_code == 200, url


def test_it_hides_globex_and_its_people_from_maya(client_for, maya, globex):
    client = client_for(maya)
    assert client.get(f"/admin/portal/organization/{globex.pk}/change/").status_code == 404
    assert client.get(f"/admin/portal/organization/{globex.pk}/history/").status_code == 404
    membership = globex.memberships.first()
    assert client.get(f"/admin/portal/membership/{membership.pk}/change/").status_code == 404
    _assert_no_globex(client.get("/admin/portal/membership/"))


def _organization_form(organization, **fields) -> dict:
    return {
        "name": organization.name,
        "slug": organization.slug,
        "created_at_0": "2026-01-01",
        "created_at_1": "09:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
        **fields,
    }


def test_it_refuses_maya_assigning_globex_to_herself(client_for, maya, globex):
    response = client_for(maya).post(
        f"/admin/portal/organization/{globex.pk}/change/",
        _organization_form(globex, account_manager=maya.pk),
    )
    assert response.status_code == 404
    globex.refresh_from_db()
    assert globex.account_manager.email == OTHER_MANAGER


def test_it_lets_only_admins_assign_account_managers(client_for, maya, admin_user):
    northwind = Organization.objects.get(slug="northwind-analytics")
    otto = User.objects.get(email=OTHER_MANAGER)
    url = f"/admin/portal/organization/{northwind.pk}/change/"
    client = client_for(maya)

    page = client.get(url).content.decode()
    assert 'name="account_manager"' not in page
    response = client.post(
        url, _organization_form(northwind, name="Northwind", account_manager=otto.pk)
    )
    assert response.status_code == 302
    northwind.refresh_from_db()
    # Maya may rename her customer, but not hand it to someone else.
    assert (northwind.name, northwind.account_manager) == ("Northwind", maya)

    client = client_for(admin_user)
    assert 'name="account_manager"' in client.get(url).content.decode()
    client.post(url, _organization_form(northwind, account_manager=otto.pk))
    northwind.refresh_from_db()
    assert northwind.account_manager == otto


def test_an_account_manager_changes_neither_the_slug_nor_when_it_joined(
    client_for, maya, admin_user
):
    northwind = Organization.objects.get(slug="northwind-analytics")
    joined = northwind.created_at
    url = f"/admin/portal/organization/{northwind.pk}/change/"
    client = client_for(maya)
    page = client.get(url).content.decode()
    assert 'name="slug"' not in page and 'name="created_at_0"' not in page
    assert "northwind-analytics" in page  # still shown, read-only
    response = client.post(
        url,
        _organization_form(northwind, name="Northwind", slug="stolen")
        | {"created_at_0": "2020-01-01", "created_at_1": "00:00:00"},
    )
    assert response.status_code == 302
    northwind.refresh_from_db()
    # The rename is hers to make; the address and the date are not.
    assert (northwind.name, northwind.slug, northwind.created_at) == (
        "Northwind",
        "northwind-analytics",
        joined,
    )

    # An admin still changes the slug, but not the date either.
    client = client_for(admin_user)
    page = client.get(url).content.decode()
    assert 'name="slug"' in page and 'name="created_at_0"' not in page
    client.post(
        url,
        _organization_form(northwind, slug="northwind")
        | {"created_at_0": "2020-01-01", "created_at_1": "00:00:00"},
    )
    northwind.refresh_from_db()
    assert (northwind.slug, northwind.created_at) == ("northwind", joined)


def test_it_refuses_a_membership_in_another_customer(
    client_for, maya_with_every_permission, globex
):
    northwind_member = User.objects.get(email="mia@northwind.test")
    response = client_for(maya_with_every_permission).post(
        "/admin/portal/membership/add/",
        {
            "organization": globex.pk,
            "user": northwind_member.pk,
            "role": Role.OWNER,
            "created_at_0": "2026-01-01",
            "created_at_1": "09:00:00",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(organization=globex, user=northwind_member).exists()


def test_it_keeps_permission_fields_for_admins(client_for, maya_with_every_permission):
    mia = User.objects.get(email="mia@northwind.test")
    url = f"/admin/portal/user/{mia.pk}/change/"
    client = client_for(maya_with_every_permission)
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page
    client.post(
        url,
        {
            "email": mia.email,
            "first_name": mia.first_name,
            "last_name": mia.last_name,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    mia.refresh_from_db()
    assert not (mia.is_staff or mia.is_superuser)


def test_it_keeps_the_outbox_for_admins(client_for, maya_with_every_permission, admin_user):
    outbox = "/admin/portal/outboundemail/"
    assert client_for(maya_with_every_permission).get(outbox).status_code == 403
    assert client_for(admin_user).get(outbox).status_code == 200


def test_it_still_shows_admins_everything(client_for, demo_site, admin_user, globex):
    client = client_for(admin_user)
    assert "Globex Health" in client.get("/admin/portal/organization/").content.decode()
    assert client.get(f"/admin/portal/organization/{globex.pk}/change/").status_code == 200
    license = License.objects.get(organization=globex)
    assert client.get(f"/admin/licensing/license/{license.pk}/change/").status_code == 200
    token = ApiToken.objects.get(organization=globex)
    assert client.get(f"/admin/licensing/apitoken/{token.pk}/change/").status_code == 200


def test_it_gives_no_owner_to_the_catalog():
    for model in NOT_CUSTOMER_DATA:
        assert owner_path(model) is None, _label(model)
    assert owner_path(Organization) == ""
    assert owner_path(License) == "organization"


def test_maya_reads_her_customers_licenses_billing_and_ledger_without_operating(
    client_for, maya, globex
):
    # Her group as migrate gives it, not every permission: what an account manager has.
    client = client_for(maya)
    for path in [
        "/admin/licensing/license/",
        "/admin/billing/subscription/",
        "/admin/billing/subscriptionevent/",
        "/admin/billing/invoice/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Northwind Analytics" in response.content.decode(), path
        _assert_no_globex(response)
    assert client.get("/admin/billing/scheduledchange/").status_code == 200
    northwind = License.objects.filter(organization__slug="northwind-analytics").first()
    page = client.get(f"/admin/licensing/license/{northwind.pk}/change/").content.decode()
    assert "Northwind Analytics" in page and "Suspend…" not in page
    operate = client.post(
        f"/admin/licensing/license/{northwind.pk}/operate/suspend/", {"reason": "Mine now."}
    )
    assert operate.status_code == 302 and not northwind.holds.exists()
    theirs = License.objects.filter(organization=globex).first()
    assert client.get(f"/admin/licensing/license/{theirs.pk}/change/").status_code == 404


def _links_in(page: str) -> set[str]:
    return {href.replace("&amp;", "&") for href in re.findall(r'href="(/admin/[^"]+)"', page)}


@pytest.mark.parametrize("model_name", ["subscription", "invoice", "payment"])
def test_maya_reads_her_customers_subscriptions_invoices_and_payments(
    client_for, maya, globex, model_name
):
    """As the demo has her (her group's permissions, nothing more): the list, each of her
    customers' rows and every admin page they link to open; Globex's rows are 404; she
    changes, adds and deletes nothing."""
    from django.apps import apps

    model = apps.get_model("billing", model_name)
    client = client_for(maya)
    changelist = _changelist(model)
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert "Northwind Analytics" in listing.content.decode()
    _assert_no_globex(listing)

    path = owner_path(model)
    mine = model._default_manager.filter(**{f"{path}__slug": "northwind-analytics"}).first()
    page = client.get(f"{changelist}{mine.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Northwind Analytics" in html and 'name="_save"' not in html
    refused = {
        link: status
        for link in _links_in(html)
        if (status := client.get(link).status_code) not in (200, 302)
    }
    assert refused == {}
    before = _snapshot(model, [mine])
    assert client.post(f"{changelist}{mine.pk}/change/", {}).status_code == 403
    assert client.post(f"{changelist}{mine.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{changelist}add/").status_code == 403
    assert _snapshot(model, [mine]) == before

    theirs = _globex_rows(model).first()
    assert client.get(f"{changelist}{theirs.pk}/change/").status_code == 404
    assert client.get(f"{changelist}{theirs.pk}/history/").status_code == 404


def test_maya_reads_her_customers_billing_details_but_overrides_no_tax(client_for, maya):
    """Account managers read the admin: the tax override is for admins, so its page is
    403 for her (not a form she cannot save) and its button is not shown."""

    details, _ = BillingDetails.objects.get_or_create(
        organization=Organization.objects.get(slug="northwind-analytics")
    )
    client = client_for(maya)
    url = f"/admin/billing/billingdetails/{details.pk}/tax-override/"

    page = client.get(f"/admin/billing/billingdetails/{details.pk}/change/")
    assert page.status_code == 200 and url not in page.content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, {"rate": "0", "reason": "Mine now."}).status_code == 403
    details.refresh_from_db()
    assert details.tax_rate_override is None
