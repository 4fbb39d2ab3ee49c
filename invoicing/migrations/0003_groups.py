from django.db import migrations

from core.groups import grant

MODELS = ["taxcode", "sellerentity", "taxprofile", "taxprofileversion", "ordertaxprofile",
          "invoicerequest", "invoice", "gatewayattempt", "invoiceevent"]
VIEW = [f"invoicing.view_{m}" for m in MODELS]
FINANCE = VIEW + [
    "invoicing.add_taxcode", "invoicing.change_taxcode",
    "invoicing.add_sellerentity", "invoicing.change_sellerentity",
    "invoicing.add_taxprofile", "invoicing.change_taxprofile",
    "invoicing.add_invoicerequest", "invoicing.change_invoicerequest",
    "invoicing.submit_invoicerequest", "invoicing.red_invoice",
    "invoicing.change_invoice",
]


def forwards(apps, schema_editor):
    grant(apps, {"finance": FINANCE, "ops": VIEW})


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0002_invoicing_models"),
        ("orders", "0002_groups"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
