from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Registers the deploy check that the bank details are not the demo account's.
        # Connects the commercial ledger to licensing's license_changed signal.
        from billing.ledger import services  # noqa: F401
        from billing.providers import bank_transfer  # noqa: F401
