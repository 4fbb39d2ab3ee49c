from django.db import migrations

from core.groups import grant


def forwards(apps, schema_editor):
    grant(apps, {"ops": ["invoicing.export_taxprofile"]})


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0004_taxprofile_export_permission")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
