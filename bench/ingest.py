"""Native-document ingest over real HTTP vs plain INSERTs of the same rows, same run.

    python bench/ingest.py            # 2,000 + 2,000 + 2,000 Taobao documents, 8 concurrent clients
    python bench/ingest.py --quick    # 400 + 1,000 + 1,000 documents (< 1 min)

Three figures, each with a floor measured in the same run:

* single: orders/s through ``POST /api/v1/channels/taobao/<shop>/orders/`` — one document
  per request (token auth, parse, ``order_ingest``, archive row, the order as answer).
* single async: the same endpoint, one document per request, with ``Prefer: respond-async``
  — the request checks and archives the document (202), a ``documents`` worker (one
  process, 2 threads, real Redis broker) ingests the accepted documents in pages.  The
  clock stops when the worker has ingested the last order, not when the last 202 came.
* batch: orders/s through ``POST …/orders/batch/`` — pages of ``--page`` documents per
  request (what an RDS bridge or a file import sends; same parse, ``order_ingest_many``,
  one archive row per document).

All run against gunicorn on 127.0.0.1 as ``make run`` starts it (gthread, 2 workers x 8
threads) with ``--clients`` concurrent keep-alive clients (``http.client``).
Floor: the rows one document leaves behind — the order, its lines, its timeline events,
its outbox events, its tax-profile link, its alert mark and the archive row — written by
plain one-row ``INSERT``s through psycopg over the same number of connections, with the
same transaction size as the figure (one order per transaction for single, one page per
transaction for batch).  Figure and floor write the same rows; the figure additionally
does everything else (HTTP, JSON, parsing, lookups, locking, scoring; the async figure
also writes each archive row twice: pending, then its outcome).  The async figure is set
against the one-order-per-transaction floor (each document is durable when answered)
and, printed too, against the page floor.
The benchmark runs on its own database (``test_liuzhuan_bench_ingest``).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django  # noqa: E402
from _ingest_floor import SHOP, floor_phase  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REDIS_DB = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    if s["HOST"].startswith("/"):
        return f"postgresql://{auth}@/{s['NAME']}?host={s['HOST']}"
    return f"postgresql://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def documents(n: int, run: str, phase: int) -> list[bytes]:
    from channels_adapters.platforms import base

    template = base.loads((ROOT / "tests/channels_adapters/fixtures/taobao_multiline_refund.json").read_bytes())
    out = []
    for i in range(n):
        d = copy.deepcopy(template)
        trade = d["trade_fullinfo_get_response"]["trade"]
        tid = f"3{phase}{run}{i:09d}"
        trade["tid"] = trade["tid_str"] = tid
        for k, line in enumerate(trade["orders"]["order"]):
            line["oid"] = line["oid_str"] = f"{tid}{k}"
        out.append(json.dumps(d, ensure_ascii=False, default=str).encode())
    return out


def prepare() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from orders.models import Shop, Sku

    Shop.objects.get_or_create(code=SHOP, defaults={"channel": "taobao", "name": "bench"})
    for code in ("TEA-LJ-250G", "CUP-GLASS-01"):
        Sku.objects.get_or_create(code=code, defaults={"name": code})
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True})
    return Token.objects.get_or_create(user=user)[0].key


def server_env() -> dict:
    """Environment of the server and the worker: the bench database, Redis database
    ``REDIS_DB`` for the broker (flushed: it belongs to this benchmark)."""
    import redis

    from config.env import load

    url = load().redis_url
    url += ("&" if "?" in url else "?") + f"db={REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    return {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": url,
            "DJANGO_SETTINGS_MODULE": "_ingest_settings", "ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
            "PYTHONWARNINGS": "ignore", "dramatiq_worker_timeout": "100"}


def start_worker(env: dict) -> subprocess.Popen:
    """One worker process (2 threads) on the ``documents`` queue: the drain of documents
    accepted with ``Prefer: respond-async``."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2",
         "--queues", "documents"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
    )


def start_server(port: int, workers: int, env: dict, threads: int = 0) -> subprocess.Popen:
    """gunicorn: ``workers`` sync processes, or (``threads``) gthread processes as ``make run``
    starts them (keep-alive connections)."""
    kind = ["--worker-class", "gthread", "--threads", str(threads)] if threads else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), *kind, "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def drive(port: int, method: str, path: str, bodies: list[bytes | None], headers: dict, clients: int,
          check) -> float:
    """Send ``bodies`` over ``clients`` keep-alive connections (one thread each); returns the
    seconds it took.  ``check(status, body)`` returns an error text or None.

    The client is ``http.client``, the lightest the standard library has: client and server
    share this machine's cores, and the figure is the server's."""
    import http.client

    errors: list[str] = []
    chunks = [bodies[i::clients] for i in range(clients)]

    def work(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            for body in chunk:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                error = check(response.status, response.read())
                if error:
                    errors.append(error)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return elapsed


def http_phase(port: int, token: str, docs: list[bytes], clients: int, page: int = 0,
               asynchronous: bool = False):
    """orders/s: one document per request (``page=0``) or pages of ``page`` documents.
    ``asynchronous``: one document per request with ``Prefer: respond-async``; the time runs
    until the worker has ingested the last order (returns (orders/s, accepted/s))."""
    path = f"/api/v1/channels/taobao/{SHOP}/orders/"
    if page:
        path += "batch/"
        bodies = [b"[" + b",".join(docs[i:i + page]) + b"]" for i in range(0, len(docs), page)]
    else:
        bodies = docs
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    if asynchronous:
        headers["Prefer"] = "respond-async"
    expected = 200 if page else 202 if asynchronous else 201

    def check(status: int, body: bytes) -> str | None:
        if status != expected:
            return f"{status} {body[:200]!r}"
        if page and set(json.loads(body)["counts"]) != {"created"}:
            return f"not all created: {json.loads(body)['counts']}"
        return None

    started = time.perf_counter()
    elapsed = drive(port, "POST", path, bodies, headers, clients, check)
    if not asynchronous:
        return len(docs) / elapsed
    ids = [json.loads(d)["trade_fullinfo_get_response"]["trade"]["tid"] for d in docs]
    ingested = orders_landed(ids, timeout=120)
    return len(docs) / (ingested - started), len(docs) / elapsed


def orders_landed(ids: list[str], timeout: float) -> float:
    """perf_counter() when no accepted document waits any more and every order of ``ids``
    exists (the cheap partial-index look first, the count only then)."""
    from django.db import connection

    from channels_adapters.services.inbound_queue import pending_documents
    from orders.models import Order

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if not pending_documents().exists():
            now = time.perf_counter()
            if Order.objects.filter(shop__code=SHOP, channel_order_id__in=ids).count() == len(ids):
                connection.close()
                return now
        time.sleep(0.01)
    raise SystemExit("the worker did not ingest every accepted document in time")


def http_baseline(port: int, token: str, clients: int, n: int) -> float:
    """requests/s of an authenticated no-op-sized API call (``GET /api/v1/shops/<code>/``):
    what HTTP, gunicorn, Django, DRF and token auth alone cost per request here."""
    n -= n % clients
    elapsed = drive(port, "GET", f"/api/v1/shops/{SHOP}/", [None] * n,
                    {"Authorization": f"Token {token}"}, clients,
                    lambda status, body: None if status == 200 else f"{status} {body[:200]!r}")
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--orders", type=int, help="documents sent one per request")
    parser.add_argument("--batch-orders", type=int, help="documents sent in pages")
    parser.add_argument("--page", type=int, default=50, help="documents per batch request")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    n = args.orders or (400 if args.quick else 2000)
    nb = args.batch_orders or (1000 if args.quick else 2000)
    old = _django.setup("_bench_ingest")
    from django.db import connection

    try:
        token = prepare()
        connection.close()
        workers, threads = 2, 8  # as make run starts it (core/management/commands/runstack.py)
        port = free_port()
        env = server_env()
        server, worker = start_server(port, workers, env, threads), start_worker(env)
        run = f"{int(time.time()) % 10**6:06d}"
        try:
            http_phase(port, token, documents(20, run, 8), args.clients)  # warm-up
            http_phase(port, token, documents(2 * args.page, run, 7), args.clients, args.page)
            http_phase(port, token, documents(20, run, 5), args.clients, asynchronous=True)
            single = http_phase(port, token, documents(n, run, 9), args.clients)
            batch = http_phase(port, token, documents(nb, run, 6), args.clients, args.page)
            queued, accepted = http_phase(port, token, documents(nb, run, 4), args.clients,
                                          asynchronous=True)
            baseline = http_baseline(port, token, args.clients, n)
        finally:
            for proc in (server, worker):
                proc.terminate()
            for proc in (server, worker):
                proc.wait(timeout=30)
        floor_single = floor_phase(n, args.clients, run)
        floor_batch = floor_phase(nb, args.clients, run, per_transaction=args.page)
        floor_copy = floor_phase(nb, args.clients, run, per_transaction=args.page, copy=True)
        ratio, ratio_batch = single / floor_single, batch / floor_batch
        ratio_async = queued / floor_single
        print(f"single documents: {single:.1f} orders/s ({n} requests, {args.clients} clients, "
              f"gunicorn {workers} workers x {threads} threads); floor (same rows, plain INSERTs, one order per "
              f"transaction): {floor_single:.1f} orders/s; ratio {ratio:.3f}")
        print(f"single documents, Prefer: respond-async: {queued:.1f} orders/s until the worker "
              f"had ingested the last one ({nb} requests, {accepted:.1f}/s answered 202); same floor; "
              f"ratio {ratio_async:.3f} (vs the page floor {queued / floor_batch:.3f})")
        print(f"batch pages of {args.page}: {batch:.1f} orders/s ({nb} documents); floor (same rows, "
              f"plain INSERTs, one page per transaction): {floor_batch:.1f} orders/s; "
              f"ratio {ratio_batch:.3f}")
        print(f"  stricter reference for batch: the same rows by one COPY per table and page: "
              f"{floor_copy:.1f} orders/s; ratio {batch / floor_copy:.3f}")
        print(f"for scale: an authenticated GET of one shop through the same server: "
              f"{baseline:.1f} requests/s")
        print(f"target ratio >= 0.25: single {'met' if ratio >= 0.25 else 'NOT met'}, "
              f"single async {'met' if ratio_async >= 0.25 else 'NOT met'}, "
              f"batch {'met' if ratio_batch >= 0.25 else 'NOT met'}")
        _django.result(orders_per_s=single, floor_orders_per_s=floor_single, ratio=ratio,
                       async_orders_per_s=queued, async_accepted_per_s=accepted, async_ratio=ratio_async,
                       async_page_floor_ratio=queued / floor_batch,
                       batch_orders_per_s=batch, batch_floor_orders_per_s=floor_batch,
                       batch_ratio=ratio_batch, batch_copy_floor_orders_per_s=floor_copy,
                       batch_copy_ratio=batch / floor_copy, http_get_per_s=baseline, page=args.page, orders=n, batch_orders=nb,
                       clients=args.clients)
    finally:
        connection.close()
        _django.teardown(old)


if __name__ == "__main__":
    main()
