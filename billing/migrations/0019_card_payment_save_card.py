from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0018_credit_application"),
    ]

    operations = [
        migrations.AddField(
            model_name="cardpayment",
            name="save_card",
            field=models.BooleanField(default=False),
        ),
    ]
