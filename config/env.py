"""The one place that reads the environment.

Everything configurable is read here, once, so settings modules stay declarative.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Env:
    database_url: str
    redis_url: str
    secret_key: str | None
    debug: bool
    allowed_hosts: list[str]
    sandbox: bool
    embedded: bool


@cache
def load() -> Env:
    """Resolve service URLs, starting the embedded servers when none are given."""
    from config import embedded

    database_url = os.environ.get("DATABASE_URL", "").strip()
    redis_url = os.environ.get("REDIS_URL", "").strip()
    started = False
    if not database_url:
        database_url = embedded.ensure_postgres()
        started = True
    if not redis_url:
        redis_url = embedded.ensure_redis()
        started = True
    hosts = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    return Env(
        database_url=database_url,
        redis_url=redis_url,
        secret_key=os.environ.get("SECRET_KEY") or None,
        debug=_flag("DEBUG", False),
        allowed_hosts=[h.strip() for h in hosts.split(",") if h.strip()],
        sandbox=_flag("LIUZHUAN_SANDBOX", False),
        embedded=started,
    )


def database_settings(url: str) -> dict:
    """Turn a postgres URL (TCP or ``?host=/socket/dir``) into Django DATABASES['default']."""
    from urllib.parse import parse_qs, unquote, urlparse

    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or ""])[0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        # Persistent connections: a new PostgreSQL backend per request costs more than the
        # request itself on the ingest path. Health checks drop a connection that went away.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "ATOMIC_REQUESTS": False,
    }
