"""The two staff groups get their permissions from the first migrate of a database."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal

from portal.groups import ACCOUNT_MANAGER_PERMISSIONS, STAFF_APPS
from portal.models import ACCOUNT_MANAGERS_GROUP, ADMINS_GROUP

pytestmark = pytest.mark.django_db


def _granted(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_it_gives_the_groups_their_permissions_on_a_database_without_any():
    # As on a fresh database: no permission rows yet when migrate's signals go out.
    Permission.objects.all().delete()
    Group.objects.all().delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    every_staff_permission = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.filter(
            content_type__app_label__in=STAFF_APPS
        ).values_list("content_type__app_label", "codename")
    }
    assert "licensing.change_license" in every_staff_permission
    assert "billing.view_roiscenario" in every_staff_permission
    assert _granted(ADMINS_GROUP) == every_staff_permission
    assert _granted(ACCOUNT_MANAGERS_GROUP) == set(ACCOUNT_MANAGER_PERMISSIONS)


def test_it_changes_nothing_when_migrate_runs_again():
    before = (_granted(ADMINS_GROUP), _granted(ACCOUNT_MANAGERS_GROUP), Permission.objects.count())
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    after = (_granted(ADMINS_GROUP), _granted(ACCOUNT_MANAGERS_GROUP), Permission.objects.count())
    assert after == before
