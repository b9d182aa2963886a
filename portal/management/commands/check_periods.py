"""`manage.py check_periods`: every subscription's billing periods tile its license's
term with no gap or overlap, and each recurring span an invoice billed is a period. A
line per problem and exit status 1 when there is any (for a cron job or CI)."""

from django.core.management.base import BaseCommand

from billing.subscriptions.selectors import period_problems


class Command(BaseCommand):
    help = "Check that billing periods tile each term and match what invoices billed."

    def handle(self, *args, **options) -> None:
        problems = period_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise SystemExit(1)
        self.stdout.write("Every subscription's periods tile its term and match its invoices.")
