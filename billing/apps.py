from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Register the deploy checks that the bank details are not the demo account's
        # and the seller not the demo company.
        # Connects the commercial ledger to licensing's license_changed and
        # trial_changed signals.
        from billing.ledger import services  # noqa: F401
        from billing.providers import bank_transfer  # noqa: F401
        from billing.tax import seller  # noqa: F401
        from billing.trials import ledger  # noqa: F401
