"""Demo data of the channel adapters: sandbox orders on the four demo shops.

Called by ``python manage.py seed_demo`` (after the demo shops exist).  Each sandbox
platform gets a dozen orders in assorted states; nothing is ingested here — once
``make run`` is up, the TMC listener (Taobao), the push sender and hook (Douyin)
and the minute pulls (JD, PDD — PDD's 3 minutes behind) bring them in, which is
the demo of live sync.  Idempotent: a shop that already has sandbox orders is skipped.
"""

from __future__ import annotations

import random

from channels_adapters.models import SandboxDocument
from orders.models import Shop

DEMO_SHOPS = ("tb-demo", "jd-demo", "pdd-demo", "dy-demo")
PER_SHOP = 12


def seed(stdout=None) -> str:
    from channels_adapters.sandbox.engine import (
        EmitStats,
        sandbox_order_apply,
        sandbox_order_create,
    )

    rng = random.Random(20261111)
    made, skipped = 0, []
    stats = EmitStats()
    for shop in Shop.objects.filter(code__in=DEMO_SHOPS, active=True).exclude(app_key="").order_by("code"):
        if SandboxDocument.objects.filter(platform=shop.channel, app_key=shop.app_key).exists():
            skipped.append(shop.code)
            continue
        for i in range(PER_SHOP):
            state = sandbox_order_create(shop=shop, rng=rng, stats=stats)
            for _ in range(i % 3):  # a third stay as they are, the rest move on once or twice
                if sandbox_order_apply(shop=shop, order_id=state["id"], rng=rng, stats=stats) is None:
                    break
            made += 1
    text = f"sandbox orders created: {made} ({stats.versions} versions, {stats.messages} pushes queued)"
    if skipped:
        text += f"; already seeded: {', '.join(skipped)}"
    return text
