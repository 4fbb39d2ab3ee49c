"""Default routing/approval rules, scoring policy v1, and group permissions."""

from decimal import Decimal

from django.db import migrations

from core.groups import grant

W = "warehouses."
PERMISSIONS = {
    "warehouse": [
        W + "view_stocklevel", W + "change_stocklevel", W + "import_stocklevel",
        W + "view_reservation", W + "view_stocksync",
        W + "view_routingrule", W + "add_routingrule", W + "change_routingrule",
        W + "delete_routingrule",
        W + "view_outboundorder", W + "change_outboundorder",
        W + "view_routedorder", W + "change_routedorder",
        W + "view_scoringpolicy", W + "view_revieworder",
        "orders.allocate_order",
    ],
    "ops": [
        W + "view_approvalrule", W + "add_approvalrule", W + "change_approvalrule",
        W + "delete_approvalrule",
        W + "view_scoringpolicy", W + "add_scoringpolicy", W + "activate_scoringpolicy",
        W + "view_pricefloor", W + "add_pricefloor", W + "change_pricefloor",
        W + "delete_pricefloor",
        W + "view_revieworder", W + "change_revieworder",
        W + "view_outboundorder", W + "view_routedorder", W + "view_stocklevel",
        W + "view_routingrule",
    ],
}

ROUTING = [
    ("Capacity left today", "capacity", 10),
    ("Cold chain capability", "cold_chain", 20),
    ("Single warehouse ships everything", "single", 50),
    ("Fewest packages", "fewest_packages", 60),
    ("Nearest warehouse", "nearest", 70),
]

APPROVAL = [
    ("Blacklisted customer", "blacklisted", None, "review", 10, True),
    ("Unknown SKU", "unknown_sku", None, "review", 20, True),
    ("Large order (≥ ¥50,000)", "amount_gte", Decimal("50000.00"), "second_review", 30, True),
    ("Cross-border", "cross_border", None, "second_review", 40, True),
    ("Presale", "presale", None, "second_review", 50, True),
    ("Below price floor", "below_price_floor", None, "review", 60, True),
    ("Address anomaly", "address_anomaly", None, "review", 70, True),
    ("Buyer message", "buyer_message", None, "review", 80, False),
]


def forwards(apps, schema_editor):
    grant(apps, PERMISSIONS)
    RoutingRule = apps.get_model("warehouses", "RoutingRule")
    ApprovalRule = apps.get_model("warehouses", "ApprovalRule")
    ScoringPolicy = apps.get_model("warehouses", "ScoringPolicy")
    if not RoutingRule.objects.exists():
        for name, kind, priority in ROUTING:
            RoutingRule.objects.create(name=name, kind=kind, priority=priority, params={})
    if not ApprovalRule.objects.exists():
        for name, condition, threshold, outcome, priority, active in APPROVAL:
            ApprovalRule.objects.create(name=name, condition=condition, threshold=threshold,
                                        outcome=outcome, priority=priority, active=active)
    if not ScoringPolicy.objects.exists():
        ScoringPolicy.objects.create(version=1, active=True, note="default")


class Migration(migrations.Migration):
    dependencies = [
        ("warehouses", "0002_stock_rules"),
        ("orders", "0002_groups"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
