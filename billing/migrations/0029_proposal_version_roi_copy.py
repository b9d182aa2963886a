from django.db import migrations, models


def copy_scenarios(apps, schema_editor):
    """Each version with a saved scenario attached gets its own copy of the scenario's
    numbers and name: the customer may delete the scenario, and the version must keep
    saying what it said. (A version whose scenario was deleted before this ran lost its
    numbers then; nothing is left to copy.)"""
    ProposalVersion = apps.get_model("billing", "ProposalVersion")
    attached = ProposalVersion.objects.filter(roi_scenario__isnull=False).select_related(
        "roi_scenario"
    )
    for version in attached.iterator():
        version.roi_inputs = dict(version.roi_scenario.query)
        version.roi_scenario_name = version.roi_scenario.name
        version.save(update_fields=["roi_inputs", "roi_scenario_name"])


def forget_deleted_scenarios(apps, schema_editor):
    """Backwards, before the reference is constrained again: a version whose scenario was
    deleted since keeps its copy and no longer names the row."""
    ProposalVersion = apps.get_model("billing", "ProposalVersion")
    RoiScenario = apps.get_model("billing", "RoiScenario")
    ProposalVersion.objects.filter(roi_scenario__isnull=False).exclude(
        roi_scenario_id__in=RoiScenario.objects.values("pk")
    ).update(roi_scenario=None)


class Migration(migrations.Migration):
    """A proposal version keeps its own copy of the ROI numbers of the saved scenario it
    was given (with the scenario's name and id), instead of a reference the customer's
    deletion set to NULL; and it keeps the position of the option its PDF and email
    recommend, stored with the PDF, for the customer's page. Versions rendered before
    this keep none: their page shows no "Recommended" badge (their PDF still does).

    Backwards, the copies stay (the previous code reads a scenario still there first,
    else the copied numbers) and the reference is a foreign key again."""

    dependencies = [
        ("billing", "0028_proposal_event_recalled"),
    ]

    operations = [
        migrations.AddField(
            model_name="proposalversion",
            name="roi_scenario_name",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AddField(
            model_name="proposalversion",
            name="pdf_recommended_position",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(copy_scenarios, migrations.RunPython.noop),
        # The column stays, as a plain number: no foreign key constraint, no index, no
        # SET NULL when the scenario is deleted.
        migrations.AlterField(
            model_name="proposalversion",
            name="roi_scenario",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_constraint=False,
                db_index=False,
                on_delete=models.DO_NOTHING,
                related_name="+",
                to="billing.roiscenario",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, forget_deleted_scenarios),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="proposalversion", name="roi_scenario"),
                migrations.AddField(
                    model_name="proposalversion",
                    name="roi_scenario_id",
                    field=models.BigIntegerField(blank=True, editable=False, null=True),
                ),
            ],
        ),
    ]
