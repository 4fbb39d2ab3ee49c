"""Set-based writes for bulk paths (batch outbound and the hook twins it calls)."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection


def to_json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def model_insert_many(objs: list) -> list:
    """INSERT many unsaved instances of one model in one statement and set their pks.

    Primary keys are taken from the table's sequence first (one query), then the rows
    travel as one JSON document (``jsonb_to_recordset``) — Django's ``bulk_create`` sends
    per-column arrays whose text escaping costs more than the insert itself here.
    """
    if not objs:
        return objs
    meta = type(objs[0])._meta
    pk = meta.pk
    auto_pk = pk.get_internal_type() in ("AutoField", "BigAutoField")
    with connection.cursor() as cursor:
        if auto_pk:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                           "FROM generate_series(1, %s)", [meta.db_table, pk.column, len(objs)])
            for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
        fields = [f for f in meta.concrete_fields if f.get_internal_type() != "BinaryField"]
        rows = [{f.column: f.pre_save(obj, add=True) for f in fields} for obj in objs]
        cols = ", ".join(f'"{f.column}"' for f in fields)
        spec = ", ".join(f'"{f.column}" {_sql_type(f)}' for f in fields)
        cursor.execute(f'INSERT INTO "{meta.db_table}" ({cols}) SELECT {cols} '
                       f"FROM jsonb_to_recordset(%s::jsonb) AS v({spec})", [to_json(rows)])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = "default"
    return objs


def _sql_type(field) -> str:
    if field.get_internal_type() == "JSONField":
        return "jsonb"
    return field.target_field.db_type(connection) if field.is_relation else field.db_type(connection)
