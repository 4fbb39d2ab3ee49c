"""Sandbox orders: a platform-neutral state that each fake platform renders natively.

A sandbox order has a *stage* (``pending``, ``paid``, ``hold``, ``refund_requested``,
``shipped``, ``delivered``, ``completed``, ``cancelled``, ``refunded``) and moves
along the paths its platform allows.  Each platform module in this package turns
the state into its own document (big ids as JSON numbers, masked or encrypted
receivers, fen or yuan, its own time format).  Data comes from ``faker`` zh_CN.
"""

from __future__ import annotations

import base64
import random
from datetime import datetime, timedelta
from decimal import Decimal

from channels_adapters.platforms.base import SHANGHAI

# Demo SKUs (core.seeding.master) with list prices in yuan.
CATALOGUE = [
    ("TEA-LJ-250", "西湖龙井 250g 礼盒", "199.00"), ("TEA-PE-357", "普洱茶饼 357g", "268.00"),
    ("MILK-FRESH-1L", "鲜牛奶 1L", "15.90"), ("YOG-GREEK-6", "希腊酸奶 6 杯装", "39.90"),
    ("PHONE-X12", "智能手机 X12 256G", "3999.00"), ("EARBUD-P3", "无线耳机 P3", "499.00"),
    ("RICE-WC-5KG", "五常大米 5kg", "89.90"), ("OIL-PEANUT-5L", "花生油 5L", "109.00"),
    ("TOWEL-COT-3", "纯棉毛巾 3 条", "45.00"), ("MASK-N95-50", "N95 口罩 50 只", "79.00"),
    ("BEEF-STEAK-1KG", "冷冻牛排 1kg", "158.00"), ("CHARGER-65W", "65W 快充充电器", "129.00"),
]
CARRIERS = [("SF", "顺丰速运"), ("YTO", "圆通速递"), ("ZTO", "中通快递"), ("YUNDA", "韵达快递"),
            ("JD", "京东物流")]

# Where each platform's orders may go next (weights), from a stage.
PATHS: dict[str, dict[str, list[tuple[str, int]]]] = {
    "taobao": {
        "pending": [("paid", 8), ("cancelled", 2)],
        "paid": [("shipped", 7), ("refund_requested", 2), ("hold", 1)],
        "hold": [("paid", 1)],
        "refund_requested": [("refunded", 1)],
        "shipped": [("delivered", 1)],
        "delivered": [("completed", 1)],
    },
    "jd": {
        "paid": [("shipped", 8), ("cancelled", 1), ("hold", 1)],
        "hold": [("paid", 1)],
        "shipped": [("completed", 1)],
    },
    "pdd": {
        "pending": [("paid", 8), ("cancelled", 2)],
        "paid": [("shipped", 7), ("refund_requested", 2), ("hold", 1)],
        "hold": [("paid", 1)],
        "refund_requested": [("refunded", 1)],
        "shipped": [("delivered", 1)],
    },
    "douyin": {
        "pending": [("paid", 8), ("cancelled", 2)],
        "paid": [("shipped", 7), ("refund_requested", 2)],
        "refund_requested": [("refunded", 1)],
        "shipped": [("completed", 1)],
    },
}
FIRST_STAGES = {"taobao": [("pending", 2), ("paid", 8)], "jd": [("paid", 1)],
                "pdd": [("pending", 2), ("paid", 8)], "douyin": [("pending", 2), ("paid", 8)]}

_faker = {}


def faker(seed: int | None = None):
    from faker import Faker

    if "zh" not in _faker:
        _faker["zh"] = Faker("zh_CN")
    if seed is not None:
        _faker["zh"].seed_instance(seed)
    return _faker["zh"]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([s for s, _ in weighted], weights=[w for _, w in weighted])[0]


def new_order_id(platform: str, rng: random.Random, at: datetime) -> str:
    if platform == "taobao":  # 19-digit tid, beyond 2^53
        return str(rng.randrange(3_000_000_000_000_000_000, 4_000_000_000_000_000_000))
    if platform == "jd":
        return str(rng.randrange(280_000_000_000, 299_999_999_999))
    if platform == "pdd":
        return f"{at.astimezone(SHANGHAI):%y%m%d}-{rng.randrange(10**14, 10**15):015d}"
    return str(rng.randrange(4_700_000_000_000_000_000, 6_999_999_999_999_999_999))


def stamp(at: datetime) -> str:
    return at.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def new_state(platform: str, *, at: datetime, rng: random.Random, stage: str | None = None) -> dict:
    """A fresh order: 1–3 lines, faker receiver, sometimes presale or cross-border."""
    fake = faker()
    order_id = new_order_id(platform, rng, at)
    lines = []
    for i, (code, title, price) in enumerate(rng.sample(CATALOGUE, rng.choice([1, 1, 1, 2, 3])), start=1):
        lines.append({
            "code": code, "title": title, "price": price, "qty": rng.choice([1, 1, 2, 3]),
            "line_id": order_id[:-1] + str(i) if platform in ("taobao", "douyin") else "",
            "sku_id": str(rng.randrange(10**12, 10**13)), "refund": "none",
        })
    goods = sum(Decimal(x["price"]) * x["qty"] for x in lines)
    discount = (goods * Decimal(rng.choice([0, 0, 5, 10])) / 100).quantize(Decimal("0.01"))
    cross_border = rng.random() < 0.08
    stage = stage or _pick(rng, FIRST_STAGES[platform])
    return {
        "platform": platform, "id": order_id, "stage": stage, "seq": 1,
        "created": stamp(at), "paid": stamp(at) if stage != "pending" else None, "shipped": None,
        "modified": stamp(at), "lines": lines,
        "shipping": rng.choice(["0.00", "0.00", "8.00", "10.00"]), "discount": str(discount),
        "tax": str((goods * Decimal("0.091")).quantize(Decimal("0.01"))) if cross_border else "0.00",
        "presale": rng.random() < 0.1, "cross_border": cross_border,
        "receiver": {"name": fake.name(), "phone": fake.phone_number(), "province": fake.province(),
                     "city": fake.city(), "district": fake.district() + "区",
                     "address": fake.street_address()},
        "buyer": {"id": "AAH" + base64.b64encode(rng.randbytes(15)).decode().rstrip("="),
                  "nick": fake.user_name()[:2] + "**"},
        "memo": rng.choice(["", "", "请尽快发货", "不要放快递柜", "周末送货"]),
        "carrier": "", "tracking": "",
    }


def next_stage(state: dict, rng: random.Random) -> str | None:
    options = PATHS[state["platform"]].get(state["stage"])
    return _pick(rng, options) if options else None


def advance(state: dict, *, at: datetime, rng: random.Random, stage: str | None = None) -> dict | None:
    """The order's next version (a new dict), or None when it is final."""
    stage = stage or next_stage(state, rng)
    if stage is None:
        return None
    out = {**state, "lines": [dict(x) for x in state["lines"]], "stage": stage, "seq": state["seq"] + 1}
    # The platform's modified time always moves forward, by at least a second.
    previous = datetime.fromisoformat(state["modified"])
    out["modified"] = stamp(max(at, previous + timedelta(seconds=1)).replace(microsecond=0))
    if stage == "paid" and not out["paid"]:
        out["paid"] = out["modified"]
    if stage == "shipped":
        code, _ = rng.choice(CARRIERS)
        out["carrier"], out["tracking"] = code, f"{code}{rng.randrange(10**11, 10**12)}"
        out["shipped"] = out["modified"]
    if stage == "refund_requested":
        out["lines"][-1]["refund"] = "requested"
    if stage == "refunded":
        for line in out["lines"]:
            line["refund"] = "refunded"
    return out


def ship(state: dict, *, at: datetime, carrier: str, tracking_no: str) -> dict:
    out = advance(state, at=at, rng=random.Random(0), stage="shipped")
    out["carrier"], out["tracking"] = carrier, tracking_no
    return out


def modified(state: dict) -> datetime:
    return datetime.fromisoformat(state["modified"])


def money(state: dict) -> dict[str, Decimal]:
    goods = sum((Decimal(x["price"]) * x["qty"] for x in state["lines"]), Decimal("0.00"))
    discount, shipping, tax = (Decimal(state[k]) for k in ("discount", "shipping", "tax"))
    return {"goods": goods, "discount": discount, "shipping": shipping, "tax": tax,
            "paid": goods - discount + shipping + tax}


def mask_name(name: str) -> str:
    return name[:1] + "**"


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def cipher(prefix: str, text: str, rng: random.Random | None = None) -> str:
    """A platform-style ciphertext blob (not reversible here: it only has to look the part)."""
    rng = rng or random.Random(text)
    blob = base64.b64encode(rng.randbytes(24)).decode()
    return {"tb": f"~{blob}~1~", "jd": f"AAS/{blob}", "pdd": f"~{blob}~0~",
            "dy": f"#{blob[:6]}#{blob}#1##"}[prefix]


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def fmt(value: str | None) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in Shanghai ('' for none) — TOP, JD and PDD time strings."""
    return f"{when(value).astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}" if value else ""


def unix(value: str | None) -> int:
    return int(when(value).timestamp()) if value else 0
