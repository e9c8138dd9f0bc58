"""The real services of the production topology, started on loopback for a test module:
PostgreSQL (initdb in a temporary folder, run as the `postgres` user, which it insists
on), Redis with a password, and nginx from the deployment's own template. Passwords go
through files readable only by their owner, never on a command line."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

from bot.settings import PROJECT_ROOT
from tests.fakes.ports import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
NGINX_TEMPLATE = PROJECT_ROOT / "deploy" / "nginx" / "ar-assistant.conf.template"


def _wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path,
                   timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped at start:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port}:\n{log.read_text(errors='replace')}")


def _stop(process: Optional[subprocess.Popen], sig_timeout: float = 20) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=sig_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _as_postgres(args: Sequence[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


class Postgres:
    """One PostgreSQL 15 cluster; `url(name)` for each database in it."""

    def __init__(self):
        # The postgres user must reach its folder: not under pytest's root-only tmp dirs.
        self.root = Path(tempfile.mkdtemp(prefix="ar-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "ar"
        self.password = secrets.token_urlsafe(18)
        self.process: Optional[subprocess.Popen] = None
        self.log = self.root / "postgres.log"
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(pwfile, "postgres")
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U",
                                     self.user, f"--pwfile={pwfile}", "--auth=scram-sha-256",
                                     "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True, timeout=120)
        pwfile.unlink()

    def start(self) -> None:
        log = open(self.log, "ab")
        self.process = subprocess.Popen(
            _as_postgres([str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
                          "-c", "listen_addresses=127.0.0.1", "-c",
                          f"unix_socket_directories={self.root}", "-c", "max_connections=200",
                          "-c", "fsync=off"]),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for_port(self.port, self.process, "PostgreSQL", self.log)
        self._wait_ready()

    def _wait_ready(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg2.connect(self.dsn("postgres")).close()
                return
            except psycopg2.OperationalError:  # still starting up
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """A fast shutdown (clients disconnected, as when the database goes away), then
        the process gone: `start` brings the same cluster back."""
        if self.process is not None and self.process.poll() is None:
            subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data),
                                         "-m", "fast", "-w", "-t", "30"]),
                           capture_output=True, timeout=60)
        _stop(self.process)
        self.process = None

    def dsn(self, database: str) -> str:
        return (f"host=127.0.0.1 port={self.port} user={self.user} "
                f"password={self.password} dbname={database}")

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/"
                f"{database}")

    def create_database(self, name: str) -> str:
        import psycopg2

        connection = psycopg2.connect(self.dsn("postgres"))
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url(name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Redis:
    """A Redis server on loopback that asks for a password (kept in its config file)."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.password = secrets.token_urlsafe(18)
        self.process: Optional[subprocess.Popen] = None
        self.log = root / "redis.log"
        self.config = root / "redis.conf"
        self.config.write_text(f"bind 127.0.0.1\nport {self.port}\nrequirepass {self.password}\n"
                               f"dir {root}\nsave \"\"\nappendonly no\n")
        self.config.chmod(0o600)

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", str(self.config)],
                                        stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        _wait_for_port(self.port, self.process, "Redis", self.log)

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/{db}"


def render_nginx(template: str, values: dict[str, str]) -> str:
    """The template with each ${NAME} of `values` replaced (envsubst with a list of
    names): nginx's own $variables are left alone."""
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    return template


def upstream_servers(ports: Sequence[int]) -> str:
    return " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)


class Nginx:
    """nginx from deploy/nginx's template in front of the given Rasa and action servers."""

    def __init__(self, rasa_ports: Sequence[int], action_ports: Sequence[int]):
        # nginx's workers (www-data when started as root) write request bodies under its
        # folder: not under pytest's root-only tmp dirs.
        self.root = Path(tempfile.mkdtemp(prefix="ar-nginx-"))
        self.root.chmod(0o755)
        self.port, self.actions_port = free_port(), free_port()
        self.process: Optional[subprocess.Popen] = None
        self.config = self.root / "nginx.conf"
        self.config.write_text(render_nginx(NGINX_TEMPLATE.read_text(), {
            "RUN_DIR": str(self.root), "LISTEN": f"127.0.0.1:{self.port}",
            "ACTIONS_LISTEN": f"127.0.0.1:{self.actions_port}",
            "RASA_SERVERS": upstream_servers(rasa_ports),
            "ACTION_SERVERS": upstream_servers(action_ports)}))

    def start(self) -> None:
        log = self.root / "nginx.out"
        self.process = subprocess.Popen(
            ["nginx", "-c", str(self.config), "-p", str(self.root), "-g", "daemon off;"],
            stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for_port(self.port, self.process, "nginx", log)

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
