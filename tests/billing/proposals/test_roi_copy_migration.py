"""billing 0029 on a database from before the copy: a version with a saved scenario
attached (no inputs of its own, as the code then wrote it) gets the scenario's numbers
and name, keeps its id, and no longer changes when the scenario is deleted. Backwards,
a reference to a scenario deleted since is forgotten before the foreign key is back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import ProposalVersion, RoiScenario
from billing.proposals.services import Edit, proposal_edit
from billing.roi.services import roi_scenario_delete
from tests.billing.proposal_delivery.data import ROI_INPUTS
from tests.factories.proposals import actor, proposal_in

BEFORE = [("billing", "0028_proposal_event_recalled")]
AFTER = [("billing", "0029_proposal_version_roi_copy")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _attached(license, manager, scenario, now) -> ProposalVersion:
    proposal = proposal_in(license, manager)
    proposal_edit(proposal=proposal, edit=Edit(roi_scenario=scenario), actor=actor(manager), at=now)
    return proposal.versions.get()


@pytest.mark.django_db(transaction=True)
def test_versions_get_their_own_copy_of_the_scenario(license, account_manager, now):
    organization = license.organization
    kept = RoiScenario.objects.create(organization=organization, name="Ops team", query=ROI_INPUTS)
    gone = RoiScenario.objects.create(
        organization=organization, name="Old plan", query={**ROI_INPUTS, "team_size": "8"}
    )
    attached = _attached(license, account_manager, kept, now)
    orphan = _attached(license, account_manager, gone, now)
    roi_scenario_delete(scenario=gone)

    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            # As the code before 0029 wrote a scenario's version: no inputs of its own.
            cursor.execute(
                "UPDATE billing_proposalversion SET roi_inputs = '{}' WHERE id = %s",
                [attached.pk],
            )
            cursor.execute("SELECT id, roi_scenario_id FROM billing_proposalversion ORDER BY id")
            assert cursor.fetchall() == [(attached.pk, kept.pk), (orphan.pk, None)]

        _migrate(AFTER)

        attached.refresh_from_db()
        assert (attached.roi_inputs, attached.roi_scenario_name, attached.roi_scenario_id) == (
            ROI_INPUTS,
            "Ops team",
            kept.pk,
        )
        orphan.refresh_from_db()  # its numbers stay; the name went with the column
        assert (orphan.roi_inputs["team_size"], orphan.roi_scenario_id) == ("8", None)

        kept_id = kept.pk
        roi_scenario_delete(scenario=kept)
        attached.refresh_from_db()
        assert (attached.roi_inputs, attached.roi_scenario_id) == (ROI_INPUTS, kept_id)
    finally:
        # Back to the latest schema: the tests after this one in the worker need it.
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
