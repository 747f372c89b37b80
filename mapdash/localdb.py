"""A private PostgreSQL + PostGIS cluster in a folder, reached over a unix socket.

`make run` keeps one under var/pg when DATABASE_URL is unset; the test session starts a
throwaway one. initdb refuses to run as root, so as root the cluster belongs to `postgres`.
"""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql


class ClusterError(RuntimeError):
    pass


POSTGIS_LIBRARY = "postgis-3"  # the server library of Debian's postgresql-NN-postgis-3


# The watchdogs (stop_when_process_ends) and the write ends of their pipes, kept open until
# this process ends.
_watchdogs: list[tuple[subprocess.Popen, int]] = []


def _version_of(path: str) -> int:
    match = re.search(r"/postgresql/(\d+)/bin/", path)
    return int(match.group(1)) if match else 0


def server_bindir() -> Path:
    """The newest installed server's bin folder (Debian keeps them apart from the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_of)
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).resolve().parent
    raise ClusterError("PostgreSQL server not found: run `make deps` (installs postgresql and PostGIS)")


class LocalCluster:
    def __init__(self, root: Path, durable: bool = True):
        self.root = Path(root).resolve()
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.durable = durable
        self.as_postgres = os.geteuid() == 0
        self.bindir = server_bindir()
        self.socket_dir = self._socket_dir()

    def _socket_dir(self) -> Path:
        # A unix socket path must stay under ~107 bytes; long checkouts get one in /tmp.
        local = self.root / "run"
        if len(str(local / ".s.PGSQL.5432")) < 100:
            return local
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"mapdash-pg-{digest}"

    def _command(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_postgres else cmd

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(self._command(*args), capture_output=True, text=True)

    def _give_to_postgres(self, path: Path) -> None:
        if self.as_postgres:
            shutil.chown(path, "postgres", "postgres")

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        if self.initialized():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._give_to_postgres(self.root)
        if self.as_postgres:
            probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", str(self.root)])
            if probe.returncode != 0:
                raise ClusterError(
                    f"the postgres user cannot write to {self.root}; "
                    "set MAPDASH_VAR to a folder it can reach, or DATABASE_URL")
        result = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                           "--encoding=UTF8", "--locale=C.UTF-8")
        if result.returncode != 0:
            raise ClusterError(f"initdb failed:\n{result.stderr}")

    def running(self) -> bool:
        return self.initialized() and self._run("pg_ctl", "status", "-D", str(self.data)).returncode == 0

    def start(self) -> None:
        self.init()
        if self.running():
            return
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._give_to_postgres(self.socket_dir)
        options = f"-k {self.socket_dir} -c listen_addresses=''"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        if (self.bindir.parent / "lib" / f"{POSTGIS_LIBRARY}.so").exists():
            # Loaded once by the server, not by each new connection's first spatial query
            # (13 ms each, measured; every test's database is new, and so its connections).
            options += f" -c shared_preload_libraries={POSTGIS_LIBRARY}"
        if not self.log.exists():
            self.log.touch()
        self._give_to_postgres(self.log)
        result = self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data),
                           "-l", str(self.log), "-o", options)
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ClusterError(f"PostgreSQL did not start:\n{result.stderr}\n{tail}")

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def stop_when_process_ends(self, remove: Path | None = None) -> None:
        """Stop the cluster (and delete `remove`) when this process ends, however it ends, even
        by kill -9. Call it before start(): the postmaster is not our child (pg_ctl detaches
        it), so a watchdog in its own session waits for EOF on a pipe whose write end only this
        process holds; the kernel closes it when we exit. Stopping a stopped cluster is a no-op."""
        read, write = os.pipe()  # neither end is inherited by the processes we start later
        mode = "fast" if self.durable else "immediate"  # a throwaway cluster needs no checkpoint
        stop = self._command("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.data))
        watchdog = subprocess.Popen(
            [sys.executable, "-I", __file__, "--watchdog", json.dumps(stop), str(remove or "")],
            stdin=read, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
            start_new_session=True)
        os.close(read)
        _watchdogs.append((watchdog, write))

    def standby(self, root: Path) -> "LocalCluster":
        """A streaming-replication standby of this running cluster in `root` (not started):
        pg_basebackup -R copies the data and writes how to follow this one. A fresh cluster
        allows it as it is (wal_level replica, local replication connections trusted)."""
        standby = LocalCluster(root, durable=self.durable)
        standby.root.mkdir(parents=True, exist_ok=True)
        standby._give_to_postgres(standby.root)
        result = self._run("pg_basebackup", "-D", str(standby.data), "-R", "-X", "stream",
                           "-c", "fast", "-h", str(self.socket_dir), "-U", "postgres")
        if result.returncode != 0:
            raise ClusterError(f"pg_basebackup failed:\n{result.stderr}")
        return standby

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.socket_dir}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(dbname=dbname, user="postgres", host=str(self.socket_dir),
                               autocommit=True)

    def ensure_database(self, dbname: str) -> None:
        with self.connect() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def _watchdog(stop: list[str], remove: str) -> None:
    sys.stdin.buffer.read()  # returns at EOF: the process that started us has ended
    subprocess.run(stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if remove:
        shutil.rmtree(remove, ignore_errors=True)


if __name__ == "__main__" and sys.argv[1:2] == ["--watchdog"]:
    _watchdog(json.loads(sys.argv[2]), sys.argv[3])
