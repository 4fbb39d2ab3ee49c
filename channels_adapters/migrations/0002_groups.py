from django.db import migrations

from core.groups import grant

PERMISSIONS = {
    "ops": [
        "channels_adapters.view_inboundmessage",
        "channels_adapters.replay_inboundmessage",
        "channels_adapters.ingest_document",
        "channels_adapters.view_sandboxdocument",
    ],
    "warehouse": ["channels_adapters.view_inboundmessage"],
    "finance": ["channels_adapters.view_inboundmessage"],
}


def forwards(apps, schema_editor):
    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("channels_adapters", "0001_initial"),
        ("orders", "0002_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
