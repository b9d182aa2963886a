from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    # This module holds a second AppConfig, so Django is told which one is the app's.
    default = True
    name = "portal"
    verbose_name = "Customers and accounts"

    def ready(self) -> None:
        from portal.groups import ensure_staff_groups

        post_migrate.connect(ensure_staff_groups, sender=self)


class TierwiseAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site as admin.site, so every model admin
    registered on it is scoped to the staff member's customers (portal.admin_scoping)."""

    default = False
    default_site = "portal.admin_scoping.TierwiseAdminSite"
