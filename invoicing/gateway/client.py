"""The tax gateway client.

* Every call first takes a token from the shared Redis bucket (``ratelimit``),
  so all workers together stay under ``INVOICING_GATEWAY_RATE``.
* 429, 5xx and network errors are retried with exponential backoff and jitter
  (``Retry-After`` honoured); a caller only ever sees a final answer or
  ``GatewayUnavailable`` after the last attempt — never a 429.
* Calls are idempotent by ``requestId``: the gateway returns the invoice it
  already issued for that id, so a retry after a timeout cannot issue twice.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin

from invoicing import conf

from .ratelimit import TokenBucket
from .transport import Response, TransportError, UrllibTransport

SUCCESS = "E0000"


class GatewayUnavailable(Exception):
    """No final answer after every retry (rate limit, 5xx or network)."""

    def __init__(self, message: str, attempts: list):
        super().__init__(message)
        self.attempts = attempts


@dataclass
class Attempt:
    http_status: int | None
    code: str
    message: str
    duration_ms: int


@dataclass
class GatewayResult:
    ok: bool
    code: str
    message: str
    data: dict
    attempts: list[Attempt] = field(default_factory=list)
    field: str = ""


class TaxGatewayClient:
    def __init__(self, *, base_url: str | None = None, transport=None, bucket=None,
                 attempts: int | None = None, backoff: float | None = None, sleep=time.sleep):
        self.base_url = (base_url or conf.get("INVOICING_GATEWAY_URL")).rstrip("/") + "/"
        self.transport = transport or UrllibTransport()
        self.bucket = bucket or TokenBucket(
            f"{conf.redis_namespace()}:taxgw:bucket:{self.base_url}",
            rate=float(conf.get("INVOICING_GATEWAY_RATE")),
            burst=int(conf.get("INVOICING_GATEWAY_BURST")),
        )
        self.max_attempts = attempts or int(conf.get("INVOICING_GATEWAY_ATTEMPTS"))
        self.backoff = conf.get("INVOICING_GATEWAY_BACKOFF") if backoff is None else backoff
        self.timeout = float(conf.get("INVOICING_GATEWAY_TIMEOUT"))
        self.sleep = sleep

    # ------------------------------------------------------------------ operations
    def submit(self, payload: dict) -> GatewayResult:
        return self._call("POST", "invoices/", payload)

    def query(self, request_id: str) -> GatewayResult:
        return self._call("GET", f"invoices/{quote(request_id, safe='')}/", None)

    def red(self, payload: dict) -> GatewayResult:
        return self._call("POST", "red/", payload)

    # ------------------------------------------------------------------ machinery
    def _call(self, method: str, path: str, body: dict | None) -> GatewayResult:
        url = urljoin(self.base_url, path)
        attempts: list[Attempt] = []
        for n in range(1, self.max_attempts + 1):
            self.bucket.acquire(sleep=self.sleep)
            started = time.monotonic()
            try:
                resp = self.transport.request(method, url, body, self.timeout)
            except TransportError as exc:
                attempts.append(Attempt(None, "network", str(exc)[:500], _ms(started)))
                self._backoff(n, None)
                continue
            code = str(resp.body.get("code", ""))
            attempts.append(Attempt(resp.status, code, str(resp.body.get("describe", ""))[:500],
                                    _ms(started)))
            if resp.status == 429 or resp.status >= 500:
                self._backoff(n, resp)
                continue
            ok = resp.status < 300 and code == SUCCESS
            return GatewayResult(ok=ok, code=code or str(resp.status),
                                 message=str(resp.body.get("describe", "")),
                                 data=resp.body.get("result") or {}, attempts=attempts,
                                 field=str(resp.body.get("field", "")))
        raise GatewayUnavailable(f"no answer from the tax gateway after {len(attempts)} attempts",
                                 attempts)

    def _backoff(self, n: int, resp: Response | None) -> None:
        if n >= self.max_attempts:
            return
        delay = self.backoff * (2 ** (n - 1)) * (0.5 + random.random())
        retry_after = (resp.headers.get("Retry-After") if resp else None) or ""
        if retry_after.replace(".", "", 1).isdigit():
            delay = max(delay, float(retry_after))
        self.sleep(min(delay, 30.0))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
