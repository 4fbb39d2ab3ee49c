"""The embedded servers: started once even when two processes race to start them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

PROBE = """
import json, sys
sys.path.insert(0, {root!r})
from config import embedded
pg = embedded.ensure_postgres()
redis = embedded.ensure_redis()
data_dir, _ = embedded._pg_dirs()
pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
base, _ = embedded._redis_dirs()
import psycopg, redis as r
from urllib.parse import urlparse, parse_qs
host = parse_qs(urlparse(pg).query)["host"][0]
with psycopg.connect(host=host, user="postgres", dbname="liuzhuan") as conn:
    one = conn.execute("select 1").fetchone()[0]
ping = r.Redis.from_url(redis).ping()
print(json.dumps({{"pg": pg, "redis": redis, "pg_pid": pid,
                  "redis_pid": int((base / "redis.pid").read_text()), "ok": one == 1 and ping}}))
"""


def _start_two_at_once(var_dir: Path) -> list[dict]:
    env = {**os.environ, "LIUZHUAN_VAR_DIR": str(var_dir)}
    code = PROBE.format(root=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_processes_start_one_server_and_restart_reuses_it(tmp_path):
    var_dir = tmp_path / "var"
    sys.path.insert(0, str(ROOT))
    try:
        first = _start_two_at_once(var_dir)
        assert all(r["ok"] for r in first)
        assert first[0]["pg_pid"] == first[1]["pg_pid"]
        assert first[0]["redis_pid"] == first[1]["redis_pid"]
        again = _start_two_at_once(var_dir)
        assert again[0]["pg_pid"] == first[0]["pg_pid"]  # reused, not restarted
        assert again[0]["redis_pid"] == first[0]["redis_pid"]
    finally:
        env = {**os.environ, "LIUZHUAN_VAR_DIR": str(var_dir)}
        subprocess.run(
            [sys.executable, "-c",
             f"import sys; sys.path.insert(0, {str(ROOT)!r}); from config import embedded; "
             "embedded.stop_postgres(); embedded.stop_redis()"],
            env=env, timeout=60, check=False,
        )


def test_given_urls_start_nothing(tmp_path):
    env = {**os.environ, "LIUZHUAN_VAR_DIR": str(tmp_path / "unused"),
           "DATABASE_URL": "postgresql://u:p@db.invalid:5432/x", "REDIS_URL": "redis://r.invalid:6379/0"}
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from config import env; "
            "e = env.load(); print(e.database_url, e.redis_url, e.embedded)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.split() == ["postgresql://u:p@db.invalid:5432/x", "redis://r.invalid:6379/0", "False"]
    assert not (tmp_path / "unused" / "pg").exists()
