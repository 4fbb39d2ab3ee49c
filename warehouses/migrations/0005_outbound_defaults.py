"""Default wave templates and the outbound permissions of the staff groups."""

from django.db import migrations

from core.groups import grant

W = "warehouses."
PERMISSIONS = {
    "warehouse": [
        W + "view_outboundbatch", W + "add_outboundbatch", W + "change_outboundbatch",
        W + "execute_outboundbatch", W + "rollback_outboundbatch", W + "handover_outboundbatch",
        W + "view_batchorder", W + "view_wave", W + "view_parcel", W + "view_picklistline",
        W + "view_wavetemplate", W + "add_wavetemplate", W + "change_wavetemplate",
        W + "view_outboundfilter", W + "add_outboundfilter", W + "change_outboundfilter",
        W + "delete_outboundfilter",
        "orders.pick_order", "orders.ship_order",
    ],
    "ops": [
        W + "view_outboundbatch", W + "view_batchorder", W + "view_wave", W + "view_parcel",
        W + "view_wavetemplate", W + "view_outboundfilter",
    ],
}

TEMPLATES = [
    # kind, max orders, max lines, max weight g, hot threshold
    ("single_item", 200, 200, 300_000, 20),
    ("multi_item", 50, 250, 150_000, 20),
    ("hot_sku", 300, 300, 600_000, 20),
]


def forwards(apps, schema_editor):
    WaveTemplate = apps.get_model("warehouses", "WaveTemplate")
    for kind, orders, lines, weight, hot in TEMPLATES:
        WaveTemplate.objects.get_or_create(kind=kind, defaults={
            "max_orders": orders, "max_lines": lines, "max_weight_g": weight,
            "hot_min_orders": hot})
    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("warehouses", "0004_outbound"),
        ("orders", "0002_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
