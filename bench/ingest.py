"""Native-document ingest over real HTTP vs plain INSERTs of the same rows, same run.

    python bench/ingest.py            # 2,000 + 2,000 Taobao documents, 8 concurrent clients
    python bench/ingest.py --quick    # 400 + 1,000 documents (< 1 min)

Two figures, each with its own floor measured in the same run:

* single: orders/s through ``POST /api/v1/channels/taobao/<shop>/orders/`` — one document
  per request (token auth, parse, ``order_ingest``, archive row, the order as answer).
* batch: orders/s through ``POST …/orders/batch/`` — pages of ``--page`` documents per
  request (what an RDS bridge or a file import sends; same parse, ``order_ingest_many``,
  one archive row per document).

Both run against gunicorn on 127.0.0.1 with ``--clients`` concurrent clients.
Floor: the rows one document leaves behind — the order, its lines, its timeline events,
its outbox events, its tax-profile link, its alert mark and the archive row — written by
plain one-row ``INSERT``s through psycopg over the same number of connections, with the
same transaction size as the figure (one order per transaction for single, one page per
transaction for batch).  Figure and floor write the same rows; the figure additionally
does everything else (HTTP, JSON, parsing, lookups, locking, scoring).
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


def http_phase(port: int, token: str, docs: list[bytes], clients: int, page: int = 0) -> float:
    """orders/s: one document per request (``page=0``) or pages of ``page`` documents."""
    import requests

    url = f"http://127.0.0.1:{port}/api/v1/channels/taobao/{SHOP}/orders/"
    if page:
        url += "batch/"
        bodies = [b"[" + b",".join(docs[i:i + page]) + b"]" for i in range(0, len(docs), page)]
    else:
        bodies = docs
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    errors: list[str] = []
    chunks = [bodies[i::clients] for i in range(clients)]

    def work(chunk):
        with requests.Session() as session:
            for body in chunk:
                r = session.post(url, data=body, headers=headers, timeout=120)
                if r.status_code != (200 if page else 201):
                    errors.append(f"{r.status_code} {r.text[:200]}")
                elif page and set(r.json()["counts"]) != {"created"}:
                    errors.append(f"not all created: {r.json()['counts']}")

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


def http_baseline(port: int, token: str, clients: int, n: int) -> float:
    """requests/s of an authenticated no-op-sized API call (``GET /api/v1/shops/<code>/``):
    what HTTP, gunicorn, Django, DRF and token auth alone cost per request here."""
    import requests

    url = f"http://127.0.0.1:{port}/api/v1/shops/{SHOP}/"
    headers = {"Authorization": f"Token {token}"}

    def work(k):
        with requests.Session() as session:
            for _ in range(k):
                session.get(url, headers=headers, timeout=30).raise_for_status()

    threads = [threading.Thread(target=work, args=(n // clients,)) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (n // clients) * clients / (time.perf_counter() - started)


def row_templates():
    """The rows one ingested document left behind: (table, columns, values, order fk column)."""
    from django.db import connection

    from channels_adapters.models import InboundMessage
    from channels_adapters.subscribers.models import OutboxEvent
    from invoicing.models import OrderTaxProfile
    from orders.alerts.models import DirtyOrder
    from orders.models import Order, OrderEvent, OrderLine

    order = Order.objects.filter(shop__code=SHOP).order_by("id").first()

    def values(obj, fk="order_id"):
        fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
        return (obj._meta.db_table, [f.column for f in fields],
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields], fk)

    children = [values(x) for x in OrderLine.objects.filter(order=order)]
    children += [values(x) for x in OrderEvent.objects.filter(order=order)]
    children += [values(x, fk="oid") for x in OutboxEvent.objects.filter(oid=order.oid)]
    children += [values(x) for x in OrderTaxProfile.objects.filter(order=order)]
    children += [values(x) for x in InboundMessage.objects.filter(order=order)[:1]]
    # The alert mark is drained by the detector (absent when it already ran): one row.
    children.append((DirtyOrder._meta.db_table, ["order_id", "marked_at"], [None, order.created_at],
                     "order_id"))
    return values(order, fk=None), children


def floor_phase(n: int, clients: int, run: str, per_transaction: int = 1, copy: bool = False) -> float:
    """orders/s writing the rows of ``n`` documents: one-row INSERTs, or (``copy``) one COPY
    per table and transaction — the fastest way PostgreSQL takes rows."""
    import psycopg
    from django.db import connection

    (otable, ocols, ovals, _), children = row_templates()
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

    def rows_of(i: int, order_id: int):
        """The order row and its children for document ``i`` (order id given)."""
        oid = f"floor{run}{'c' if copy else ''}{per_transaction}{i:09d}"
        new_oid = uuid.uuid4()
        order = swap(ocols, ovals, oid=new_oid, channel_order_id=oid)
        kids = []
        for table, cols, vals, fk in children:
            changes = {fk: new_oid if fk == "oid" else order_id}
            if "event_id" in cols:
                changes["event_id"] = uuid.uuid4()
            if "channel_order_id" in cols:
                changes["channel_order_id"] = oid
            kids.append((table, cols, swap(cols, vals, **changes)))
        return order, kids

    def work(indexes):
        with psycopg.connect(**conninfo, autocommit=False) as conn, conn.cursor() as cur:
            for k, i in enumerate(indexes, start=1):
                order, _ = rows_of(i, None)
                cur.execute(sql(otable, ocols), order)
                _, kids = rows_of(i, cur.fetchone()[0])
                for table, cols, vals in kids:
                    cur.execute(sql(table, cols, False), vals)
                if k % per_transaction == 0:
                    conn.commit()
            conn.commit()

    def work_copy(indexes):
        """Per transaction: ids from the sequence, then one COPY per table."""
        with psycopg.connect(**conninfo, autocommit=False) as conn, conn.cursor() as cur:
            for start in range(0, len(indexes), per_transaction):
                part = indexes[start:start + per_transaction]
                cur.execute(f"SELECT nextval(pg_get_serial_sequence('{otable}', 'id')) "
                            "FROM generate_series(1, %s)", [len(part)])
                ids = [row[0] for row in cur.fetchall()]
                tables: dict[str, tuple[list, list]] = {otable: (["id", *ocols], [])}
                for i, order_id in zip(part, ids, strict=True):
                    order, kids = rows_of(i, order_id)
                    tables[otable][1].append([order_id, *order])
                    for table, cols, vals in kids:
                        tables.setdefault(table, (cols, []))[1].append(vals)
                for table, (cols, rows) in tables.items():
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as out:
                        for row in rows:
                            out.write_row(row)
                conn.commit()

    # Each connection writes whole transactions, as each client sends whole requests.
    groups = [range(start, min(start + per_transaction, n)) for start in range(0, n, per_transaction)]
    shares = [[i for g in groups[c::clients] for i in g] for c in range(clients)]
    threads = [threading.Thread(target=work_copy if copy else work, args=(share,)) for share in shares]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n / (time.perf_counter() - started)


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
        workers = max(2, (os.cpu_count() or 2) * 2)
        port = free_port()
        server = start_server(port, workers)
        run = f"{int(time.time()) % 10**6:06d}"
        try:
            http_phase(port, token, documents(20, run, 8), args.clients)  # warm-up
            http_phase(port, token, documents(2 * args.page, run, 7), args.clients, args.page)
            single = http_phase(port, token, documents(n, run, 9), args.clients)
            batch = http_phase(port, token, documents(nb, run, 6), args.clients, args.page)
            baseline = http_baseline(port, token, args.clients, n)
        finally:
            server.terminate()
            server.wait(timeout=30)
        floor_single = floor_phase(n, args.clients, run)
        floor_batch = floor_phase(nb, args.clients, run, per_transaction=args.page)
        floor_copy = floor_phase(nb, args.clients, run, per_transaction=args.page, copy=True)
        ratio, ratio_batch = single / floor_single, batch / floor_batch
        print(f"single documents: {single:.1f} orders/s ({n} requests, {args.clients} clients, "
              f"{workers} gunicorn workers); floor (same rows, plain INSERTs, one order per "
              f"transaction): {floor_single:.1f} orders/s; ratio {ratio:.3f}")
        print(f"batch pages of {args.page}: {batch:.1f} orders/s ({nb} documents); floor (same rows, "
              f"plain INSERTs, one page per transaction): {floor_batch:.1f} orders/s; "
              f"ratio {ratio_batch:.3f}")
        print(f"  stricter reference for batch: the same rows by one COPY per table and page: "
              f"{floor_copy:.1f} orders/s; ratio {batch / floor_copy:.3f}")
        print(f"for scale: an authenticated GET of one shop through the same server: "
              f"{baseline:.1f} requests/s")
        print(f"target ratio >= 0.25: single {'met' if ratio >= 0.25 else 'NOT met'}, "
              f"batch {'met' if ratio_batch >= 0.25 else 'NOT met'}")
        _django.result(orders_per_s=single, floor_orders_per_s=floor_single, ratio=ratio,
                       batch_orders_per_s=batch, batch_floor_orders_per_s=floor_batch,
                       batch_ratio=ratio_batch, batch_copy_floor_orders_per_s=floor_copy,
                       batch_copy_ratio=batch / floor_copy, http_get_per_s=baseline, page=args.page, orders=n, batch_orders=nb,
                       clients=args.clients)
    finally:
        connection.close()
        _django.teardown(old)


if __name__ == "__main__":
    main()
