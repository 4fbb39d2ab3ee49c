"""300 requests at once, 2 workers, a live sandbox gateway over HTTP.

The sandbox logs every arrival (Redis clock).  Acceptance: ≤ 5 arrivals in every
sliding 1-second window, no 429 reaches a user, each request issued exactly once.
Takes ~85 s (300 at 3.6/s).
"""

import threading
import time

import dramatiq
import pytest
from dramatiq import Worker

from invoicing.gateway.ratelimit import TokenBucket
from invoicing.models import GatewayAttempt, Invoice, InvoiceRequest
from invoicing.services.requests import invoice_request_create, invoice_request_submit
from invoicing.services.sending import set_gateway_client
from tests.factories.invoicing import enterprise_buyer, make_catalogue, make_order, make_seller

N = 300


def max_in_any_window(arrivals_us: list[int], window_us: int = 1_000_000) -> int:
    arrivals = sorted(arrivals_us)
    best, j = 0, 0
    for i, t in enumerate(arrivals):
        while arrivals[j] <= t - window_us:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_window_counter_itself():
    assert max_in_any_window([0, 200_000, 400_000, 600_000, 800_000, 1_000_000]) == 5
    assert max_in_any_window([0, 100_000, 200_000, 300_000, 400_000, 999_999]) == 6


@pytest.mark.django_db
def test_token_bucket_spaces_calls_across_threads(settings):
    from invoicing import conf

    bucket = TokenBucket(f"{conf.redis_namespace()}:test:bucket:{time.time()}", rate=20)
    stamps, lock = [], threading.Lock()

    def run():
        for _ in range(10):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert len(stamps) == 30
    assert min(gaps) > 0.025  # 1/20 s minus scheduling noise on a busy 2-core machine
    assert stamps[-1] - stamps[0] >= 29 / 20 - 0.05


@pytest.mark.django_db(transaction=True)
def test_300_requests_two_workers_rate_limited_exactly_once(live_server, settings, sandbox):
    settings.INVOICING_GATEWAY_URL = live_server.url + "/sandbox/tax/"
    settings.INVOICING_SANDBOX_RATE = 5
    # The live server shares this process (and its GIL) with both workers, so a request can
    # reach the sandbox view ~250 ms after the bucket released it and bunch with the next
    # one. At 3.6/s (278 ms apart) even such a stall cannot put six arrivals in one second;
    # 300 calls then take ~83 s. (Production default: 4.5/s against a gateway elsewhere.)
    settings.INVOICING_GATEWAY_RATE = 3.6
    settings.INVOICING_GATEWAY_BACKOFF = 0.2
    set_gateway_client(None)
    broker = dramatiq.get_broker()
    broker.flush_all()
    make_catalogue()
    make_seller()
    requests = []
    setup_started = time.monotonic()
    for _ in range(N):
        order = make_order()
        request = invoice_request_create(order_oid=order.oid, kind="ordinary",
                                         buyer=enterprise_buyer())
        requests.append(request)
    # Warm the live server up (URLconf import, first DB connection) on an endpoint outside the
    # rate limit: a cold first request can sit ~200 ms before reaching the view, which would
    # bunch it with the next one on arrival.
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(live_server.url + "/sandbox/tax/files/0.pdf", timeout=5)
    created = time.monotonic()
    sandbox.reset()
    for request in requests:  # autocommit: each submit enqueues its message at once
        invoice_request_submit(request_id=request.pk)
    assert broker.queues["invoices"].qsize() == N

    workers = [Worker(broker, worker_timeout=100, worker_threads=1) for _ in range(2)]
    started = time.monotonic()
    try:
        for w in workers:
            w.start()
        broker.join("invoices", timeout=150_000, fail_fast=True)
    finally:
        for w in workers:
            w.stop()
        set_gateway_client(None)
        broker.flush_all()
    elapsed = time.monotonic() - started

    arrivals = sandbox.arrivals()
    print(f"\n{N} requests, {len(arrivals)} gateway calls in {elapsed:.1f}s, "
          f"max per 1s window {max_in_any_window(arrivals)}; setup {created - setup_started:.1f}s")
    deltas = [(b - a) // 1000 for a, b in zip(sorted(arrivals), sorted(arrivals)[1:], strict=False)]
    print("issued", Invoice.objects.filter(status="issued").count(), "attempts",
          GatewayAttempt.objects.count(), "first gaps ms", deltas[:8],
          "small gaps", [(i, d) for i, d in enumerate(deltas) if d < 150][:10])
    assert max_in_any_window(arrivals) <= 5
    assert InvoiceRequest.objects.filter(status="issued").count() == N
    assert Invoice.objects.filter(status="issued").count() == N
    assert Invoice.objects.values("number").distinct().count() == N
    issued = sandbox.issues_per_request()
    assert len(issued) == N and set(issued.values()) == {1}
    assert set(issued) == set(Invoice.objects.values_list("gateway_request_id", flat=True))
    # Nothing a user sees mentions a 429: no rejection, no failure event.
    assert not InvoiceRequest.objects.filter(status="rejected").exists()
    print(f"429 answers absorbed by retries: "
          f"{GatewayAttempt.objects.filter(http_status=429).count()}")
