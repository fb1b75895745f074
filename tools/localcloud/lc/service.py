"""The shared shape of a managed service: prepare, launch, wait until ready, stop."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from . import proc
from .config import HOST, TOOL_DIR, Settings, sqlite_url, write_if_changed


@dataclasses.dataclass
class Context:
    """What every service needs: settings, generated secrets, the chosen DB backend."""

    settings: Settings
    secrets: dict
    db: str                      # 'mariadb' or 'sqlite' (for Heat and Ironic)
    echo: object = print

    def db_url(self, service: str) -> str:
        """SQLAlchemy URL of a service's database on the chosen backend (Heat, Ironic)."""
        if self.db == 'mariadb':
            from .mariadb import connection_url
            return connection_url(service, self.secrets['db_password'],
                                  self.settings.ports['mariadb'])
        return sqlite_url(self.sqlite_path(service))

    def sqlite_path(self, service: str) -> Path:
        return self.settings.data / f'{service}.db'

    def db_file(self, service: str) -> Path | None:
        """The sqlite file of a service on the chosen backend; None on MariaDB."""
        return self.sqlite_path(service) if self.db == 'sqlite' else None

    def child_env(self, extra: dict | None = None) -> dict:
        """Environment for service processes: ours minus OpenStack client variables,
        with tools/localcloud on PYTHONPATH (for lc.runtime)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('OS_', 'PYTHON', 'VIRTUAL_ENV'))}
        env['PYTHONPATH'] = str(TOOL_DIR)
        env['PYTHONUNBUFFERED'] = '1'
        env.update(extra or {})
        return env


class Service:
    """Base class.  Subclasses set `name` and implement prepare() and command()."""

    name = ''
    ready_path = '/'
    ready_codes = (200, 300)

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.settings = ctx.settings
        self.pidfile = proc.PidFile(self.settings.run, self.name)

    # -- to override ---------------------------------------------------------------
    def prepare(self) -> None:
        """Write configs, create databases; idempotent, runs before every launch."""

    def command(self) -> list:
        raise NotImplementedError

    def environment(self) -> dict:
        return self.ctx.child_env()

    def is_ready(self) -> bool:
        return proc.http_status(self.url + self.ready_path) in self.ready_codes

    def init_db_once(self, init, sqlite_path: Path | None = None) -> None:
        """Run init() unless a marker says it already succeeded for this state
        (a half-made sqlite file from a failed attempt is deleted first)."""
        marker = self.settings.data / f'{self.name}.db-initialized'
        if marker.exists():
            return
        if sqlite_path is not None:
            sqlite_path.unlink(missing_ok=True)
        init()
        write_if_changed(marker, 'done\n')

    def after_start(self) -> None:
        """Runs once after a launch of this invocation became ready."""

    # -- shared behaviour ---------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.settings.ports[self.name]

    @property
    def url(self) -> str:
        return f'http://{HOST}:{self.port}'

    @property
    def endpoint(self) -> str:
        """The URL registered in the Keystone catalog."""
        return self.url

    @property
    def log_path(self) -> Path:
        return self.settings.log(self.name)

    def pid(self) -> int | None:
        return self.pidfile.live_pid()

    def status(self) -> tuple[bool, str]:
        """(up, detail) without changing anything."""
        pid = self.pid()
        if pid is None:
            if proc.port_open(HOST, self.port):
                return False, f'not running (port {self.port} is taken by another process)'
            return False, 'not running'
        if not self.is_ready():
            return False, f'pid {pid} runs but {self.url} does not answer'
        return True, f'pid {pid}'

    def check_port(self) -> None:
        if proc.port_free(HOST, self.port) and not proc.port_open(HOST, self.port):
            return
        owners = proc.listeners(self.port)
        who = f' by pid(s) {", ".join(map(str, owners))}' if owners else ''
        raise proc.ServiceError(
            self.name, f'port {HOST}:{self.port} is already taken{who}, not by a process '
            f'localcloud started (stop it, or set LOCALCLOUD_PORT_{self.name.upper()})')

    def launch(self) -> None:
        proc.launch(self.name, self.command(), self.settings.run, self.log_path,
                    env=self.environment(), cwd=str(self.settings.state))

    def wait_ready(self, timeout: float | None = None) -> float:
        """Seconds until ready; ServiceError (with the log tail) when it dies or times out."""
        timeout = self.settings.ready_timeout if timeout is None else timeout
        start = time.monotonic()
        ok = proc.wait_until(self.is_ready, timeout, alive=lambda: self.pid() is not None)
        if not ok:
            died = self.pid() is None
            reason = 'exited during startup' if died else f'not ready after {timeout:.0f} s'
            raise proc.ServiceError(self.name, f'{reason} (log {self.log_path})',
                                    proc.tail(self.log_path))
        return time.monotonic() - start

    def stop(self) -> bool:
        return proc.stop(self.name, self.settings.run,
                         warn=lambda message: self.ctx.echo(f'WARNING: {message}'))

    def facts(self) -> dict:
        return {'url': self.url, 'port': self.port, 'log': str(self.log_path)}
