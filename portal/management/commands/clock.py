"""`manage.py clock` shows the test clock; `manage.py clock advance --to 2027-01-05` moves
the site's date forward, running every business job due on the way (portal.clock)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from portal import clock


class Command(BaseCommand):
    help = "Show the test clock, or move it forward with `advance --to YYYY-MM-DD`."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["show", "advance"], default="show")
        parser.add_argument("--to", type=date.fromisoformat, help="the site's new date")

    def handle(self, *args, action, to, **options):
        if action == "advance":
            if to is None:
                raise CommandError("Say where to: --to YYYY-MM-DD.")
            try:
                runs = clock.advance(to=to, by="manage.py clock")
            except clock.ClockError as error:
                raise CommandError(str(error)) from error
            for run in runs:
                self.stdout.write(f"{run.due_at:%Y-%m-%d %H:%M} {run.job}: {run.result}")
        state = "on" if clock.is_simulated() else "off (real time)"
        self.stdout.write(
            f"Test clock {state}; the site's time is {clock.now():%Y-%m-%d %H:%M} UTC."
        )
