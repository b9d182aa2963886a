from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Customers and accounts"

    def ready(self) -> None:
        from portal.groups import ensure_staff_groups

        post_migrate.connect(ensure_staff_groups, sender=self)
