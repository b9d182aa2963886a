"""The Celery app. Reliability settings live in settings.py (CELERY_*); the beat schedule
lives here, in code, so every deployment runs the same one."""

import os

from celery import Celery

from portal.schedule import beat_schedule

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("tierwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Areas with their own tasks module, beside each app's tasks.py.
app.autodiscover_tasks(
    [
        "billing.checkout",
        "billing.dunning",
        "billing.proposals",
        "billing.renewals",
        "billing.trials",
    ]
)
# The renewal reminders' tasks (billing.renewals.reminder_tasks).
app.autodiscover_tasks(["billing.renewals"], related_name="reminder_tasks")

# One list of scheduled jobs for beat and the test clock (portal/schedule.py).
app.conf.beat_schedule = beat_schedule()
