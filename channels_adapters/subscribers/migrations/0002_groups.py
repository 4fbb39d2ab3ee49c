from django.db import migrations

from core.groups import grant

VIEW = [
    "subscribers.view_subscription", "subscribers.view_contract", "subscribers.view_delivery",
    "subscribers.view_deliveryattempt", "subscribers.view_outboxevent",
]

PERMISSIONS = {
    "warehouse": VIEW,
    "finance": VIEW,
    "ops": VIEW + [
        "subscribers.add_subscription", "subscribers.change_subscription",
        "subscribers.add_contract", "subscribers.change_contract",
        "subscribers.retry_delivery", "subscribers.view_sandboxreceiver",
        "subscribers.change_sandboxreceiver", "subscribers.view_receivedwebhook",
    ],
}


def forwards(apps, schema_editor):
    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0001_initial"),
        ("orders", "0002_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
