"""`make run` from a fresh state: healthy within 120 s, admin and API up, re-run adds nothing.

Runs the real Makefile target in the background with its own LIUZHUAN_VAR_DIR (so its own
embedded PostgreSQL and Redis) and port, then stops everything it started.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


class Stack:
    def __init__(self, var_dir: Path, port: int):
        self.port = port
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        self.env.update(LIUZHUAN_VAR_DIR=str(var_dir), LIUZHUAN_ADMIN_PASSWORD="e2e-pass-123",
                        PORT=str(port))
        self.log = var_dir / "make-run.log"

    def start(self) -> subprocess.Popen:
        var = Path(self.env["LIUZHUAN_VAR_DIR"])
        var.mkdir(parents=True, exist_ok=True)
        handle = open(self.log, "ab")
        return subprocess.Popen(["make", "run", f"PORT={self.port}"], cwd=ROOT, env=self.env,
                                stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, proc, timeout: float = 120) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if proc.poll() is not None:
                raise AssertionError(f"make run exited early:\n{self.log.read_text()[-4000:]}")
            try:
                status, _ = _get(f"http://127.0.0.1:{self.port}/healthz")
                if status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(1)
        raise AssertionError(f"not healthy in {timeout}s:\n{self.log.read_text()[-4000:]}")

    def stop(self, proc) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def token(self) -> str:
        found = re.findall(r"API token for admin: ([0-9a-f]{40})", self.log.read_text())
        assert found, self.log.read_text()[-3000:]
        return found[-1]

    def shutdown_services(self) -> None:
        subprocess.run([sys.executable, "manage.py", "embedded", "stop"], cwd=ROOT, env=self.env,
                       capture_output=True, timeout=60)


def _count(port: int, token: str, path: str) -> int:
    total, url = 0, f"http://127.0.0.1:{port}{path}"
    while url:
        _, body = _get(url, token)
        data = json.loads(body)
        rows = data["results"] if isinstance(data, dict) else data
        total += len(rows)
        url = data.get("next") if isinstance(data, dict) else None
    return total


def test_make_run_twice_from_fresh_state(tmp_path):
    stack = Stack(tmp_path / "var", _free_port())
    try:
        proc = stack.start()
        try:
            elapsed = stack.wait_healthy(proc)
            assert elapsed < 120
            status, page = _get(f"http://127.0.0.1:{stack.port}/admin/login/")
            assert status == 200 and b'name="password"' in page
            token = stack.token()
            orders_first = _count(stack.port, token, "/api/v1/orders/?page_size=500")
            shops_first = _count(stack.port, token, "/api/v1/shops/")
            skus_first = _count(stack.port, token, "/api/v1/skus/")
            warehouses_first = _count(stack.port, token, "/api/v1/warehouses/")
            assert orders_first >= 40 and shops_first >= 5
            # scheduler -> Redis broker -> worker: the heartbeat actor ran.
            deadline = time.monotonic() + 60
            beat = None
            while beat is None and time.monotonic() < deadline:
                _, body = _get(f"http://127.0.0.1:{stack.port}/healthz?verbose=1")
                beat = json.loads(body).get("worker_heartbeat")
                time.sleep(1)
            assert beat, stack.log.read_text()[-3000:]
        finally:
            stack.stop(proc)
        assert proc.returncode is not None

        log_before = stack.log.read_text()
        proc = stack.start()
        try:
            stack.wait_healthy(proc)
            token = stack.token()
            # Master data and the seeded demo orders exist once; (the running sandbox sync may
            # ingest more platform orders meanwhile — those are not demo rows).
            assert _count(stack.port, token, "/api/v1/shops/") == shops_first
            assert _count(stack.port, token, "/api/v1/skus/") == skus_first
            assert _count(stack.port, token, "/api/v1/warehouses/") == warehouses_first
            second = stack.log.read_text()[len(log_before):]
            assert "master data created: {'shops': 0, 'skus': 0, 'warehouses': 0, 'customers': 0}" in second
            assert "demo orders created: 0" in second
        finally:
            stack.stop(proc)
    finally:
        stack.shutdown_services()
