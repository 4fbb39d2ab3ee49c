from django.db import migrations

from core.groups import grant

PERMISSIONS = {
    "ops": [
        "channels_adapters.view_reconcilerun",
        "channels_adapters.run_reconcile",
        "channels_adapters.view_pullcursor",
        "channels_adapters.view_sandboxmessage",
    ],
    "warehouse": ["channels_adapters.view_reconcilerun"],
    "finance": ["channels_adapters.view_reconcilerun"],
}


def forwards(apps, schema_editor):
    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("channels_adapters", "0003_sync"),
        ("orders", "0002_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
