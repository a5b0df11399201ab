"""Durable records kept for staff (feedback, and what comes next), in one SQL schema.

The same SQLAlchemy Core code runs on SQLite, a file beside the index and the default for
one host, and on PostgreSQL (`PLAIBOT_DATABASE_URL`, needs plaibot[scale]), which every
host of a deployment shares. The schema is `plaibot.records.tables`; its Alembic migrations
(`plaibot/records/migrations/versions/`) run whenever `Records` is first used, once per
database even with several hosts starting at once (an advisory lock on PostgreSQL, a file
lock beside a SQLite file).

>>> records = Records("sqlite:///.plaibot/feedback.sqlite3")   # or postgresql://...
>>> with records.begin() as db:                                # one transaction
...     db.execute(records.insert(tables.feedback).values(...))

When the database cannot be reached, every operation raises `RecordsUnavailable` (the API
answers 503), at once for `retry_seconds` after a failure rather than waiting out a connect
timeout on every request (answers that log to the records must not stall): only the one
operation that tries again after that waits, up to `CONNECT_TIMEOUT_SECONDS` when the server
does not answer at all. The pool tests connections before use, so work resumes once it is
back.

Adding a table (e.g. unanswered questions for a staff console):

1. Describe it in `tables.py` as a `Table` on `metadata`.
2. Add `migrations/versions/000N_<name>.py` with `revision = "000N"`,
   `down_revision = "<the previous one>"` and an `upgrade()` that creates it with
   `op.create_table` (copy 0001_feedback.py), or let Alembic write it from the difference:
   `python -m plaibot.records revision "knowledge gaps"` (review what it wrote).
3. Read and write it through `Records.begin()` in a small module of its own, the way
   `plaibot.feedback` does. `tests/test_records.py` checks that the migrations build
   exactly `tables.metadata` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from plaibot.errors import RecordsUnavailable
from plaibot.records import tables

__all__ = ["Records", "RecordsUnavailable", "database_url", "tables"]

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x706C6169  # "plai": the advisory lock every host takes while migrating
# Answers count themselves in the records (the gap log's daily counts) on their answering
# thread. When PostgreSQL does not answer at all (a partition, not a refused connection),
# the one request that tries again after `retry_seconds` waits this long: 2 s, the least
# psycopg accepts, rather than 5 s of a thread that could be answering.
CONNECT_TIMEOUT_SECONDS = 2


def database_url(url: str | None, sqlite_file: Path) -> str:
    """`url` with PostgreSQL on psycopg 3 (plain `postgresql://` would ask for psycopg2),
    or the SQLite file when `url` is unset."""
    if not url:
        return f"sqlite:///{sqlite_file}"
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


class Records:
    """One database, its connection pool and its migrations."""

    def __init__(self, url: str, timeout_seconds: float = 5.0,
                 retry_seconds: float = 2.0) -> None:
        self.url, self.retry_seconds = make_url(url), retry_seconds
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite" and self.url.database:
            try:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:  # unreachable, like a server that is down: 503, not a crash
                log.error("cannot create the folder of the records at %s: %s",
                          self.location(), error)
        options: dict[str, Any] = {"pool_pre_ping": True}  # a restarted server's dead sockets
        if self.dialect == "sqlite":
            # A writer in another worker makes this one wait up to `timeout`, not fail.
            options["connect_args"] = {"timeout": timeout_seconds}
        elif self.dialect == "postgresql":
            # tcp_user_timeout: a pooled connection whose packets go unacknowledged (the
            # network gone, not a slow query) fails after as long, not after TCP's minutes.
            options.update(pool_timeout=timeout_seconds, connect_args={
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "tcp_user_timeout": CONNECT_TIMEOUT_SECONDS * 1000})
        self.engine = create_engine(self.url, **options)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_wal)
        self._migrated = False
        self._lock = threading.Lock()
        # While unreachable: why (for the log, and for the public), and when to try again.
        self._problem: tuple[str, str] | None = None
        self._retry_at = 0.0

    def location(self) -> str:
        """Where the records are, without any password (for the log: it names the user,
        the host and a SQLite file's path)."""
        return self.url.render_as_string(hide_password=True)

    def describe(self) -> dict[str, str]:
        """What anyone may know of where the records are: the engine and the database's
        name, or a SQLite file's name without its folder."""
        name = self.url.database or ""
        return {"kind": self.dialect, "name": Path(name).name if self.dialect == "sqlite" else name}

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction (committed when the block ends), once the schema
        is up to date; raises `RecordsUnavailable` when the database cannot be reached."""
        self.migrate()
        with self._reachable(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """Connection failures (and every pooled connection busy for `timeout_seconds`)
        raised as `RecordsUnavailable`, with the driver's reason (its public text: the
        error's kind only, since the driver's reason names hosts, ports and paths); after a
        connection failure, raised without trying for `retry_seconds`."""
        problem = self._problem
        if problem is not None and time.monotonic() < self._retry_at:
            raise RecordsUnavailable(*problem)
        try:
            yield
        except PoolTimeout as error:  # busy, not down
            raise RecordsUnavailable(f"The records database at {self.location()} is too busy "
                                     f"({error})", "the records database is too busy") from error
        except (OperationalError, InterfaceError, OSError) as error:  # OSError: a SQLite lock file
            reason = (str(getattr(error, "orig", None) or error).strip().splitlines()
                      or ["no reason"])[0][:200]
            self._problem = (
                f"The records database at {self.location()} is unavailable ({reason})",
                f"the records database is unavailable ({type(error).__name__})")
            self._retry_at = time.monotonic() + self.retry_seconds
            if problem is None:
                log.warning("%s: feedback and other records get 503 until it is back",
                            self._problem[0])
            raise RecordsUnavailable(*self._problem) from error
        if problem is not None:
            self._problem = None
            log.warning("the records database at %s is back", self.location())

    def insert(self, table: Table) -> Any:
        """This engine's INSERT, which has `on_conflict_do_update` on SQLite and PostgreSQL."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (once per process; cheap afterwards);
        raises `RecordsUnavailable` when the database cannot be reached."""
        if self._migrated:
            return
        with self._lock:
            if self._migrated:
                return
            from alembic import command

            with self._reachable(), self._migration_lock(), self.engine.begin() as connection:
                if self.dialect == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
                config = alembic_config()
                config.attributes["connection"] = connection
                # Alembic logs a dozen lines per start at INFO (its plugins); ours says enough.
                logging.getLogger("alembic").setLevel(logging.WARNING)
                command.upgrade(config, "head")
            self._migrated = True
            log.info("records at %s: schema up to date", self.location())

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """Across the processes of one host, for SQLite (PostgreSQL locks in the database)."""
        if self.dialect != "sqlite" or not self.url.database:
            yield
            return
        with open(f"{self.url.database}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def problem(self) -> str | None:
        """Why the records cannot be used now, for health reports anyone may read (no
        address, user or path: the log has those), or None."""
        try:
            with self.begin() as connection:
                connection.execute(text("SELECT 1"))
        except RecordsUnavailable as error:
            return error.public
        return None

    def close(self) -> None:
        self.engine.dispose()


def alembic_config() -> Any:
    """Alembic's settings for these migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _sqlite_wal(connection: Any, _: Any) -> None:
    # WAL lets readers and one writer work at once, across processes.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
