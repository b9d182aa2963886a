from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Registers the deploy check that the bank details are not the demo account's.
        from billing.providers import bank_transfer  # noqa: F401
