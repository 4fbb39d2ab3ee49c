"""Native-document ingest over real HTTP vs plain INSERTs of the same rows, same run.

    python bench/ingest.py            # 2,000 Taobao documents, 8 concurrent clients
    python bench/ingest.py --quick    # 300 documents (< 1 min)

Figure: orders/s through ``POST /api/v1/channels/taobao/<shop>/orders/`` served by
gunicorn on 127.0.0.1 (token auth, full parse → order_ingest → archive row).
Floor: the same rows (order, its lines, its timeline event, the archive row) written by
plain ``INSERT``s through psycopg with the same number of concurrent connections.
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
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHOP = "bench-tb"


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


def start_server(port: int, workers: int) -> subprocess.Popen:
    from config.env import load

    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": load().redis_url,
           "DJANGO_SETTINGS_MODULE": "_ingest_settings", "ALLOWED_HOSTS": "127.0.0.1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
           "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--log-level", "warning"],
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


def http_phase(port: int, token: str, docs: list[bytes], clients: int) -> float:
    import requests

    url = f"http://127.0.0.1:{port}/api/v1/channels/taobao/{SHOP}/orders/"
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    errors: list[str] = []
    chunks = [docs[i::clients] for i in range(clients)]

    def work(chunk):
        with requests.Session() as session:
            for body in chunk:
                r = session.post(url, data=body, headers=headers, timeout=30)
                if r.status_code != 201:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return len(docs) / elapsed


def row_templates():
    """The rows one ingested document produced, as (table, columns, values) per model."""
    from django.db import connection

    from channels_adapters.models import InboundMessage
    from orders.models import Order, OrderEvent, OrderLine

    order = Order.objects.filter(shop__code=SHOP).order_by("id").first()

    def values(obj):
        fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
        return ([f.column for f in fields],
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])

    return (order, values(order), [values(x) for x in OrderLine.objects.filter(order=order)],
            [values(x) for x in OrderEvent.objects.filter(order=order)],
            values(InboundMessage.objects.filter(order=order).first()))


def floor_phase(n: int, clients: int, run: str) -> float:
    import psycopg
    from django.db import connection

    order, (ocols, ovals), lines, events, (icols, ivals) = row_templates()
    s = connection.settings_dict
    conninfo = {"dbname": s["NAME"], "user": s["USER"], "host": s["HOST"]}
    if s["PASSWORD"]:
        conninfo["password"] = s["PASSWORD"]
    if s["PORT"]:
        conninfo["port"] = s["PORT"]

    def sql(table, cols, returning=True):
        tail = " RETURNING id" if returning else ""
        return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}){tail}"

    def swap(cols, vals, **changes):
        out = list(vals)
        for col, value in changes.items():
            out[cols.index(col)] = value
        return out

    def work(indexes):
        with psycopg.connect(**conninfo, autocommit=False) as conn, conn.cursor() as cur:
            for i in indexes:
                oid = f"floor{run}{i:09d}"
                cur.execute(sql("orders_order", ocols),
                            swap(ocols, ovals, oid=uuid.uuid4(), channel_order_id=oid))
                order_id = cur.fetchone()[0]
                for cols, vals in lines:
                    cur.execute(sql("orders_orderline", cols, False), swap(cols, vals, order_id=order_id))
                for cols, vals in events:
                    cur.execute(sql("orders_orderevent", cols, False), swap(cols, vals, order_id=order_id))
                cur.execute(sql("channels_adapters_inboundmessage", icols, False),
                            swap(icols, ivals, order_id=order_id, channel_order_id=oid))
                conn.commit()

    threads = [threading.Thread(target=work, args=(range(c, n, clients),)) for c in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--orders", type=int)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    n = args.orders or (300 if args.quick else 2000)
    old = _django.setup("_bench_ingest")
    from django.db import connection

    try:
        token = prepare()
        connection.close()
        workers = max(2, (os.cpu_count() or 2) * 2)
        port = free_port()
        server = start_server(port, workers)
        run = f"{int(time.time()) % 10**6:06d}"
        try:
            http_phase(port, token, documents(20, run, 8), args.clients)  # warm-up
            figure = http_phase(port, token, documents(n, run, 9), args.clients)
        finally:
            server.terminate()
            server.wait(timeout=30)
        floor = floor_phase(n, args.clients, run)
        ratio = figure / floor
        print(f"HTTP native-document ingest: {figure:.1f} orders/s ({n} orders, {args.clients} clients, "
              f"{workers} gunicorn workers)")
        print(f"floor, plain psycopg INSERTs of the same rows: {floor:.1f} orders/s")
        print(f"ratio: {ratio:.3f} (target >= 0.25)")
        _django.result(orders_per_s=figure, floor_orders_per_s=floor, ratio=ratio, orders=n,
                       clients=args.clients)
    finally:
        connection.close()
        _django.teardown(old)


if __name__ == "__main__":
    main()
