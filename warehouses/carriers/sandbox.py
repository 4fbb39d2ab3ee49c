"""Sandbox carrier: SF / ZTO / YTO / JD-style numbers, refusals, failures and rate limits.

Behaves like an e-waybill API:

* ``create_waybills`` takes up to ``MAX_PER_CALL`` requests; a request key seen before
  returns the number already issued (idempotent).  Receivers whose address contains
  ``拒收`` or ``NO-SERVICE`` are refused (``out_of_service_area``), per parcel.
* ``cancel`` voids issued numbers; a number already picked up is refused.
* ``pickup`` records the carrier's pickup scan (the parcel left our building).
* Failures and limits come from ``settings.CARRIER_SANDBOX`` (or :data:`DEFAULTS`):
  ``fail_every`` — every N-th call raises :class:`CarrierError` before doing anything;
  ``rate_per_s`` — calls per second per carrier, beyond which
  :class:`CarrierRateLimited` is raised.

Its state lives in ``SandboxWaybill`` written in autocommit — like the carrier's own
database, it does not roll back with ours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, transaction

from warehouses.models import SandboxWaybill

from . import CancelResult, CarrierError, CarrierRateLimited, WaybillRequest, WaybillResult

MAX_PER_CALL = 500
DEFAULTS = {"fail_every": 0, "rate_per_s": 0}
REFUSE_MARKERS = ("拒收", "NO-SERVICE")
# Number formats: prefix + digits; the sequence value fills the digits.
FORMATS = {
    "SF": ("SF", 13),    # SF1234567890123
    "ZTO": ("7", 11),    # 7xxxxxxxxxxx (12 digits)
    "YTO": ("YT", 13),   # YT1234567890123
    "JD": ("JDVA", 11),  # JDVA12345678901
}
_lock = threading.Lock()
_calls: dict[str, list[float]] = {}
_counter: dict[str, int] = {}


def _config() -> dict:
    return {**DEFAULTS, **getattr(settings, "CARRIER_SANDBOX", {})}


def format_number(carrier: str, value: int) -> str:
    prefix, digits = FORMATS[carrier]
    return f"{prefix}{value:0{digits}d}"


def _throttle(carrier: str) -> None:
    cfg = _config()
    with _lock:
        n = _counter[carrier] = _counter.get(carrier, 0) + 1
        if cfg["fail_every"] and n % cfg["fail_every"] == 0:
            raise CarrierError(f"{carrier} sandbox: 502 bad gateway (call {n})")
        rate = cfg["rate_per_s"]
        if rate:
            now = time.monotonic()
            window = [t for t in _calls.get(carrier, []) if now - t < 1.0]
            if len(window) >= rate:
                _calls[carrier] = window
                raise CarrierRateLimited(retry_after=1.0 - (now - window[0]))
            window.append(now)
            _calls[carrier] = window


class SandboxCarrier:
    def __init__(self, code: str):
        self.code = code

    def _require_outside_transaction(self) -> None:
        if transaction.get_connection().in_atomic_block:
            raise RuntimeError("carrier calls leave the process: never inside a transaction")

    def create_waybills(self, requests: Sequence[WaybillRequest]) -> list[WaybillResult]:
        self._require_outside_transaction()
        if len(requests) > MAX_PER_CALL:
            raise CarrierError(f"at most {MAX_PER_CALL} waybills per call")
        _throttle(self.code)
        results = {r.key: WaybillResult(key=r.key) for r in requests}
        accepted = []
        for r in requests:
            text = f"{r.receiver_address} {r.receiver_city}"
            if any(marker in text for marker in REFUSE_MARKERS):
                results[r.key].error_code = "out_of_service_area"
                results[r.key].error = f"{self.code} does not deliver to this address"
            else:
                accepted.append(r.key)
        if accepted:
            self._issue(accepted, results)
        return [results[r.key] for r in requests]

    def _issue(self, keys: list[str], results: dict[str, WaybillResult]) -> None:
        prefix, digits = FORMATS[self.code]
        with connection.cursor() as cursor:
            # One statement: new keys get the next numbers, known keys keep theirs.
            cursor.execute(
                """
                INSERT INTO warehouses_sandboxwaybill
                    (carrier, request_key, tracking_no, status, created_at)
                SELECT %s, t.k,
                       %s || lpad(nextval('warehouses_sandboxwaybill_no_seq')::text, %s, '0'),
                       'issued', now()
                FROM unnest(%s::text[]) WITH ORDINALITY AS t(k, ord)
                WHERE NOT EXISTS (SELECT 1 FROM warehouses_sandboxwaybill s
                                  WHERE s.carrier = %s AND s.request_key = t.k)
                ORDER BY t.ord
                ON CONFLICT (carrier, request_key) DO NOTHING
                """,
                [self.code, prefix, digits, keys, self.code],
            )
            cursor.execute(
                "SELECT request_key, tracking_no FROM warehouses_sandboxwaybill "
                "WHERE carrier = %s AND request_key = ANY(%s)",
                [self.code, keys],
            )
            for key, number in cursor.fetchall():
                results[key].tracking_no = number

    def cancel(self, numbers: Sequence[str]) -> CancelResult:
        self._require_outside_transaction()
        _throttle(self.code)
        result = CancelResult()
        rows = dict(SandboxWaybill.objects.filter(carrier=self.code, tracking_no__in=numbers)
                    .values_list("tracking_no", "status"))
        for number in numbers:
            status = rows.get(number)
            if status is None:
                result.refused[number] = "unknown_number"
            elif status == "picked_up":
                result.refused[number] = "already_picked_up"
            else:
                result.cancelled.append(number)
        SandboxWaybill.objects.filter(carrier=self.code, tracking_no__in=result.cancelled).update(
            status="cancelled")
        return result

    def pickup(self, numbers: Sequence[str]) -> None:
        self._require_outside_transaction()
        SandboxWaybill.objects.filter(carrier=self.code, tracking_no__in=numbers,
                                      status="issued").update(status="picked_up")
