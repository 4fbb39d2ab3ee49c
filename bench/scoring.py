"""Priority rescoring after a policy change: one set-based UPDATE over every eligible order.

    python bench/scoring.py            # 100,000 eligible orders
    python bench/scoring.py --quick    # 20,000 eligible orders
    python bench/scoring.py --keep     # keep the benchmark database for the next run

Figure: wall time of ``orders_rescore`` (the CASE-expression UPDATE that also writes the
JSON breakdown).  Floor, measured in the same run on the same rows: a plain single
``UPDATE orders_order SET priority_score = priority_score + 0`` — the cost of touching
every row at all.  ratio = rescore / floor.  Per-row rescoring would be orders of
magnitude slower (one round trip per order); ``per_row_est_s`` extrapolates it from
500 orders scored one by one.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django  # noqa: E402

STATUSES = ["paid", "approved", "allocated", "on_hold"]
LEVELS = ["normal", "normal", "silver", "gold", "vip"]


def load(n: int) -> None:
    from django.db import connection

    from orders.models import Customer, Order, Shop, Sku

    have = Order.objects.count()
    if have >= n:
        return
    shop, _ = Shop.objects.get_or_create(code="bench-score", defaults={"channel": "taobao",
                                                                       "name": "bench"})
    customers = [Customer.objects.get_or_create(channel="taobao", channel_buyer_id=f"b{i}",
                                                defaults={"level": LEVELS[i % 5]})[0]
                 for i in range(50)]
    skus = [Sku.objects.get_or_create(code=f"BS-{i}", defaults={
        "name": f"bench {i}", "cold_chain": i % 4 == 0, "high_value": i % 5 == 0})[0]
        for i in range(20)]
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    cols = ("oid", "channel", "shop_id", "channel_order_id", "status", "channel_status",
            "hold_reason", "refund_status", "customer_id", "receiver_name", "receiver_phone",
            "receiver_province", "receiver_city", "receiver_district", "receiver_address",
            "receiver_masked", "goods_amount", "discount_amount", "shipping_amount", "tax_amount",
            "paid_amount", "currency", "presale", "cross_border", "buyer_message", "seller_memo",
            "paid_at", "promised_ship_by", "priority_score", "priority_breakdown", "routing",
            "carrier", "tracking_no", "created_at", "updated_at")
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY orders_order ({', '.join(cols)}) FROM STDIN") as copy:
            for i in range(have, n):
                status = STATUSES[i % len(STATUSES)]
                paid = Decimal(49 + (i * 37) % 5000)
                paid_at = now - timedelta(minutes=(i * 13) % 3000)
                copy.write_row((
                    uuid.uuid4(), "taobao", shop.id, f"{6100000000000000000 + i}", status, "X",
                    "review" if status == "on_hold" else "", "none", customers[i % 50].id,
                    "王*", "138****0000", "上海", "上海市", "", "***", True, paid, "0.00", "0.00",
                    "0.00", paid, "CNY", i % 9 == 0, False, "", "", paid_at,
                    paid_at + timedelta(hours=(i % 48)), "0", "[]", "{}", "", "", paid_at, paid_at,
                ))
        order_ids = list(Order.objects.filter(id__gt=0).order_by("id").values_list("id", flat=True)[have:n])
        with cursor.cursor.copy(
            "COPY orders_orderline (order_id, line_no, channel_line_id, channel_sku_id, "
            "merchant_code, sku_id, title, quantity, unit_price, amount, refund_status) FROM STDIN"
        ) as copy:
            for j, order_id in enumerate(order_ids):
                sku = skus[j % len(skus)]
                copy.write_row((order_id, 1, "", "", sku.code, sku.id, "bench", 1, "10.00",
                                "10.00", "none"))
        cursor.execute("ANALYZE orders_order; ANALYZE orders_orderline")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--orders", type=int)
    args = parser.parse_args()
    n = args.orders or (20_000 if args.quick else 100_000)
    old = _django.setup("_bench_scoring")
    try:
        from django.db import connection, transaction

        from orders.models import Order
        from warehouses.services.scoring import (
            SCORED_STATUSES,
            order_score,
            orders_rescore,
            scoring_policy_publish,
        )

        started = time.perf_counter()
        load(n)
        print(f"loaded {n} orders in {time.perf_counter() - started:.1f} s", flush=True)

        def rescore():
            with transaction.atomic():
                assert orders_rescore() == n

        def floor():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("UPDATE orders_order SET priority_score = priority_score + 0 "
                               "WHERE status = ANY(%s)", [list(SCORED_STATUSES)])
                assert cursor.rowcount == n

        scoring_policy_publish(values={"vip": 40, "amount_per_100": Decimal("2")}, rescore="no")
        repeat = 3
        rescore_ms = _django.timed(rescore, repeat=repeat)
        floor_ms = _django.timed(floor, repeat=repeat)

        sample = list(Order.objects.order_by("id")[:500])
        t0 = time.perf_counter()
        with transaction.atomic():
            for order in sample:
                order_score(order=order)
        per_row_est_s = (time.perf_counter() - t0) / len(sample) * n

        check = Order.objects.filter(status__in=SCORED_STATUSES).order_by("?")[:200]
        assert all(o.priority_score == sum(i["points"] for i in o.priority_breakdown) for o in check)
        _django.result(orders=n, rescore_s=rescore_ms / 1000, floor_s=floor_ms / 1000,
                       ratio=rescore_ms / floor_ms, per_row_est_s=per_row_est_s)
    finally:
        if not args.keep:
            _django.teardown(old)


if __name__ == "__main__":
    main()
