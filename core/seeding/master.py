"""Demo master data: shops (one sandbox shop per platform), SKUs, customers, warehouses."""

from __future__ import annotations

from decimal import Decimal

from orders.models import Customer, Shop, Sku
from warehouses.models import Warehouse

SANDBOX_BASE = "http://127.0.0.1:{port}/sandbox/{platform}/"

SHOPS = [
    ("taobao", "tb-demo", "天猫旗舰店 (sandbox)", "23456789"),
    ("jd", "jd-demo", "京东自营店 (sandbox)", "jd-app-demo"),
    ("pdd", "pdd-demo", "拼多多店 (sandbox)", "pdd-client-demo"),
    ("douyin", "dy-demo", "抖店 (sandbox)", "7000000000000000001"),
    ("manual", "manual", "线下/手工订单", ""),
]

SKUS = [
    ("TEA-LJ-250", "西湖龙井 250g", False, True, 300),
    ("TEA-PE-357", "普洱茶饼 357g", False, False, 400),
    ("MILK-FRESH-1L", "鲜牛奶 1L", True, False, 1050),
    ("YOG-GREEK-6", "希腊酸奶 6 杯装", True, False, 900),
    ("PHONE-X12", "智能手机 X12 256G", False, True, 450),
    ("EARBUD-P3", "无线耳机 P3", False, True, 120),
    ("RICE-WC-5KG", "五常大米 5kg", False, False, 5100),
    ("OIL-PEANUT-5L", "花生油 5L", False, False, 4700),
    ("TOWEL-COT-3", "纯棉毛巾 3 条", False, False, 360),
    ("MASK-N95-50", "N95 口罩 50 只", False, False, 500),
    ("BEEF-STEAK-1KG", "冷冻牛排 1kg", True, False, 1100),
    ("CHARGER-65W", "65W 快充充电器", False, False, 150),
]

WAREHOUSES = [
    ("SH-01", "上海嘉定仓", "own", "上海", "上海市", "31.383000", "121.250000", True, 3000),
    ("CD-01", "成都双流仓", "own", "四川", "成都市", "30.573000", "103.923000", False, 2000),
    ("BJ-3PL", "北京顺义三方仓", "3pl", "北京", "北京市", "40.130000", "116.654000", True, 2500),
    ("GZ-01", "广州白云仓", "own", "广东", "广州市", "23.233000", "113.273000", False, 2500),
    ("HZ-STORE", "杭州西湖门店", "store", "浙江", "杭州市", "30.259000", "120.130000", False, 200),
]


def seed(*, port: int = 8000) -> dict[str, int]:
    created = {"shops": 0, "skus": 0, "warehouses": 0, "customers": 0}
    for channel, code, name, app_key in SHOPS:
        platform = {"taobao": "taobao", "jd": "jd", "pdd": "pdd", "douyin": "douyin"}.get(channel)
        _, made = Shop.objects.get_or_create(
            code=code,
            defaults={
                "channel": channel, "name": name, "app_key": app_key,
                "app_secret": f"demo-secret-{code}" if platform else "",
                "access_token": f"demo-token-{code}" if platform else "",
                "api_base_url": SANDBOX_BASE.format(port=port, platform=platform) if platform else "",
            },
        )
        created["shops"] += made
    for code, name, cold, high, weight in SKUS:
        _, made = Sku.objects.get_or_create(
            code=code, defaults={"name": name, "cold_chain": cold, "high_value": high,
                                 "weight_g": weight},
        )
        created["skus"] += made
    for code, name, kind, province, city, lat, lng, cold, capacity in WAREHOUSES:
        _, made = Warehouse.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "province": province, "city": city,
                      "lat": Decimal(lat), "lng": Decimal(lng), "cold_chain": cold,
                      "daily_capacity": capacity},
        )
        created["warehouses"] += made
    levels = ["normal"] * 6 + ["silver"] * 2 + ["gold", "vip"]
    for channel in ("taobao", "jd", "pdd", "douyin"):
        for i, level in enumerate(levels, start=1):
            _, made = Customer.objects.get_or_create(
                channel=channel, channel_buyer_id=f"{channel}-buyer-{i:03d}",
                defaults={"nick": f"{channel}买家{i}", "level": level},
            )
            created["customers"] += made
    return created
