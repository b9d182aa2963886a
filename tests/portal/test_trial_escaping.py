"""User data (an organization's name, an end reason) is escaped in the trial pages and
the trial emails."""

from datetime import timedelta

from billing.trials.notices import trial_revert_and_tell
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed
from tests.helpers.trials import running_trial

EVIL = '<img src=x onerror="alert(1)">'


def test_names_are_escaped_in_pages_and_emails(
    client_for, owner, billing_admin, organization, catalog, now
):
    organization.name = f"North{EVIL}wind"
    organization.save()
    license = subscribed(organization, catalog, seats=5)
    trial = running_trial(license, "business", starts_at=now - timedelta(days=4))
    client = client_for(owner)
    for path in (
        f"/app/northwind/trials/{trial.pk}/",
        f"/app/northwind/trials/{trial.pk}/end/",
        "/app/northwind/trials/start/enterprise/",
        "/app/northwind/",
    ):
        body = client.get(path).content.decode()
        assert EVIL not in body, path
    client.post(f"/app/northwind/trials/{trial.pk}/end/", {"reason": EVIL})
    trial2 = running_trial(license, "team", starts_at=now - timedelta(days=20), days=14)
    assert trial_revert_and_tell(trial_id=trial2.pk, at=now)
    for email in OutboundEmail.objects.all():
        assert EVIL not in email.body_html, email.subject
