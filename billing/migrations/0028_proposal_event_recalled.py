from django.db import migrations, models


class Migration(migrations.Migration):
    """A proposal's history names a new step: a version withdrawn from approval, back to
    draft (a version awaiting approval is frozen until then)."""

    dependencies = [
        ("billing", "0027_subscription_period_replaced"),
    ]

    operations = [
        migrations.AlterField(
            model_name="proposalevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("edited", "Edited"),
                    ("submitted", "Submitted for approval"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("approval_undone", "Edited after approval: back to approval"),
                    ("recalled", "Withdrawn from approval: back to draft"),
                    ("sent", "Sent"),
                    ("superseded", "Superseded"),
                    ("viewed", "Viewed by the customer"),
                    ("accepted", "Accepted"),
                    ("declined", "Declined"),
                    ("withdrawn", "Withdrawn"),
                ],
                max_length=20,
            ),
        ),
    ]
