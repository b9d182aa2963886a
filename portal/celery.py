"""The Celery app. Reliability settings live in settings.py (CELERY_*); the beat schedule
lives here, in code, so every deployment runs the same one."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("tierwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Areas with their own tasks module, beside each app's tasks.py.
app.autodiscover_tasks(["billing.checkout"])

app.conf.beat_schedule = {
    # Picks up emails whose first send was lost (broker down, worker killed mid-task).
    "resend-stalled-emails": {
        "task": "portal.tasks.resend_stalled_emails",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # Renders invoice PDFs whose first hand-over was lost (the first download would too).
    "render-stalled-invoice-pdfs": {
        "task": "billing.tasks.render_stalled_invoice_pdfs",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # Records checkouts left open for a day as abandoned.
    "abandon-stale-checkouts": {
        "task": "billing.checkout.tasks.abandon_stale_checkouts",
        "schedule": crontab(minute=17),
        "options": {"expires": 50 * 60},
    },
}
