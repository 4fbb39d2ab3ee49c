from django.db import migrations

from core.groups import grant


def forwards(apps, schema_editor):
    # Everyone sees (their own) background exports; only ops may export orders, whose rows
    # carry receiver names, phones and addresses.
    grant(apps, {
        "warehouse": ["core.view_exportjob"],
        "finance": ["core.view_exportjob"],
        "ops": ["core.view_exportjob", "core.export_order"],
    })


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("orders", "0002_groups"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
