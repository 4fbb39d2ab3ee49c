"""``simulate``: an order storm from the sandbox platforms through the real chain.

Remote mode (default) drives a running server: orders are created and advanced in
the sandbox store, Doudian pushes are POSTed to ``<base_url>/hooks/douyin/…``, and
the server's own listener (TMC), worker (detail fetch + ingest) and scheduler
(JD/PDD pulls) bring them in; we wait until every order is in or time runs out.

In-process mode runs the same pieces here — the TMC listener rounds (with a
restart in the middle), the push sender, the ingest of archived pushes, the
pulls — through Django's test client on a simulated clock (``rate`` orders per
simulated second), which is what the tests and a quick demo use.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import timedelta

from channels_adapters import clock
from channels_adapters.models import InboundMessage, Outcome, SandboxDocument, SandboxMessage
from orders.models import Order, Shop

from .engine import (
    CALM,
    Chaos,
    EmitStats,
    douyin_pushes_send,
    sandbox_order_apply,
    sandbox_order_create,
)
from .inprocess import in_process


@dataclass
class Report:
    created: int = 0
    versions: int = 0
    emitted: int = 0
    dropped: int = 0
    duplicated: int = 0
    delivered: int = 0  # TMC messages consumed + Doudian pushes accepted
    ingested: int = 0  # sandbox orders we hold in their latest version
    total: int = 0
    lags: list[float] = field(default_factory=list)
    listener_restarts: int = 0

    def lines(self) -> list[str]:
        out = [f"created {self.created} orders ({self.versions} versions)",
               f"pushes emitted {self.emitted} (dropped {self.dropped}, duplicated {self.duplicated})",
               f"delivered {self.delivered}", f"ingested {self.ingested}/{self.total} in their latest state"]
        if self.lags:
            q = statistics.quantiles(self.lags, n=100) if len(self.lags) > 1 else self.lags * 99
            out.append(f"lag s: p50 {q[49]:.2f}  p90 {q[89]:.2f}  p99 {q[98]:.2f}  max {max(self.lags):.2f}")
        if self.listener_restarts:
            out.append(f"listener restarts {self.listener_restarts}")
        return out


def sandbox_shops(codes: list[str] | None = None) -> list[Shop]:
    qs = Shop.objects.filter(channel__in=["taobao", "jd", "pdd", "douyin"], active=True, api_base_url__contains="/sandbox/")
    if codes:
        qs = qs.filter(code__in=codes)
    return list(qs.order_by("channel", "code"))


def measure(report: Report, shops: list[Shop], since_pk: int = 0) -> Report:
    """How many sandbox orders (of this run) we hold in their latest version, and the lag."""
    docs = SandboxDocument.objects.filter(pk__gt=since_pk, app_key__in=[s.app_key for s in shops])
    by_app = {s.app_key: s for s in shops}
    report.total, report.ingested, report.lags = 0, 0, []
    for app_key, order_id, modified, changed in docs.values_list("app_key", "order_id", "modified", "updated_at"):
        report.total += 1
        row = Order.objects.filter(shop=by_app[app_key], channel_order_id=order_id).values_list(
            "channel_modified_at", "updated_at").first()
        if row and row[0] == modified:
            report.ingested += 1
            report.lags.append(max(0.0, (row[1] - changed).total_seconds()))
    return report


class Simulation:
    def __init__(self, *, orders: int, rate: float, chaos: Chaos = CALM, shops: list[Shop], seed: int = 1,
                 advance: float = 0.4, base_url: str = "http://127.0.0.1:8000", out=print):
        self.n, self.rate, self.chaos, self.shops = orders, rate, chaos, shops
        self.rng, self.advance_share, self.base_url, self.out = random.Random(seed), advance, base_url, out
        self.stats, self.report = EmitStats(), Report()
        self.live: list[tuple[Shop, str]] = []

    # ---- the platforms' side
    def _create(self, i: int) -> None:
        shop = self.shops[i % len(self.shops)]
        state = sandbox_order_create(shop=shop, rng=self.rng, chaos=self.chaos, stats=self.stats)
        self.live.append((shop, state["id"]))
        self.report.created += 1

    def _advance_some(self, count: int) -> None:
        for _ in range(count):
            if not self.live:
                return
            k = self.rng.randrange(len(self.live))
            shop, order_id = self.live[k]
            if sandbox_order_apply(shop=shop, order_id=order_id, rng=self.rng, chaos=self.chaos,
                                   stats=self.stats) is None:
                self.live.pop(k)

    def _finish_report(self) -> Report:
        r = self.report
        r.versions, r.emitted = self.stats.versions, self.stats.messages
        r.dropped, r.duplicated = self.stats.dropped, self.stats.duplicated
        return r

    # ---- remote: a running server does the rest
    def run_remote(self, *, timeout: float = 600.0) -> Report:
        first = SandboxDocument.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        first_message = SandboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        started = time.monotonic()
        for i in range(self.n):
            self._create(i)
            if self.rng.random() < self.advance_share:
                self._advance_some(1)
            if i % 20 == 19:
                self.report.delivered += douyin_pushes_send(base_url=self.base_url, reorder=self.chaos.reorder,
                                                            rng=self.rng).messages
            if self.rate > 0:
                time.sleep(max(0.0, (i + 1) / self.rate - (time.monotonic() - started)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.report.delivered += douyin_pushes_send(base_url=self.base_url, reorder=self.chaos.reorder,
                                                        rng=self.rng).messages
            measure(self.report, self.shops, first)
            if self.report.ingested >= self.report.total:
                break
            time.sleep(2.0)
        self.report.delivered += SandboxMessage.objects.filter(
            platform="taobao", pk__gt=first_message, confirmed_at__isnull=False).count()
        measure(self.report, self.shops, first)
        return self._finish_report()

    # ---- in-process: this process plays listener, worker and scheduler
    def run_in_process(self, *, restart_listener: bool = True, pull_every: float = 60.0) -> Report:
        from channels_adapters.services.pull import channel_pull

        first = SandboxDocument.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        step = timedelta(seconds=1.0 / self.rate) if self.rate > 0 else timedelta(0)
        last_pull = clock.now()
        with in_process():
            for shop in self.shops:  # a first pull sets each cursor
                if shop.channel in ("jd", "pdd"):
                    channel_pull(shop=shop)
            for i in range(self.n):
                self._create(i)
                if self.rng.random() < self.advance_share:
                    self._advance_some(self.rng.choice([1, 1, 2]))
                clock.advance(step)
                if i % 100 == 99:
                    crash = restart_listener and i // 100 == self.n // 200
                    self._deliver(crash=crash)
                if clock.now() - last_pull >= timedelta(seconds=pull_every):
                    last_pull = clock.now()
                    for shop in self.shops:
                        if shop.channel in ("jd", "pdd"):
                            channel_pull(shop=shop)
            # Let delays, redelivery and PDD's index lag run out, then drain everything.
            for _ in range(3):
                clock.advance(timedelta(minutes=2))
                self._deliver(crash=False)
            for shop in self.shops:
                if shop.channel in ("jd", "pdd"):
                    channel_pull(shop=shop)
        measure(self.report, self.shops, first)
        return self._finish_report()

    def _deliver(self, *, crash: bool) -> None:
        from channels_adapters.services.inbound import inbound_message_process
        from channels_adapters.services.tmc import tmc_round

        for shop in self.shops:
            if shop.channel != "taobao":
                continue
            while True:
                result = tmc_round(shop=shop, inline=True, confirm=not crash)
                self.report.delivered += result.consumed
                if crash:  # the listener dies before confirming; a new one starts
                    self.report.listener_restarts += 1
                    crash = False
                    continue
                if result.consumed == 0:
                    break
        if any(s.channel == "douyin" for s in self.shops):
            self.report.delivered += douyin_pushes_send(base_url=self.base_url, reorder=self.chaos.reorder,
                                                        rng=self.rng).messages
            pending = InboundMessage.objects.filter(platform="douyin", outcome=Outcome.PENDING).values_list(
                "pk", flat=True)
            for pk in list(pending):
                try:
                    inbound_message_process(message_id=pk)
                except Exception as exc:  # noqa: BLE001 — a dead letter; reconciliation picks it up
                    self.out(f"push row {pk}: {exc}")
