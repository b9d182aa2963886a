"""The license ledger's overloaded kind "term" is split into what each row did:
term_started (a new term, e.g. a move to another billing cycle), term_extended (the term's
end moved later) and auto_renew (renewal switched on or off). Every old row says which in
its before and after, so each is classified from them: nothing is guessed.

The ledger refuses updates on PostgreSQL (billing 0004's trigger); this one correction of
a label, not of history, runs with the table's own triggers off for its duration.
"""

from django.db import migrations, models

SPLIT_KINDS = [
    ("created", "License issued"),
    ("status", "Status changed"),
    ("seats", "Seats changed"),
    ("version", "Tier or version changed"),
    ("term_started", "New term started"),
    ("term_extended", "Term extended"),
    ("auto_renew", "Auto-renew changed"),
    ("addon", "Add-on changed"),
    ("override_granted", "Override granted"),
    ("override_revoked", "Override revoked"),
    ("key_rotated", "Key rotated"),
    ("machine_activated", "Machine activated"),
    ("machine_deactivated", "Machine deactivated"),
]


def term_kind(before: dict, after: dict) -> str:
    """What an old "term" row did, from what it recorded."""
    if before.get("auto_renew") != after.get("auto_renew"):
        return "auto_renew"
    if before.get("term_start") != after.get("term_start"):
        return "term_started"
    return "term_extended"


def _triggers(schema_editor, state: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE licensing_licenseevent {state} TRIGGER USER")


def split_term(apps, schema_editor):
    LicenseEvent = apps.get_model("licensing", "LicenseEvent")
    rows = list(LicenseEvent.objects.filter(kind="term").values_list("pk", "before", "after"))
    if not rows:
        return
    _triggers(schema_editor, "DISABLE")
    for pk, before, after in rows:
        LicenseEvent.objects.filter(pk=pk).update(kind=term_kind(before or {}, after or {}))
    _triggers(schema_editor, "ENABLE")


def join_term(apps, schema_editor):
    LicenseEvent = apps.get_model("licensing", "LicenseEvent")
    split = LicenseEvent.objects.filter(kind__in=["term_started", "term_extended", "auto_renew"])
    if not split.exists():
        return
    _triggers(schema_editor, "DISABLE")
    split.update(kind="term")
    _triggers(schema_editor, "ENABLE")


class Migration(migrations.Migration):
    dependencies = [("licensing", "0004_license_holds")]

    operations = [
        migrations.AlterField(
            model_name="licenseevent",
            name="kind",
            field=models.CharField(choices=SPLIT_KINDS, max_length=24),
        ),
        migrations.RunPython(split_term, join_term),
        migrations.AddIndex(
            model_name="license",
            index=models.Index(fields=["status", "term_end"], name="license_status_term_end"),
        ),
    ]
