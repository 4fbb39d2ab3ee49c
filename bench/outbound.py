"""Batch outbound throughput: plan + execute N approved orders over 5 warehouses.

    python bench/outbound.py            # 10,000 orders
    python bench/outbound.py --quick    # 2,000 orders (< 1 min)
    python bench/outbound.py --keep     # keep the benchmark database

Figure: wall time of ``outbound_batch_create`` (plan) + ``outbound_batch_execute`` +
``outbound_batch_run`` (reserve, waves, pick lists, sandbox tracking numbers, label PDFs,
``picking`` → ``shipped`` with stock consumed and outbox rows), in one process: the run
allocates chunk after chunk while a second thread of it (its own connection) takes each
chunk's waves through tracking, labels and handover, as the worker does.
orders/s = N / that time.

Floor, measured in the same run: bulk SQL that writes the *same rows* the run wrote —
COPY of every inserted row (batch orders, waves with their PDF bytes, parcels, pick-list
lines, reservations, carrier waybills, order events, outbox events) into empty twins of
the tables (``LIKE … INCLUDING ALL``: same indexes and unique constraints), the
reservations deleted again, and the status UPDATEs of every order and the stock counter
UPDATEs as ``UPDATE … FROM unnest(…)`` — in one transaction, rolled back.  The run
writes each order row twice (``approved → allocated → picking`` is one UPDATE since the
allocate step writes the row once, then ``shipped``), so the floor does two order
UPDATEs (it did three while the run wrote the row three times).
ratio = run / floor.  seed_ratio = orders/s / (500 orders / 180 s), the seed's figure.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django  # noqa: E402

WAREHOUSES = [  # code, name, province, city, lat, lng, carrier
    ("SH", "上海仓", "上海", "上海市", "31.230000", "121.474000", "ZTO"),
    ("CD", "成都仓", "四川", "成都市", "30.573000", "104.066000", "YTO"),
    ("GZ", "广州仓", "广东", "广州市", "23.129000", "113.264000", "JD"),
    ("BJ", "北京仓", "北京", "北京市", "39.904000", "116.407000", "ZTO"),
    ("WH", "武汉仓", "湖北", "武汉市", "30.593000", "114.305000", "YTO"),
]
N_SKUS = 300
SEED_RATE = 500 / 180


def load(n: int) -> None:
    from django.db import connection

    from orders.models import Order, Shop, Sku
    from warehouses.models import StockLevel, Warehouse

    shop, _ = Shop.objects.get_or_create(code="bench-out", defaults={"channel": "taobao",
                                                                     "name": "bench"})
    skus = [Sku.objects.get_or_create(code=f"OB-{i:03d}", defaults={
        "name": f"商品 {i}", "weight_g": 200 + (i % 7) * 150, "cold_chain": i % 50 == 0})[0]
        for i in range(N_SKUS)]
    warehouses = []
    for code, name, province, city, lat, lng, carrier in WAREHOUSES:
        w, _ = Warehouse.objects.update_or_create(code=code, defaults={
            "name": name, "province": province, "city": city, "lat": Decimal(lat),
            "lng": Decimal(lng), "daily_capacity": 1_000_000, "cold_chain": True,
            "default_carrier": carrier})
        warehouses.append(w)
    StockLevel.objects.bulk_create(
        [StockLevel(warehouse=w, sku=s, on_hand=100_000, bin_location=f"{'ABCDEFGH'[i % 8]}-"
                    f"{i // 8:02d}-{i % 3}") for w in warehouses for i, s in enumerate(skus)],
        ignore_conflicts=True)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    cols = ("oid", "channel", "shop_id", "channel_order_id", "status", "channel_status",
            "hold_reason", "refund_status", "receiver_name", "receiver_phone",
            "receiver_province", "receiver_city", "receiver_district", "receiver_address",
            "receiver_masked", "goods_amount", "discount_amount", "shipping_amount", "tax_amount",
            "paid_amount", "currency", "presale", "cross_border", "buyer_message", "seller_memo",
            "paid_at", "promised_ship_by", "priority_score", "priority_breakdown", "routing",
            "carrier", "tracking_no", "created_at", "updated_at")
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY orders_order ({', '.join(cols)}) FROM STDIN") as copy:
            for i in range(n):
                _, _, province, city, *_ = WAREHOUSES[i % 5]
                paid_at = now - timedelta(minutes=(i * 7) % 2000)
                copy.write_row((
                    uuid.uuid4(), "taobao", shop.id, f"{7100000000000000000 + i}", "approved",
                    "WAIT_SELLER_SEND_GOODS", "", "none", "王小明", "138****0000", province, city,
                    "", f"幸福路 {i % 900 + 1} 号", True, "59.70", "0.00", "0.00", "0.00",
                    "59.70", "CNY", False, False, "", "", paid_at, paid_at + timedelta(hours=24),
                    Decimal(i % 97), "[]", "{}", "", "", paid_at, paid_at))
        order_ids = list(Order.objects.filter(shop=shop).order_by("id").values_list("id", flat=True))
        with cursor.cursor.copy(
            "COPY orders_orderline (order_id, line_no, channel_line_id, channel_sku_id, "
            "merchant_code, sku_id, title, quantity, unit_price, amount, refund_status) FROM STDIN"
        ) as copy:
            for j, order_id in enumerate(order_ids):
                k = j % 10
                if k < 5:      # single item, 10 hot SKUs take most
                    picks = [(skus[(j * 7) % 10 if k < 3 else 10 + (j * 13) % 290], 1)]
                elif k < 9:    # multi-item
                    picks = [(skus[10 + (j * 3 + m * 11) % 290], 1 + m % 2) for m in range(1 + k % 3)]
                else:          # multi-unit
                    picks = [(skus[10 + (j * 17) % 290], 3)]
                seen = set()
                for line_no, (sku, qty) in enumerate(picks, start=1):
                    if sku.pk in seen:
                        continue
                    seen.add(sku.pk)
                    copy.write_row((order_id, line_no, f"L{line_no}", "", sku.code, sku.id, "bench",
                                    qty, "19.90", Decimal("19.90") * qty, "none"))
        cursor.execute("ANALYZE")


def floor_run(batch_id: int) -> float:
    """Write the same rows with bulk SQL (COPY / unnest UPDATE), in one rolled-back txn."""
    from django.db import connection, transaction

    from warehouses.models import BatchOrder

    order_ids = list(BatchOrder.objects.filter(batch_id=batch_id).values_list("order_id", flat=True))
    tables = {
        "warehouses_batchorder": f"SELECT * FROM warehouses_batchorder WHERE batch_id = {batch_id}",
        "warehouses_wave": f"SELECT * FROM warehouses_wave WHERE batch_id = {batch_id}",
        "warehouses_parcel": "SELECT p.* FROM warehouses_parcel p JOIN warehouses_batchorder b "
                             f"ON b.id = p.item_id WHERE b.batch_id = {batch_id}",
        "warehouses_picklistline": "SELECT l.* FROM warehouses_picklistline l JOIN warehouses_wave w "
                                   f"ON w.id = l.wave_id WHERE w.batch_id = {batch_id}",
        "warehouses_sandboxwaybill": "SELECT * FROM warehouses_sandboxwaybill",
        "orders_orderevent": "SELECT * FROM orders_orderevent WHERE order_id = ANY(%(ids)s) "
                             "AND type <> 'order.created'",
        "subscribers_outboxevent": "SELECT * FROM subscribers_outboxevent WHERE oid IN "
                                   "(SELECT oid FROM orders_order WHERE id = ANY(%(ids)s))",
    }
    data = {}
    with connection.cursor() as cursor:
        for table, query in tables.items():
            buf = io.BytesIO()
            with cursor.cursor.copy(f"COPY ({query.replace('%(ids)s', 'ARRAY' + str(order_ids))}) "
                                    "TO STDOUT") as copy:
                for chunk in copy:
                    buf.write(chunk)
            data[table] = buf.getvalue()
        cursor.execute("SELECT o.id, l.id, l.sku_id, l.quantity FROM orders_order o "
                       "JOIN orders_orderline l ON l.order_id = o.id WHERE o.id = ANY(%s)", [order_ids])
        lines = cursor.fetchall()
        cursor.execute("SELECT id FROM warehouses_stocklevel ORDER BY id")
        stock_ids = [r[0] for r in cursor.fetchall()]
    wh = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, payload in data.items():
            cursor.execute(f"CREATE TEMP TABLE f_{table} (LIKE {table} INCLUDING ALL) ON COMMIT DROP")
            with cursor.cursor.copy(f"COPY f_{table} FROM STDIN") as copy:
                copy.write(payload)
        cursor.execute("CREATE TEMP TABLE f_res (LIKE warehouses_reservation INCLUDING ALL) "
                       "ON COMMIT DROP")
        with cursor.cursor.copy("COPY f_res (order_id, line_id, warehouse_id, sku_id, quantity, "
                                "created_at) FROM STDIN") as copy:
            now = datetime.now(ZoneInfo("Asia/Shanghai"))
            for order_id, line_id, sku_id, qty in lines:
                copy.write_row((order_id, line_id, wh.get(order_id, 1), sku_id, qty, now))
        cursor.execute("DELETE FROM f_res")
        for status in ("picking", "shipped"):  # the run's two writes of each order row
            cursor.execute("UPDATE orders_order o SET status = v.s, updated_at = now() "
                           "FROM unnest(%s::bigint[], %s::text[]) AS v(id, s) WHERE o.id = v.id",
                           [order_ids, [status] * len(order_ids)])
        for _ in range(3):  # reserve, consume
            cursor.execute("UPDATE warehouses_stocklevel s SET reserved = reserved + 0 "
                           "FROM unnest(%s::bigint[]) AS v(id) WHERE s.id = v.id", [stock_ids])
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--orders", type=int)
    args = parser.parse_args()
    n = args.orders or (2_000 if args.quick else 10_000)
    old = _django.setup("_bench_outbound")
    try:
        from django.db import connection

        from orders.models import Order
        from warehouses.models import Parcel, Wave
        from warehouses.services.outbound import (
            outbound_batch_create,
            outbound_batch_execute,
            outbound_batch_run,
        )

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE orders_order, orders_orderevent, orders_orderline, "
                           "warehouses_reservation, warehouses_outboundbatch, "
                           "warehouses_sandboxwaybill, subscribers_outboxevent CASCADE")
        t0 = time.perf_counter()
        load(n)
        print(f"loaded {n} approved orders in {time.perf_counter() - t0:.1f} s", flush=True)
        oids = list(Order.objects.filter(status="approved").values_list("oid", flat=True))

        t0 = time.perf_counter()
        batch = outbound_batch_create(oids=oids, handover="auto", source="bench")
        plan_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        outbound_batch_execute(batch_id=batch.pk)
        batch = outbound_batch_run(batch_id=batch.pk)
        execute_s = time.perf_counter() - t1
        total_s = plan_s + execute_s
        assert batch.status == "done", (batch.status, batch.error)
        shipped = Order.objects.filter(status="shipped").count()
        numbers = Parcel.objects.values("tracking_no").distinct().count()
        assert shipped == n and numbers == Parcel.objects.count(), (shipped, numbers)
        waves = Wave.objects.filter(batch=batch).count()
        print(f"plan {plan_s:.2f} s, execute {execute_s:.2f} s, {waves} waves, "
              f"{Parcel.objects.count()} parcels", flush=True)

        floor_s = floor_run(batch.pk)
        rate = n / total_s
        _django.result(orders=n, warehouses=len(WAREHOUSES), plan_s=plan_s, execute_s=execute_s,
                       total_s=total_s, orders_per_s=rate, floor_s=floor_s,
                       floor_orders_per_s=n / floor_s, ratio=total_s / floor_s,
                       seed_ratio=rate / SEED_RATE)
    finally:
        if not args.keep:
            _django.teardown(old)


if __name__ == "__main__":
    main()
