"""A real PostgreSQL server of the tests' own: initdb into a fresh folder, pg_ctl on a free port, removed at the end.

Debian's ``postgresql`` package puts the server programs (initdb, pg_ctl, postgres) in
/usr/lib/postgresql/<version>/bin, which is not on PATH, so they are looked for there first (newest version
first), then on PATH. ``scripts/install-test-deps`` installs the package when it is missing.

initdb and postgres refuse to run as root, and CI runs as root: then both run as the ``postgres`` system user
(the package creates it) through ``runuser``, over a folder chowned to that user. As any other user they run
directly. pytest-postgresql's process fixture is not used for this reason: it runs initdb as the current user.

The server listens on 127.0.0.1 only, with ``trust`` authentication for local connections, and keeps
``fsync=on``: the fault tests check what survives a restart.

Use it through the ``postgres_server`` and ``postgres_dsn`` fixtures (tests/conftest.py), or outside pytest
(benchmarks) with ``with running_postgres() as server: ...``.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
INSTALL_HINT = "PostgreSQL is not installed: run scripts/install-test-deps (or apt-get install postgresql)"

# Set in postgresql.conf, so that a restart keeps them. fsync and synchronous_commit are on (the defaults, said
# out loud): an acknowledged commit must survive a crash of the server.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "max_connections": "200",
    "log_min_messages": "warning",
}


def find_postgres_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when PostgreSQL is not installed."""

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.parent.name  # /usr/lib/postgresql/<version>/bin/initdb
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists() and (bindir / "postgres").exists():
            return bindir
    on_path = shutil.which("initdb")
    if on_path is not None:
        bindir = Path(on_path).resolve().parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresError(RuntimeError):
    """A server program failed; the message carries its output and the server's log."""


class PostgresServer:
    """One PostgreSQL cluster in its own folder: ``initdb`` once, then ``start``/``stop``/``restart`` at will."""

    host = "127.0.0.1"

    def __init__(self, bindir: Path, root: Path, port: int | None = None) -> None:
        self.bindir = bindir
        self.root = root
        self.data_dir = root / "data"
        self.socket_dir = root / "socket"
        self.log_file = root / "server.log"
        self.port = port if port is not None else free_port()
        # initdb and postgres refuse to run as root: run them as the package's system user instead.
        self._as_server_user: list[str] = ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []
        self.running = False

    # --- lifecycle ---------------------------------------------------------------------------------------

    def init(self) -> None:
        """Create the cluster: trust authentication on localhost, UTF-8, no locale (byte order, like SQLite).

        ``--no-sync`` only skips flushing the fresh cluster to disk once; the server itself runs with fsync on.
        """
        self.socket_dir.mkdir()
        if self._as_server_user:
            for path in (self.root, self.socket_dir):
                shutil.chown(path, user=SUPERUSER, group=None)
        self._run(
            "initdb", "--pgdata", str(self.data_dir), "--username", SUPERUSER, "--auth", "trust",
            "--encoding", "UTF8", "--no-locale", "--no-instructions", "--no-sync",
        )  # fmt: skip
        settings = "".join(f"{key} = {value}\n" for key, value in SERVER_SETTINGS.items())
        settings += f"unix_socket_directories = '{self.socket_dir}'\n"
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tests/postgres.py\n" + settings)

    def start(self) -> None:
        self._run(
            "pg_ctl", "start", "--pgdata", str(self.data_dir), "--log", str(self.log_file), "--wait",
            "--timeout", "60", "--options", f"-p {self.port}",
        )  # fmt: skip
        self.running = True
        log.info("PostgreSQL started on %s:%s in %s", self.host, self.port, self.data_dir)

    def stop(self, mode: str = "fast") -> None:
        """``fast``: roll back sessions, checkpoint, exit. ``immediate``: exit at once (crash recovery on start)."""
        self._run("pg_ctl", "stop", "--pgdata", str(self.data_dir), "--mode", mode, "--wait", "--timeout", "60")
        self.running = False

    def restart(self) -> None:
        self.stop("fast")
        self.start()

    def remove(self) -> None:
        """Stop the server if it runs, and delete its folder."""
        if self.running:
            try:
                self.stop("immediate")
            except PostgresError:
                log.warning("PostgreSQL in %s did not stop cleanly", self.data_dir, exc_info=True)
        shutil.rmtree(self.root, ignore_errors=True)

    # --- databases ---------------------------------------------------------------------------------------

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database (from template0, so nothing added to template1 leaks in); its DSN."""
        self.sql(f"CREATE DATABASE {quote_identifier(name)} TEMPLATE template0 ENCODING 'UTF8'")
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {quote_identifier(name)} WITH (FORCE)")

    def sql(self, statement: str, dbname: str = "postgres") -> str:
        """Run one statement with psql (a client: no need to change user) and return its unaligned output."""
        result = subprocess.run(
            [str(self.bindir / "psql"), "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
             "--set", "ON_ERROR_STOP=1", "--command", statement, self.dsn(dbname)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresError(f"psql failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout.strip()

    # --- helpers -----------------------------------------------------------------------------------------

    def _run(self, program: str, *arguments: str) -> None:
        command = [*self._as_server_user, str(self.bindir / program), *arguments]
        # The server user may not be able to enter the caller's working directory: work from the cluster's folder.
        result = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, check=False, env={**os.environ, "LC_ALL": "C"}
        )
        if result.returncode != 0:
            server_log = self.log_file.read_text(errors="replace")[-4000:] if self.log_file.exists() else ""
            raise PostgresError(
                f"{program} failed ({result.returncode}): {result.stdout.strip()} {result.stderr.strip()}\n"
                f"server log:\n{server_log}"
            )


def new_server_folder() -> Path:
    """A fresh folder under /tmp (0755 chain, so the server user can reach it), not pytest's 0700 tmp_path."""
    root = Path(tempfile.mkdtemp(prefix="workshop-bot-pg-", dir="/tmp"))
    root.chmod(0o755)
    return root


@contextlib.contextmanager
def running_postgres(bindir: Path | None = None) -> Iterator[PostgresServer]:
    """A started server in a fresh folder, stopped and removed on exit. Raises PostgresError when not installed."""
    bindir = bindir or find_postgres_bindir()
    if bindir is None:
        raise PostgresError(INSTALL_HINT)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise PostgresError("running as root needs runuser (util-linux) to start PostgreSQL as its own user")
    server = PostgresServer(bindir, new_server_folder())
    try:
        server.init()
        for attempt in range(3):
            try:
                server.start()
                break
            except PostgresError:
                # Another process may have taken the free port between the probe and the start.
                if attempt == 2:
                    raise
                log.warning("PostgreSQL did not start on port %s; trying another", server.port)
                server.port = free_port()
        yield server
    finally:
        server.remove()


def unique_database_name() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"


# --- a migrated template, cloned per test module ------------------------------------------------------------

# What a test may change besides rows, summed up in one value: the tables, their columns, constraints, indexes,
# triggers and functions of the public schema. A reset that finds it changed clones the template afresh.
SCHEMA_FINGERPRINT = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(c.relname || ':' || c.relkind::text || ':' || coalesce(cols.list, ''), ',' ORDER BY c.relname)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
     LEFT JOIN LATERAL (
       SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text
                         || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ';' ORDER BY a.attnum) AS list
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) cols ON true),
  (SELECT string_agg(pg_get_constraintdef(k.oid), ',' ORDER BY k.conname, pg_get_constraintdef(k.oid))
     FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace AND n.nspname = 'public'),
  (SELECT string_agg(t.tgname, ',' ORDER BY t.tgname)
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' WHERE NOT t.tgisinternal),
  (SELECT string_agg(p.proname, ',' ORDER BY p.proname)
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'public')
))
"""


class MigratedTemplate:
    """A database with every migration applied, kept as a template: ``CREATE DATABASE x TEMPLATE it`` copies it
    in a fraction of the time the migrations take. Connections to it are refused, so no test can change it."""

    def __init__(self, server: PostgresServer, name: str) -> None:
        self.server = server
        self.name = name
        self.fingerprint = ""
        self.empty_tables: tuple[str, ...] = ()  # every table with no rows once migrated: what a reset empties
        self.kept_tables: tuple[str, ...] = ()  # tables a migration fills (schema_version): checked, never emptied
        self.sequences: tuple[str, ...] = ()  # the identity columns' sequences: restarted by a reset

    def build(self, migrate: Callable[[str], None]) -> None:
        """Create the database, run ``migrate(dsn)`` on it, and freeze it as a template."""
        dsn = self.server.create_database(self.name)
        migrate(dsn)
        tables = self.server.sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", self.name
        ).split()
        counts = self.server.sql(
            "SELECT concat_ws(' ', " + ", ".join(f"(SELECT count(*) FROM {quote_identifier(t)})" for t in tables) + ")",
            self.name,
        ).split()
        self.empty_tables = tuple(t for t, n in zip(tables, counts, strict=True) if n == "0")
        self.kept_tables = tuple(t for t, n in zip(tables, counts, strict=True) if n != "0")
        self.sequences = tuple(
            self.server.sql(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'S' ORDER BY c.relname",
                self.name,
            ).split()
        )
        self.fingerprint = self.state(self.name)
        self.server.sql(f"ALTER DATABASE {quote_identifier(self.name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")

    def state_query(self) -> str:
        """The schema's fingerprint and the kept tables' rows: equal to the template's when a reset suffices."""
        kept = ", ".join(
            f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {quote_identifier(name)} t)"
            for name in self.kept_tables
        )
        return f"SELECT concat_ws('|', ({SCHEMA_FINGERPRINT}){', ' + kept if kept else ''})"

    def state(self, dbname: str) -> str:
        return self.server.sql(self.state_query(), dbname)

    def clone(self, name: str) -> str:
        """A new database, a copy of the template; its DSN."""
        self.server.sql(f"CREATE DATABASE {quote_identifier(name)} TEMPLATE {quote_identifier(self.name)}")
        return self.server.dsn(name)


class ModuleDatabase:
    """One migrated database for the tests of one module: cloned from the template for the first test, then
    emptied before each next one (every row gone, identities restarted), and cloned afresh whenever a test left
    more than rows behind (a changed schema, a lock a reset cannot take)."""

    def __init__(self, template: MigratedTemplate) -> None:
        self.template = template
        self.server = template.server
        self.name = unique_database_name()
        self.created = False

    def fresh(self) -> str:
        """The DSN of this module's database, as the template has it."""
        if not self.server.running:  # a test that stopped the server must not break the next one
            self.server.start()
        if self.created and not self._reset():
            log.info("test database %s was changed beyond its rows: cloning it afresh", self.name)
            self.drop()
        if not self.created:
            self.template.clone(self.name)
            self.created = True
        return self.server.dsn(self.name)

    def _reset(self) -> bool:
        # DELETE, not TRUNCATE: the tables hold a few rows, and TRUNCATE makes (and syncs) new files for every
        # table, several times slower. Foreign keys are not checked meanwhile (every table is emptied at once).
        statements = [
            # A connection a test left open (a bot still stopping) could write after the reset: end them first.
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            "SET lock_timeout = '5s'",
            "SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {quote_identifier(table)}" for table in self.template.empty_tables),
            *(f"SELECT setval('{quote_identifier(name)}', 1, false)" for name in self.template.sequences),
            self.template.state_query(),
        ]
        try:  # one psql, one transaction; psql 15 prints every statement's result: the state is the last line
            printed = self.server.sql(";\n".join(statements), self.name)
            return printed.splitlines()[-1:] == [self.template.fingerprint]
        except PostgresError:
            log.warning("test database %s could not be emptied", self.name, exc_info=True)
            return False

    def drop(self) -> None:
        if self.created:
            if not self.server.running:
                self.server.start()
            self.server.drop_database(self.name)
            self.created = False
