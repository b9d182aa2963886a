from django.db import migrations, models


class Migration(migrations.Migration):
    """A billed period a new term replaces on its first day is kept (marked replaced),
    no longer rewritten into the new term's period: one live period per first day."""

    dependencies = [
        ("billing", "0026_renewal_run_reported_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriptionperiod",
            name="replaced",
            field=models.BooleanField(
                default=False,
                db_default=False,
                help_text="Replaced on its first day by a new term's period; credited in full.",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="subscriptionperiod",
            name="one_period_per_subscription_start",
        ),
        migrations.AddConstraint(
            model_name="subscriptionperiod",
            constraint=models.UniqueConstraint(
                condition=models.Q(("replaced", False)),
                fields=("subscription", "starts_on"),
                name="one_period_per_subscription_start",
            ),
        ),
    ]
