"""Factories for the channel adapters: platform shops, fixtures, signed Douyin pushes."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from orders.models import Shop

FIXTURES = Path(__file__).resolve().parent.parent / "channels_adapters" / "fixtures"

SHOPS = {
    "taobao": ("tb-flagship", "12497914", "tb-secret-0123456789"),
    "jd": ("jd-pop", "jd-app-77", "jd-secret-abcdef"),
    "pdd": ("pdd-store", "pdd-client-1", "pdd-secret-xyz"),
    "douyin": ("dy-shop", "7012345678901234567", "dy-secret-5f3c2b1a"),
}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def make_platform_shop(platform: str, *, api_base_url: str = "", **extra) -> Shop:
    code, app_key, secret = SHOPS[platform]
    shop, _ = Shop.objects.update_or_create(
        code=extra.pop("code", code),
        defaults={
            "channel": platform, "name": f"{platform} shop", "app_key": app_key,
            "app_secret": secret, "access_token": f"{platform}-token-1", "api_base_url": api_base_url,
            **extra,
        },
    )
    return shop


def douyin_push_body(*messages: dict) -> bytes:
    """A Doudian push body: a JSON array of {tag, msg_id, data (JSON string)}."""
    items = []
    for m in messages:
        data = m.get("data", {})
        items.append({"tag": m["tag"], "msg_id": m["msg_id"],
                      "data": data if isinstance(data, str) else json.dumps(data)})
    return json.dumps(items, ensure_ascii=False).encode()


def douyin_push_headers(body: bytes, *, app_key: str | None = None, secret: str | None = None,
                        hmac_sha256: bool = False) -> dict[str, str]:
    """Django test-client headers for a push signed the way Doudian signs it."""
    _, default_key, default_secret = SHOPS["douyin"]
    app_key, secret = app_key or default_key, secret or default_secret
    message = app_key.encode() + body + secret.encode()
    if hmac_sha256:
        sign = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    else:
        sign = hashlib.md5(message).hexdigest()
    headers = {"HTTP_APP_ID": app_key, "HTTP_EVENT_SIGN": sign}
    if hmac_sha256:
        headers["HTTP_SIGN_METHOD"] = "hmac-sha256"
    return headers


def douyin_detail(order_id: str, *, status: int = 2, update_time: int = 1764038100,
                  main_status: int | None = None, refund_line: bool = False, pay_amount: int = 25800,
                  lines: list[tuple[str, int, int]] | None = None) -> str:
    """A realistic shop_order_detail JSON text for the sandbox store (big ids as numbers)."""
    lines = lines or [("SERUM-30ML", 2, 12900)]
    sku_orders = []
    for i, (code, qty, price) in enumerate(lines, start=1):
        after = {"after_sale_status": 12, "after_sale_type": 2, "refund_status": 3} if (
            refund_line and i == len(lines)) else {"after_sale_status": 0, "after_sale_type": 0, "refund_status": 0}
        sku_orders.append(
            f'{{"order_id": {order_id[:-1]}{i % 10}, "parent_order_id": "{order_id}", '
            f'"sku_id": 17812345678901{i:02d}, "code": "{code}", "product_name": "商品 {code}", '
            f'"item_num": {qty}, "origin_amount": {price}, "sum_amount": {price * qty}, '
            f'"after_sale_info": {json.dumps(after)}}}'
        )
    goods = sum(q * p for _, q, p in lines)
    pay_time = 0 if status == 1 else 1764037815
    return (
        f'{{"order_id": {order_id}, "order_status": {status}, "main_status": {main_status or status}, '
        f'"create_time": 1764037800, "pay_time": {pay_time}, "update_time": {update_time}, '
        f'"pay_amount": {min(pay_amount, goods)}, "post_amount": 0, "order_amount": {goods}, '
        f'"doudian_open_id": "1@#buyer==", "encrypt_post_receiver": "#abc#cipherName==#1##", '
        f'"encrypt_post_tel": "$tel$cipher==$1$$", "mask_post_receiver": "赵**", '
        f'"post_addr": {{"province": {{"name": "浙江省"}}, "city": {{"name": "杭州市"}}, '
        f'"town": {{"name": "滨江区"}}, "street": {{"name": "长河街道"}}, "encrypt_detail": "#d#cipher==#1##"}}, '
        f'"sku_order_list": [{", ".join(sku_orders)}]}}'
    )
