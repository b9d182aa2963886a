"""Personas and a fixed "now" for the whole suite.

In CI (CI or TIERWISE_REAL_SERVICES set) a skipped test counts as a failure: the real
services, the worker, SMTP and Chromium must all be there, and nothing may quietly not run.
"""

import sys
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.backends.postgresql.operations import DatabaseOperations as PostgreSQLOperations
from django.db.backends.sqlite3.base import DatabaseOperations as SQLiteOperations
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from billing.migrations import _invoice_documents as invoice_documents
from portal.models import ACCOUNT_MANAGERS_GROUP, ADMINS_GROUP, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers.services import CHROMIUM, REAL_SERVICES_REQUIRED

# The shared fixtures beyond the personas: the catalogs, a license with its API client, and
# a scheduled downgrade.
pytest_plugins = [
    "tests.fixtures.catalogs",
    "tests.fixtures.licenses",
    "tests.fixtures.checkout",
]

FROZEN_NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)

# Property tests judge answers, not speed: a busy machine (two xdist workers, CI beside
# other work) must not fail one for taking longer than hypothesis's 200 ms deadline or
# for generating slowly. make mutate loads its own, derandomized profile instead.
hypothesis_settings.register_profile(
    "suite", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
if "tests.mutation.fast_tests" not in sys.modules:
    hypothesis_settings.load_profile("suite")

_sql_flush = PostgreSQLOperations.sql_flush


def _sql_flush_of_a_test_database(self, style, tables, **kwargs):
    """Django empties the tables between transactional tests with TRUNCATE, which the
    database refuses on append-only tables (billing migration 0008) except in a test
    database whose flush says so, for its own transaction only."""
    statements = _sql_flush(self, style, tables, **kwargs)
    return ["SET LOCAL tierwise.test_flush = 'on';", *statements] if statements else []


PostgreSQLOperations.sql_flush = _sql_flush_of_a_test_database

_sqlite_sql_flush = SQLiteOperations.sql_flush


def _sqlite_flush_of_a_test_database(self, style, tables, **kwargs):
    """On SQLite the flush is DELETE, which the invoice PDF versions refuse (billing
    migration 0014): their trigger is set aside for the flush's statements and put back
    after them, in the flush's own transaction."""
    statements = _sqlite_sql_flush(self, style, tables, **kwargs)
    if invoice_documents.TABLE not in tables:
        return statements
    return [
        f"DROP TRIGGER IF EXISTS {invoice_documents.NO_DELETE};",
        *statements,
        invoice_documents.CREATE_NO_DELETE.strip() + ";",
    ]


SQLiteOperations.sql_flush = _sqlite_flush_of_a_test_database


# Folders whose every test needs a real service; `make test-fast` leaves these out.
FOLDER_MARKERS = {"e2e": "browser", "integration": "integration"}


# Tests that share something outside their process run in one pytest-xdist worker
# (`make test` runs with --dist loadgroup). Tasks through the broker: Redis keeps one index
# of unacknowledged messages for every queue of its database, and a worker that restores
# them (the visibility timeout tests) would hand another xdist worker's task back twice.
# The rest is not shared: each SMTP server takes a free port, each test finds its own
# payments in the one localstripe, and what goes to var/ is written whole under a name of
# its own.
FIXTURE_GROUPS = {"through_the_broker": "celery-broker"}


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.path.relative_to(config.rootpath).parts
        if len(parts) > 1 and parts[1] in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[parts[1]])
        for fixture, group in FIXTURE_GROUPS.items():
            if fixture in item.fixturenames:
                item.add_marker(pytest.mark.xdist_group(group))
    # The other plugins' hooks (-m, pytest-xdist's worker) run here, and see the marks.
    yield
    if getattr(config.option, "loadgroup", False):  # an xdist worker under --dist loadgroup
        for item in items:
            _join_xdist_group(item)


def _join_xdist_group(item) -> None:
    """pytest-xdist sends the tests of one xdist_group to one worker by the "@group" ending
    of their node ids, which its worker writes into pytest's former `_nodeid`; pytest 9.2
    keeps a structured `_id` instead, so the ending never showed and the tests spread over
    every worker (pytest-dev/pytest-xdist#1386). Adds the ending where pytest-xdist did
    not, and stops the run if it does not hold."""
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    if not names:
        return
    ending = "@" + "_".join(sorted(names))
    if not item.nodeid.endswith(ending):
        nodeid = item.nodeid + ending
        if hasattr(item, "_id"):
            item._id = type(item._id).parse(nodeid)
        else:
            item._nodeid = nodeid
    if not item.nodeid.endswith(ending):
        raise pytest.UsageError(
            f"{item.nodeid} is in xdist group {ending[1:]!r}, but its node id does not end"
            f" in {ending!r}: --dist loadgroup would run the group on several workers."
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REAL_SERVICES_REQUIRED and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"Skipped in CI, which must run everything: {reason}"


@pytest.fixture(autouse=True)
def fresh_cache():
    """The cache outlives a test's database rollback: ids are reused, so cached answers,
    rate limits and used TOTP codes must not be."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now():
    """Billing and licensing tests pin the clock; this is the moment they live in."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield FROZEN_NOW


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Northwind", slug="northwind")


@pytest.fixture
def owner(organization):
    return MembershipFactory(organization=organization, role=Role.OWNER).user


@pytest.fixture
def billing_admin(organization):
    return MembershipFactory(organization=organization, role=Role.BILLING).user


@pytest.fixture
def teammate(organization):
    return MembershipFactory(organization=organization, role=Role.MEMBER).user


@pytest.fixture
def outsider(db):
    """Owner of another organization: sees nothing of `organization`."""
    return MembershipFactory(
        organization=OrganizationFactory(name="Elsewhere", slug="elsewhere"), role=Role.OWNER
    ).user


@pytest.fixture
def account_manager(db, organization):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    organization.account_manager = user
    organization.save()
    return user


@pytest.fixture
def admin_user(db):
    user = UserFactory(is_staff=True, is_superuser=True)
    user.groups.add(Group.objects.get(name=ADMINS_GROUP))
    return user


@pytest.fixture
def client_for(client):
    """client_for(user) signs the test client in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def admin_client(client_for, admin_user):
    """The test client signed in as `admin_user` (replaces pytest-django's, which would
    be a second client)."""
    return client_for(admin_user)


def pytest_report_header(config):
    from django.conf import settings
    from django.db import connection

    return [
        f"tierwise: database={connection.vendor} broker={settings.CELERY_BROKER_URL.split(':')[0]}"
        f" chromium={CHROMIUM} real-services-required={REAL_SERVICES_REQUIRED}",
    ]
