"""Default stuck-order SLAs, fulfilment policies per customer level, group permissions."""

from decimal import Decimal

from django.db import migrations

from core.groups import grant

A = "alerts."
PERMISSIONS = {
    "ops": [
        A + "view_alert", A + "change_alert", A + "acknowledge_alert", A + "run_detection",
        A + "view_stuckrule", A + "add_stuckrule", A + "change_stuckrule",
        A + "view_fulfilmentpolicy", A + "change_fulfilmentpolicy",
        A + "view_alertnotificationrule", A + "add_alertnotificationrule",
        A + "change_alertnotificationrule", A + "delete_alertnotificationrule",
        A + "view_fulfilmentdecision", A + "choose_fulfilment_option",
        A + "view_compensation", A + "view_inboundshipment",
    ],
    "warehouse": [
        A + "view_alert", A + "acknowledge_alert",
        A + "view_inboundshipment", A + "add_inboundshipment", A + "change_inboundshipment",
        A + "view_inboundline", A + "add_inboundline", A + "change_inboundline",
        A + "delete_inboundline",
        A + "view_fulfilmentdecision", A + "choose_fulfilment_option",
    ],
    "finance": [A + "view_alert", A + "view_compensation", A + "view_fulfilmentdecision"],
}

STUCK = [
    # status, minutes, from promised ship-by, severity, active
    ("paid", 30, False, "medium", True),
    ("approved", 120, False, "medium", True),
    ("picking", 0, True, "high", True),
    ("allocated", 240, False, "medium", True),
    ("on_hold", 24 * 60, False, "low", False),
]

POLICIES = [
    # level, proactive, coupon, discount %
    ("normal", False, "0.00", "0"),
    ("silver", False, "5.00", "5"),
    ("gold", True, "20.00", "10"),
    ("vip", True, "50.00", "15"),
]


def forwards(apps, schema_editor):
    grant(apps, PERMISSIONS)
    StuckRule = apps.get_model("alerts", "StuckRule")
    for status, minutes, ship_by, severity, active in STUCK:
        StuckRule.objects.get_or_create(status=status, defaults={
            "max_minutes": minutes, "use_promised_ship_by": ship_by, "severity": severity,
            "active": active})
    Policy = apps.get_model("alerts", "FulfilmentPolicy")
    for level, proactive, coupon, discount in POLICIES:
        Policy.objects.get_or_create(level=level, defaults={
            "offer_proactively": proactive, "preorder_coupon": Decimal(coupon),
            "substitute_discount_percent": Decimal(discount)})


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial"), ("orders", "0002_groups")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
