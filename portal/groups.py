"""The two staff groups. Kept in step with the models after every migrate, so a new
model's permissions reach the admins without a hand-written data migration."""

from django.contrib.auth.models import Group, Permission

from portal.models import ACCOUNT_MANAGERS_GROUP, ADMINS_GROUP

STAFF_APPS = ["portal", "licensing", "billing"]
# Account managers read their customers and may reassign or rename them; they do not
# touch the catalog, prices or users.
ACCOUNT_MANAGER_PERMISSIONS = [
    "portal.view_organization",
    "portal.change_organization",
    "portal.view_membership",
    "portal.view_invitation",
]


def ensure_staff_groups(**kwargs) -> None:
    admins, _ = Group.objects.get_or_create(name=ADMINS_GROUP)
    admins.permissions.add(*Permission.objects.filter(content_type__app_label__in=STAFF_APPS))
    managers, _ = Group.objects.get_or_create(name=ACCOUNT_MANAGERS_GROUP)
    wanted = [p.split(".") for p in ACCOUNT_MANAGER_PERMISSIONS]
    for app_label, codename in wanted:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission:
            managers.permissions.add(permission)
