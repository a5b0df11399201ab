"""Real Redis and PostgreSQL servers for the tests, on free loopback ports with throwaway
data folders: started by the tests, killed and restarted by them, removed after.

Debian's `redis-server` and `postgresql` packages provide them (`.ci/run` installs both);
tests that need one are skipped only when its binaries are missing, and fail instead in CI
(`CI` set, as `.ci/run` is run), which installs them. PostgreSQL refuses to run as root, so
as root it runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import importlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, missing

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
POSTGRES_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))


def _wait(ready, process: subprocess.Popen, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if ready():
            return
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start in {seconds} s")


class RedisServer:
    """`redis-server` without persistence: a kill loses its counters, as a crash would."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="plaibot-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def ready() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False
        _wait(ready, self.process, 30, "redis-server")

    def kill(self) -> None:
        if self.process:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresServer:
    """A throwaway PostgreSQL cluster (trust authentication on loopback, no fsync)."""

    def __init__(self) -> None:
        self.bin = POSTGRES_BINS[-1].parent
        # Under /tmp itself: the postgres user cannot enter pytest's root-only folders.
        self.folder = Path(tempfile.mkdtemp(prefix="plaibot-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*self._as_user, str(self.bin / "initdb"), "-D", str(self.data), "-U",
                        "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, capture_output=True, timeout=120)

    def url(self, database: str = "plaibot") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        import psycopg

        self.process = subprocess.Popen(
            [*self._as_user, str(self.bin / "postgres"), "-D", str(self.data), "-p",
             str(self.port), "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1",
             "-c", "fsync=off", "-c", "full_page_writes=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def ready() -> bool:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=1).close()
                return True
            except psycopg.OperationalError:
                return False
        _wait(ready, self.process, 60, "postgres")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}"')
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def kill(self) -> None:
        """Immediate shutdown (SIGQUIT): connections cut, no checkpoint, as in a crash;
        the next start recovers from the write-ahead log."""
        if self.process is None:
            return
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():  # the server itself, not the runuser in front of it
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
        self.process.wait(timeout=60)
        self.process = None

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def running(server_class: type, installed: bool, package: str, client: str):
    """A started server, or a skip when its Debian package or Python client is missing
    (a failure in CI: there a skip would pass the several-hosts tests without running them)."""
    if not installed:
        missing(f"{package} is not installed (Debian package {package})")
    try:
        importlib.import_module(client)
    except ImportError:
        missing(f"the Python client {client} is not installed (the `scale` extra)")
    server = server_class()
    server.start()
    return server


@pytest.fixture(scope="module")
def redis_server():
    server = running(RedisServer, Path(REDIS_SERVER).exists(), "redis-server", "redis")
    yield server
    server.remove()


@pytest.fixture(scope="module")
def postgres_server():
    server = running(PostgresServer, bool(POSTGRES_BINS), "postgresql", "psycopg")
    yield server
    server.remove()
