"""Alert detection over 100,000 orders: set-based, one statement per alert kind.

    python bench/alerts.py            # 100,000 orders
    python bench/alerts.py --quick    # 20,000 orders
    python bench/alerts.py --keep     # keep the benchmark database for the next run

Loads orders in every status (with lines and timeline events; some with suspicious
addresses, unknown SKUs, cross-shop duplicates, status mismatches, out-of-stock holds,
dead-lettered deliveries) and runs ``alerts_detect()``:

* ``first``  — the run that opens every alert;
* ``steady`` — the next run (nothing to open or resolve: the cost paid every 2 minutes).

Both report wall time and the number of SQL statements.  Floor, measured in the same run:
a plain ``SELECT`` of the candidate rows (every order in an active status, all columns
the detectors read, fetched to the client) — what any detector that looked at orders in
Python would pay before doing anything.  ratio = steady / floor.  ``marked_ms``: the
event-driven path — drain 500 marked orders and re-evaluate only those.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django  # noqa: E402

STATUSES = ["paid", "approved", "allocated", "picking", "on_hold", "shipped", "completed",
            "cancelled"]
ACTIVE = ["paid", "on_hold", "approved", "allocated", "picking"]


def load(n: int) -> None:
    from django.db import connection

    from channels_adapters.subscribers.models import Subscription
    from orders.models import Customer, Order, Shop, Sku

    have = Order.objects.count()
    if have >= n:
        return
    shops = [Shop.objects.get_or_create(code=f"bench-alert-{k}", defaults={
        "channel": "taobao", "name": "bench"})[0] for k in range(2)]
    customers = [Customer.objects.get_or_create(channel="taobao", channel_buyer_id=f"b{i}",
                                                defaults={"level": ["normal", "gold", "vip"][i % 3]})[0]
                 for i in range(60)]
    skus = [Sku.objects.get_or_create(code=f"BA-{i}", defaults={"name": f"bench {i}"})[0]
            for i in range(30)]
    sub, _ = Subscription.objects.get_or_create(name="bench-erp", defaults={
        "url": "https://erp.example.com/hook", "secret": "s"})
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    cols = ("oid", "channel", "shop_id", "channel_order_id", "status", "channel_status",
            "hold_reason", "refund_status", "customer_id", "receiver_name", "receiver_phone",
            "receiver_province", "receiver_city", "receiver_district", "receiver_address",
            "receiver_masked", "goods_amount", "discount_amount", "shipping_amount", "tax_amount",
            "paid_amount", "currency", "presale", "cross_border", "buyer_message", "seller_memo",
            "paid_at", "promised_ship_by", "priority_score", "priority_breakdown", "routing",
            "carrier", "tracking_no", "created_at", "updated_at")
    rows = []
    for i in range(have, n):
        status = STATUSES[i % len(STATUSES)]
        dup = i % 1000 == 1
        j = i - 1 if dup else i
        at = now - timedelta(minutes=(j * 7) % 6000)
        hold = ("out_of_stock" if i % 5 == 0 else "review") if status == "on_hold" else ""
        rows.append((
            uuid.uuid4(), "taobao", shops[1 if dup else 0].id, f"{7100000000000000000 + i}",
            status, "X", hold, "none", customers[j % 60].id, f"王{j}", f"138{j:08d}",
            "上海", "上海市", "" if j % 50 == 0 else "浦东新区",
            "大道1" if j % 97 == 0 else f"世纪大道 {j % 900} 号", False, "10.00", "0.00",
            "0.00", "0.00", "10.00", "CNY", False, False, "", "", at, at + timedelta(hours=24),
            "0", "[]", "{}", "", "", at, at,
        ))
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY orders_order ({', '.join(cols)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        ids = list(Order.objects.order_by("id").values_list("id", "oid", "status",
                                                            "created_at")[have:n])
        with cursor.cursor.copy(
            "COPY orders_orderline (order_id, line_no, channel_line_id, channel_sku_id, "
            "merchant_code, sku_id, title, quantity, unit_price, amount, refund_status) FROM STDIN"
        ) as copy:
            for k, (order_id, _oid, _status, _at) in enumerate(ids):
                i = have + k
                j = i - 1 if i % 1000 == 1 else i
                sku = None if j % 200 == 0 else skus[j % 30]
                copy.write_row((order_id, 1, "", "", sku.code if sku else f"UNK-{j}",
                                sku.id if sku else None, "bench", 1 + j % 3, "10.00", "10.00",
                                "none"))
        with cursor.cursor.copy(
            "COPY orders_orderevent (order_id, type, source, occurred_at, payload) FROM STDIN"
        ) as copy:
            for k, (order_id, _oid, status, at) in enumerate(ids):
                copy.write_row((order_id, "order.created", "bench", at, "{}"))
                copy.write_row((order_id, f"order.{status}", "bench", at + timedelta(minutes=1),
                                "{}"))
                if status == "shipped" and (have + k) % 500 == 5:
                    copy.write_row((order_id, "order.status_mismatch", "bench", at,
                                    '{"ours": "shipped", "channel": "X", '
                                    '"channel_says": "cancelled"}'))
        cursor.execute("INSERT INTO subscribers_outboxevent (event_id, type, oid, data, "
                       "occurred_at, created_at) SELECT gen_random_uuid(), 'order.paid', o.oid, "
                       "'{}', now(), now() FROM orders_order o WHERE o.id % 700 = 3")
        cursor.execute("INSERT INTO subscribers_delivery (id, subscription_id, event_id, oid, seq, "
                       "event_type, status, attempts, attempt_limit, next_attempt_at, body, "
                       "last_error, created_at) SELECT gen_random_uuid(), %s, e.id, e.oid, e.id, "
                       "e.type, 'dead', 12, 12, now(), '', '', now() "
                       "FROM subscribers_outboxevent e", [sub.pk])
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--orders", type=int)
    args = parser.parse_args()
    n = args.orders or (20_000 if args.quick else 100_000)
    old = _django.setup("_bench_alerts")
    try:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from orders.alerts.models import Alert, DirtyOrder
        from orders.alerts.services.detection import alerts_detect, alerts_detect_marked

        started = time.perf_counter()
        load(n)
        print(f"loaded {n} orders in {time.perf_counter() - started:.1f} s", flush=True)
        Alert.objects.all().delete()

        def run():
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                result = alerts_detect()
                ms = (time.perf_counter() - t0) * 1000
            statements = [q for q in ctx.captured_queries
                          if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
            return result, ms, len(statements)

        first, first_ms, first_q = run()
        print("opened:", first.as_json()["opened"], flush=True)
        again, steady_ms, steady_q = run()
        assert not again.opened_ids and not any(again.resolved.values()), again.as_json()
        samples = [run()[1] for _ in range(2)]
        steady_ms = sorted([steady_ms, *samples])[1]

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, oid, status, hold_reason, customer_id, receiver_name, "
                    "receiver_phone, receiver_province, receiver_city, receiver_district, "
                    "receiver_address, receiver_masked, paid_at, promised_ship_by, created_at "
                    "FROM orders_order WHERE status = ANY(%s)", [ACTIVE])
                return len(cursor.fetchall())

        floor_ms = _django.timed(floor, repeat=3)

        marked = list(Alert.objects.values_list("order_id", flat=True)[:250])
        marked += list(range(1, 251))
        DirtyOrder.objects.bulk_create(
            [DirtyOrder(order_id=pk, marked_at=timezone.now()) for pk in set(marked)],
            ignore_conflicts=True)
        t0 = time.perf_counter()
        alerts_detect_marked()
        marked_ms = (time.perf_counter() - t0) * 1000

        open_total = Alert.objects.filter(resolved_at__isnull=True).count()
        _django.result(orders=n, open_alerts=open_total, first_s=first_ms / 1000,
                       first_queries=first_q, steady_s=steady_ms / 1000, queries=steady_q,
                       floor_s=floor_ms / 1000, ratio=steady_ms / floor_ms,
                       marked_500_ms=marked_ms)
    finally:
        if not args.keep:
            _django.teardown(old)


if __name__ == "__main__":
    main()
