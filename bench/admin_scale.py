"""Orders changelist at scale: our admin vs a plain ModelAdmin of the same model, same run.

    python bench/admin_scale.py            # 1,000,000 orders
    python bench/admin_scale.py --quick    # 100,000 orders
    python bench/admin_scale.py --keep     # keep the benchmark database for the next run

Rows are loaded with COPY. Each scenario (no filter, each single filter, each search) is
rendered several times; the figure is the median over scenarios of the per-scenario medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django  # noqa: E402

STATUSES = ["paid", "approved", "allocated", "picking", "shipped", "delivered", "completed",
            "cancelled", "on_hold", "pending_payment"]
CHANNELS = ["taobao", "jd", "pdd", "douyin"]


def load(n: int) -> None:
    from django.db import connection

    from orders.models import Order, Shop

    have = Order.objects.count()
    if have >= n:
        return
    shops = []
    for i, channel in enumerate(CHANNELS * 2):
        shop, _ = Shop.objects.get_or_create(code=f"bench-{i}", defaults={"channel": channel,
                                                                          "name": f"bench {i}"})
        shops.append(shop)
    base = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    cols = ("oid", "channel", "shop_id", "channel_order_id", "status", "channel_status",
            "hold_reason", "refund_status", "receiver_name", "receiver_phone",
            "receiver_province", "receiver_city", "receiver_district", "receiver_address",
            "receiver_masked", "goods_amount", "discount_amount", "shipping_amount", "tax_amount",
            "paid_amount", "currency", "presale", "cross_border", "buyer_message", "seller_memo",
            "priority_score", "priority_breakdown", "routing", "carrier", "tracking_no",
            "created_at", "updated_at")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY orders_order ({', '.join(cols)}) FROM STDIN") as copy:
            for i in range(have, n):
                shop = shops[i % len(shops)]
                status = STATUSES[(i * 7) % len(STATUSES)]
                created = base + timedelta(seconds=i * 20)
                copy.write_row((
                    uuid.uuid4(), shop.channel, shop.id, f"{5100000000000000000 + i}", status,
                    "X", "review" if status == "on_hold" else "",
                    "refunded" if i % 97 == 0 else "none", "王*", f"1{3800000000 + i:010d}",
                    "上海", "上海市", "浦东新区", "***", True, "199.00", "0.00", "0.00", "0.00",
                    "199.00", "CNY", False, False, "", "", "0", "[]", "{}", "", "", created,
                    created,
                ))
        cursor.execute("ANALYZE orders_order")


def scenarios(n: int) -> dict[str, str]:
    from orders.models import Order, Shop

    sample = Order.objects.order_by("id")[n // 2]
    shop = Shop.objects.filter(code="bench-3").first()
    return {
        "unfiltered": "",
        "status": "status__exact=shipped",
        "channel": "channel__exact=jd",
        "shop": f"shop__id__exact={shop.id}",
        "hold_reason": "hold_reason__exact=review",
        "refund_status": "refund_status__exact=refunded",
        "created_today": "created_at__gte=2026-03-01+00:00:00%2B08:00&created_at__lt=2026-03-02+00:00:00%2B08:00",
        "page_20": "p=20",
        "search_channel_order_id": f"q={sample.channel_order_id}",
        "search_phone": f"q={sample.receiver_phone}",
        "search_oid": f"q={sample.oid}",
    }


def plain_urlconf():
    """A plain ModelAdmin of the same model on its own AdminSite (Django's defaults)."""
    from django.contrib import admin
    from django.urls import path

    from orders.admin import OrderAdmin
    from orders.models import Order

    site = admin.AdminSite(name="plain")

    class PlainOrderAdmin(admin.ModelAdmin):
        list_display = OrderAdmin.list_display
        list_filter = OrderAdmin.list_filter
        list_select_related = OrderAdmin.list_select_related
        search_fields = ["oid", "channel_order_id", "receiver_phone"]
        ordering = OrderAdmin.ordering

    # The same columns: display methods of our admin are borrowed as they are.
    for name in OrderAdmin.list_display:
        if not hasattr(PlainOrderAdmin, name) and hasattr(OrderAdmin, name):
            setattr(PlainOrderAdmin, name, getattr(OrderAdmin, name))

    site.register(Order, PlainOrderAdmin)
    module = type(sys)("bench_plain_urls")
    module.urlpatterns = [path("plain/", site.urls), path("admin/", admin.site.urls)]
    sys.modules["bench_plain_urls"] = module
    return "bench_plain_urls"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--orders", type=int)
    args = parser.parse_args()
    n = args.orders or (100_000 if args.quick else 1_000_000)
    repeat = 3 if args.quick else 7

    old = _django.setup("_bench_admin")
    try:
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client, override_settings
        from django.test.utils import CaptureQueriesContext

        load(n)
        user, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True, "is_superuser": True})
        client = Client()
        client.force_login(user)
        ours, plain, queries = {}, {}, {}
        with override_settings(ROOT_URLCONF=plain_urlconf(), DEBUG=False):
            for name, query in scenarios(n).items():
                for label, prefix, store in (("ours", "/admin", ours), ("plain", "/plain", plain)):
                    url = f"{prefix}/orders/order/?{query}"

                    def get(url=url):
                        response = client.get(url)
                        assert response.status_code == 200, (url, response.status_code)

                    store[name] = _django.timed(get, repeat=repeat)
                    if label == "ours":
                        with CaptureQueriesContext(connection) as ctx:
                            get()
                        queries[name] = len(ctx)
                print(f"{name:26s} ours {ours[name]:8.1f} ms  plain {plain[name]:8.1f} ms  "
                      f"queries {queries[name]}", flush=True)
        ours_ms = statistics.median(ours.values())
        plain_ms = statistics.median(plain.values())
        _django.result(
            orders=n, ours_median_ms=ours_ms, ours_worst_ms=max(ours.values()),
            plain_median_ms=plain_ms, ratio_plain_over_ours=plain_ms / ours_ms,
            queries_min=min(queries.values()), queries_max=max(queries.values()),
        )
    finally:
        if not args.keep:
            _django.teardown(old)


if __name__ == "__main__":
    main()
