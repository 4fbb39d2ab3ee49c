"""Demo wiring: sandbox ERP / WMS / CRM receivers and the subscriptions that feed them."""

from __future__ import annotations

from django.db import transaction

from ..models import Contract, PayloadVariant, SandboxReceiver, Subscription

DEMO = (
    # name, secret, event types ([] = all), contract
    ("erp", "erp-demo-secret-0123456789abcdef", [], {
        "name": "ERP (用友 U8 bridge)", "system": "ERP", "payload_variant": PayloadVariant.FULL,
        "timeout_seconds": 10, "max_requests_per_second": 50,
        "notes": "Takes every event with order lines; dedupes by event id.",
    }),
    ("wms", "wms-demo-secret-0123456789abcdef",
     ["order.approved", "order.allocated", "order.picking", "order.shipped", "order.cancelled"], {
        "name": "WMS (18-digit order numbers)", "system": "WMS",
        "order_number_length": 18, "order_number_prefix": "LZ",
        "order_number_charset": "digits", "max_requests_per_second": 20, "timeout_seconds": 5,
        "payload_variant": PayloadVariant.FULL,
        "notes": "Order number field is exactly 18 characters; at most 20 calls per second.",
    }),
    ("crm", "crm-demo-secret-0123456789abcdef",
     ["order.created", "order.paid", "order.delivered", "order.completed", "order.cancelled",
      "order.refund_changed"], {
        "name": "CRM (compact)", "system": "CRM", "payload_variant": PayloadVariant.COMPACT,
        "timeout_seconds": 5, "notes": "Only needs status changes for customer journeys.",
    }),
)


def subscribers_seed_demo(base_url: str) -> list[Subscription]:
    """Idempotent: receivers ``erp``, ``wms``, ``crm`` and subscriptions to them."""
    base = base_url.rstrip("/")
    subs = []
    with transaction.atomic():
        for name, secret, types, contract_data in DEMO:
            SandboxReceiver.objects.update_or_create(name=name, defaults={"secret": secret})
            contract, _ = Contract.objects.update_or_create(
                name=contract_data["name"],
                defaults={k: v for k, v in contract_data.items() if k != "name"})
            sub, _ = Subscription.objects.update_or_create(
                name=f"Sandbox {name.upper()}",
                defaults={"url": f"{base}/sandbox/receivers/{name}/", "secret": secret,
                          "event_types": types, "active": True, "contract": contract})
            subs.append(sub)
    return subs
