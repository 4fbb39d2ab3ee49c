from django.db import migrations

from core.groups import grant

VIEW = [
    "orders.view_order", "orders.view_orderline", "orders.view_orderevent", "orders.view_shop",
    "orders.view_sku", "orders.view_customer", "warehouses.view_warehouse",
    "invoicing.view_taxcode",
]

PERMISSIONS = {
    "warehouse": VIEW + [
        "orders.allocate_order", "orders.pick_order", "orders.ship_order", "orders.deliver_order",
        "orders.hold_order", "orders.change_sku", "warehouses.change_warehouse",
    ],
    "finance": VIEW + [
        "orders.pay_order", "orders.complete_order", "invoicing.add_taxcode",
        "invoicing.change_taxcode", "orders.change_sku",
    ],
    "ops": VIEW + [
        "orders.approve_order", "orders.approve_order_second_level", "orders.hold_order",
        "orders.release_order", "orders.cancel_order", "orders.add_shop", "orders.change_shop",
        "orders.add_sku", "orders.change_sku", "orders.change_customer",
        "warehouses.add_warehouse", "warehouses.change_warehouse",
    ],
}


def forwards(apps, schema_editor):
    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("warehouses", "0001_initial"),
        ("invoicing", "0001_initial"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
