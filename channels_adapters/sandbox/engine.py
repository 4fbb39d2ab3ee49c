"""Driving the sandbox platforms: create and advance orders, emit their pushes with chaos.

* Taobao: every change queues a TMC message (consumed by our listener).
* Douyin: every change queues a push, POSTed to our ``/hooks/douyin/<shop>/`` by
  ``douyin_pushes_send``.
* JD and PDD push nothing: their changes wait in the incremental lists.  PDD's list
  shows a change only after an index lag of up to 150 s (why its docs say to keep
  the window end 3 minutes behind).

Chaos (``Chaos``) decides per message: dropped, duplicated (same message id, as a
redelivery), delayed; reordering comes from random delays and shuffled batches.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from channels_adapters import clock
from channels_adapters.platforms import http
from channels_adapters.platforms.douyin import Douyin
from orders.models import Shop

from . import douyin as dy_sandbox
from . import jd as jd_sandbox
from . import orders, store
from . import pdd as pdd_sandbox
from . import taobao as tb_sandbox

RENDER = {"taobao": tb_sandbox.render, "jd": jd_sandbox.render, "pdd": pdd_sandbox.render,
          "douyin": dy_sandbox.render}
PDD_INDEX_LAG = 150  # seconds, at most


@dataclass(frozen=True)
class Chaos:
    drop: float = 0.0
    duplicate: float = 0.0
    max_delay: float = 0.0  # seconds; a random delay up to this reorders messages too
    reorder: bool = False  # shuffle each push batch

    @classmethod
    def storm(cls) -> Chaos:
        return cls(drop=0.10, duplicate=0.10, max_delay=20.0, reorder=True)


CALM = Chaos()


@dataclass
class EmitStats:
    versions: int = 0
    messages: int = 0
    dropped: int = 0
    duplicated: int = 0


def _save(shop: Shop, state: dict, rng: random.Random) -> None:
    modified = orders.modified(state)
    visible_at = None
    if shop.channel == "pdd":
        visible_at = modified + timedelta(seconds=rng.uniform(0, PDD_INDEX_LAG))
    store.sandbox_document_put(
        platform=shop.channel, app_key=shop.app_key, order_id=state["id"], body=RENDER[shop.channel](state),
        state=state, modified=modified, visible_at=visible_at,
    )


def _message_id(shop: Shop, state: dict, rng: random.Random) -> str:
    if shop.channel == "taobao":  # TMC ids are int64 beyond 2^53
        return str(rng.randrange(6_100_000_000_000_000_000, 9_200_000_000_000_000_000))
    tag = dy_sandbox.TAGS[state["stage"]]
    return f"{rng.randrange(10**16, 10**17)}::{tag}:{orders.unix(state['modified'])}:{rng.randrange(10**16, 10**17)}"


def _emit(shop: Shop, state: dict, chaos: Chaos, rng: random.Random, stats: EmitStats) -> None:
    if shop.channel not in ("taobao", "douyin"):
        return
    if rng.random() < chaos.drop:
        stats.dropped += 1
        return
    if shop.channel == "taobao":
        topic, content = tb_sandbox.TOPICS[state["stage"]], tb_sandbox.message_content(state)
    else:
        topic, content = str(dy_sandbox.TAGS[state["stage"]]), dy_sandbox.push_data(state)
    msg_id = _message_id(shop, state, rng)
    copies = 2 if rng.random() < chaos.duplicate else 1
    stats.duplicated += copies - 1
    for _ in range(copies):
        delay = timedelta(seconds=rng.uniform(0, chaos.max_delay)) if chaos.max_delay else timedelta(0)
        store.sandbox_message_put(platform=shop.channel, app_key=shop.app_key, msg_id=msg_id, topic=topic,
                                  order_id=state["id"], content=content, available_at=clock.now() + delay)
        stats.messages += 1


def sandbox_order_create(*, shop: Shop, rng: random.Random, chaos: Chaos = CALM, stage: str | None = None,
                         stats: EmitStats | None = None) -> dict:
    """A new order on the shop's sandbox platform (and its first push)."""
    stats = stats or EmitStats()
    with transaction.atomic():
        while True:
            state = orders.new_state(shop.channel, at=clock.now(), rng=rng, stage=stage)
            if store.sandbox_state_get(platform=shop.channel, app_key=shop.app_key, order_id=state["id"]) is None:
                break
        _save(shop, state, rng)
        _emit(shop, state, chaos, rng, stats)
        stats.versions += 1
    return state


def sandbox_order_apply(*, shop: Shop, order_id: str, stage: str | None = None, rng: random.Random | None = None,
                        chaos: Chaos = CALM, carrier: str = "", tracking_no: str = "",
                        stats: EmitStats | None = None) -> dict | None:
    """Move one sandbox order to its next stage (or ``stage``); None when it is final."""
    rng = rng or random.Random()
    stats = stats or EmitStats()
    with transaction.atomic():
        state = store.sandbox_state_get(platform=shop.channel, app_key=shop.app_key, order_id=order_id)
        if not state:
            return None
        new = orders.advance(state, at=clock.now(), rng=rng, stage=stage)
        if new is None:
            return None
        if carrier or tracking_no:
            new["carrier"], new["tracking"] = carrier, tracking_no
        _save(shop, new, rng)
        _emit(shop, new, chaos, rng, stats)
        stats.versions += 1
    return new


# ----------------------------------------------------------------------------- Douyin push sender


@dataclass
class PushStats:
    requests: int = 0
    messages: int = 0
    failed: int = 0


def douyin_pushes_send(*, base_url: str, batch: int = 20, reorder: bool = False,
                       rng: random.Random | None = None, limit: int = 10_000) -> PushStats:
    """POST due Doudian pushes to ``<base_url>/hooks/douyin/<shop>/``, signed like Doudian signs.

    Each request carries up to ``batch`` messages of one shop as a JSON array.  A
    message whose request fails is tried again on a later round.
    """
    rng = rng or random.Random()
    stats = PushStats()
    rows = store.sandbox_messages_take(platform="douyin", app_key=None, limit=limit,
                                       redeliver_after=timedelta(seconds=30))
    shops = {s.app_key: s for s in Shop.objects.filter(channel="douyin", app_key__in={r.app_key for r in rows})}
    by_app: dict[str, list] = {}
    for row in rows:
        by_app.setdefault(row.app_key, []).append(row)
    for app_key, items in by_app.items():
        shop = shops.get(app_key)
        if shop is None:
            continue
        if reorder:
            rng.shuffle(items)
        for i in range(0, len(items), batch):
            chunk = items[i:i + batch]
            body = ("[" + ",".join(
                json.dumps({"tag": r.topic, "msg_id": r.msg_id, "data": r.content}, ensure_ascii=False)
                for r in chunk) + "]").encode("utf-8")
            sign = Douyin.push_sign(body=body, app_key=shop.app_key, secret=shop.app_secret)
            url = f"{base_url.rstrip('/')}/hooks/douyin/{shop.code}/"
            headers = {"Content-Type": "application/json", "app-id": shop.app_key, "event-sign": sign}
            stats.requests += 1
            try:
                raw = http.call(url, body=body, headers=headers, timeout=10)
                ok = json.loads(raw).get("code") == 0
            except (http.GatewayError, ValueError):
                ok = False
            ids = [r.pk for r in chunk]
            if ok:
                store.sandbox_messages_mark_sent(ids=ids)
                stats.messages += len(chunk)
            else:
                store.sandbox_messages_release(ids=ids)
                stats.failed += len(chunk)
    return stats


def sandbox_latest(*, platform: str | None = None) -> dict[tuple[str, str], datetime]:
    """(app_key, order_id) → the platform's modified time of every sandbox order."""
    from channels_adapters.models import SandboxDocument

    qs = SandboxDocument.objects.all()
    if platform:
        qs = qs.filter(platform=platform)
    return {(a, o): m for a, o, m in qs.values_list("app_key", "order_id", "modified")}
