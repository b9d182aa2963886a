from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self) -> None:
        from licensing.catalog import signals  # noqa: F401  (a catalog change, a new generation)
        from licensing.licenses import checks  # noqa: F401  (registers the system checks)
