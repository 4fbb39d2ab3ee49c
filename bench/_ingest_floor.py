"""The floor of bench/ingest.py: the rows ingested documents leave behind, written by plain
``INSERT``s (or ``COPY``) through psycopg over concurrent connections."""

from __future__ import annotations

import threading
import time
import uuid

SHOP = "bench-tb"  # the benchmark's shop (bench/ingest.py)


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
