"""Demo orders, ingested through the real service so they have OIDs and timelines."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from faker import Faker

from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver
from orders.models import Order, Sku
from orders.services.ingest import order_ingest

from .master import SKUS

PRICES = {
    "TEA-LJ-250": "268.00", "TEA-PE-357": "139.00", "MILK-FRESH-1L": "15.90",
    "YOG-GREEK-6": "39.90", "PHONE-X12": "4999.00", "EARBUD-P3": "599.00",
    "RICE-WC-5KG": "69.90", "OIL-PEANUT-5L": "89.00", "TOWEL-COT-3": "49.00",
    "MASK-N95-50": "99.00", "BEEF-STEAK-1KG": "168.00", "CHARGER-65W": "129.00",
}
CHANNEL_STATUS = {
    "taobao": "WAIT_SELLER_SEND_GOODS", "jd": "WAIT_SELLER_STOCK_OUT", "pdd": "1", "douyin": "2",
}
SHOP_OF = {"taobao": "tb-demo", "jd": "jd-demo", "pdd": "pdd-demo", "douyin": "dy-demo"}


def _order_id(channel: str, n: int) -> str:
    if channel == "taobao":
        return f"{4100000000000000000 + n}"
    if channel == "jd":
        return f"{300000000000 + n}"
    if channel == "pdd":
        return f"261125-{100000000000000 + n}"
    return f"{6900000000000000000 + n}"


def seed(*, count: int = 40) -> int:
    """Ingest ``count`` deterministic orders; a second run finds them all and adds nothing."""
    fake = Faker("zh_CN")
    fake.seed_instance(20261125)
    rng = random.Random(20261125)
    # Modified seconds before we ingest them, as a live push would be, so the dashboard's sync
    # lag looks real; the ids are fixed, so a second run finds every order and adds nothing.
    base = timezone.now()
    known = set(Sku.objects.values_list("code", flat=True))
    created = 0
    for n in range(1, count + 1):
        channel = ("taobao", "jd", "pdd", "douyin")[n % 4]
        picks = rng.sample([code for code, *_ in SKUS], k=rng.choice([1, 1, 1, 2, 3]))
        lines = []
        for i, code in enumerate(picks, start=1):
            qty = rng.choice([1, 1, 2, 3])
            price = Decimal(PRICES[code])
            lines.append(CanonicalLine(
                sku=code if code in known else None, quantity=qty, unit_price=price,
                amount=price * qty, title=next(name for c, name, *_ in SKUS if c == code),
                channel_line_id=f"{n}-{i}", channel_sku_id=f"{channel}-{code}",
            ))
        goods = sum((line.amount for line in lines), Decimal("0.00"))
        discount = (goods * Decimal("0.05")).quantize(Decimal("0.01")) if n % 3 == 0 else Decimal("0.00")
        shipping = Decimal("0.00") if goods >= 99 else Decimal("8.00")
        modified = base - timedelta(seconds=rng.randint(1, 20))
        province = rng.choice(["上海", "四川", "北京", "广东", "浙江", "江苏"])
        canonical = CanonicalOrder(
            shop_code=SHOP_OF[channel], channel=channel, channel_order_id=_order_id(channel, n),
            status="pending_payment" if n % 10 == 0 else "paid",
            channel_status=CHANNEL_STATUS[channel], channel_modified_at=modified,
            channel_created_at=modified - timedelta(minutes=3),
            buyer=CanonicalBuyer(channel_buyer_id=f"{channel}-buyer-{(n % 10) + 1:03d}"),
            receiver=CanonicalReceiver(
                name=fake.name(), phone=fake.phone_number(), province=province,
                city=fake.city(), district=fake.district() + "区", address=fake.street_address(),
            ),
            goods=goods, discount=discount, shipping=shipping, paid=goods - discount + shipping,
            presale=n % 17 == 0, cross_border=n % 19 == 0,
            buyer_message="请尽快发货" if n % 5 == 0 else "",
            paid_at=None if n % 10 == 0 else modified - timedelta(minutes=2),
            promised_ship_by=modified + timedelta(hours=48),
            lines=tuple(lines),
        )
        exists = Order.objects.filter(shop__code=canonical.shop_code,
                                      channel_order_id=canonical.channel_order_id).exists()
        if not exists:
            order_ingest(canonical=canonical, source="demo")
            created += 1
    return created
