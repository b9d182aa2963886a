"""The two staff groups. Kept in step with the models after every migrate, so a new
model's permissions reach the admins without a hand-written data migration."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

from portal.models import ACCOUNT_MANAGERS_GROUP, ADMINS_GROUP

STAFF_APPS = ["portal", "licensing", "billing"]
# Account managers read their customers and may reassign or rename them; they do not
# touch the catalog, prices or users. They read their customers' licenses, billing and
# ledgers (every admin is scoped to the manager's own customers: portal.admin_scoping);
# changing them (the license operations, locking a price) stays with admins. They read
# the catalog too (public on the pricing page anyway), so the tier version, product and
# currency a customer's license or subscription links to open instead of answering 403.
ACCOUNT_MANAGER_PERMISSIONS = [
    "portal.view_organization",
    "portal.change_organization",
    "portal.view_membership",
    "portal.view_invitation",
    *(
        f"licensing.view_{model}"
        for model in [
            "license",
            "licenseevent",
            "licensehold",
            "licenseaddon",
            "entitlementoverride",
            "licensefile",
            "machine",
            "usagerecord",
            "trial",
            "currency",
            "product",
            "feature",
            "limitmetric",
            "tier",
            "tierversion",
            "tierversionfeature",
            "tierversionlimit",
            "tierversionprice",
            "addon",
            "addonlimit",
            "changelogentry",
            "policyversion",
            "policysection",
        ]
    ),
    *(
        f"billing.view_{model}"
        for model in [
            "subscription",
            "subscriptionevent",
            "subscriptionperiod",
            "scheduledchange",
            "checkout",
            "checkoutevent",
            "invoice",
            "invoiceline",
            "creditnote",
            "payment",
            "creditentry",
            "billingdetails",
            "notice",
            "renewalfailure",
        ]
    ),
]


def ensure_staff_groups(using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    # Django creates each app's permissions in its own post_migrate receiver, once per
    # app; ours runs on portal's, before auth's receiver has run for portal and before
    # any has run for licensing and billing. So on a fresh database the groups got no
    # permissions until a second migrate. Create them first (existing ones are kept).
    for label in STAFF_APPS:
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    permissions = Permission.objects.using(using)
    admins, _ = Group.objects.using(using).get_or_create(name=ADMINS_GROUP)
    admins.permissions.add(*permissions.filter(content_type__app_label__in=STAFF_APPS))
    managers, _ = Group.objects.using(using).get_or_create(name=ACCOUNT_MANAGERS_GROUP)
    # One read and one add for all of them (it runs after every migrate, and after
    # every flush of a transactional test).
    wanted = {tuple(name.split(".")) for name in ACCOUNT_MANAGER_PERMISSIONS}
    found = permissions.filter(
        content_type__app_label__in={app_label for app_label, _ in wanted},
        codename__in={codename for _, codename in wanted},
    ).select_related("content_type")
    managers.permissions.add(
        *(p for p in found if (p.content_type.app_label, p.codename) in wanted)
    )
