"""A real HTTP receiver on 127.0.0.1 (stdlib ``http.server`` thread) for delivery tests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels_adapters.subscribers.services.ratelimit import redis_client


@dataclass
class Hit:
    path: str
    headers: dict
    body: bytes
    at: float
    answered: int


@dataclass
class Receiver:
    url: str
    hits: list = field(default_factory=list)
    # answer(hit_number, path) -> status code (default 200); may sleep
    answer: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok_hits(self):
        return [h for h in self.hits if h.answered == 200]


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            at = time.monotonic()
            with state.lock:
                number = len(state.hits) + 1
            code = state.answer(number, self.path) if state.answer else 200
            with state.lock:
                state.hits.append(Hit(self.path, dict(self.headers), body, at, code))
            payload = b'{"ok":true}' if code == 200 else b'{"error":"nope"}'
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _fast_policy(settings):
    settings.LIUZHUAN_WEBHOOKS = {
        "backoff_base": 0.05, "backoff_max": 0.2, "breaker_cooldown": 0.3,
        "breaker_cooldown_max": 0.5, "relay_budget": 10.0,
    }
    yield


@pytest.fixture(autouse=True)
def _clean_rate_buckets():
    client = redis_client()
    from core.coalesce import namespaced

    for pattern in ("liuzhuan:subscribers:*", namespaced("subscribers:*")):
        for key in client.scan_iter(pattern):
            client.delete(key)
    yield
