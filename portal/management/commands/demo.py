from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing.demo import (
    build_book,
    build_checkouts,
    build_invoices,
    build_proposals,
    build_subscriptions,
)
from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from licensing.demo.trials import build_trials
from portal import demo


class Command(BaseCommand):
    help = "Create or refresh the demo vendor, its staff and its customers (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo logins share a published password.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "The demo logins share a published password; refusing with DEBUG off. "
                "Pass --force if you really want them here."
            )
        logins = demo.build_people()
        catalog = build_catalog()
        self.stdout.write(self.style.SUCCESS(f"Demo catalog is ready: {catalog}."))
        self.stdout.write("\n".join(["Demo licenses:", *build_licenses()]))
        self.stdout.write("\n".join(["Demo subscriptions:", *build_subscriptions()]))
        self.stdout.write("\n".join(["Demo invoices:", *build_invoices()]))
        self.stdout.write("\n".join(["Demo checkouts:", *build_checkouts()]))
        self.stdout.write("\n".join(["Demo trials:", *build_trials()]))
        self.stdout.write("\n".join(["Demo book of accounts:", *build_book()]))
        self.stdout.write("\n".join(["Demo proposals:", *build_proposals()]))
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Logins (password: {demo.DEMO_PASSWORD}):")
        )
        for login in logins:
            self.stdout.write(f"  {login.email:<28} {login.who}")
