"""A private MariaDB (Debian's mariadbd) for Heat and Ironic, on 127.0.0.1:3307.

Not the system service: the tool runs `mariadbd` itself with its own datadir under the
state directory.  Heat and Ironic take concurrent writes (Senlin creates stacks in
parallel; parallel allocations), which sqlite cannot do reliably.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import proc
from .config import HOST, mariadbd_path
from .service import Service

DATABASES = ('heat', 'ironic')


def install(echo=print) -> None:
    """apt-get install mariadb-server (root only; asked for by the user)."""
    if os.geteuid() != 0:
        raise RuntimeError('--install-mariadb needs root (apt-get)')
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    echo('installing mariadb-server with apt-get')
    subprocess.run(['apt-get', 'update', '-q'], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run(['apt-get', 'install', '-y', '-q', '--no-install-recommends',
                    'mariadb-server'], check=True, env=env, stdout=subprocess.DEVNULL)


def connection_url(database: str, password: str, port: int) -> str:
    return (f'mysql+pymysql://{database}:{password}@{HOST}:{port}/{database}'
            '?charset=utf8mb4')


def setup_sql(password: str) -> str:
    """Idempotent SQL creating one database and one user per service."""
    statements = []
    for db in DATABASES:
        statements += [
            f'CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4',
            f"CREATE USER IF NOT EXISTS '{db}'@'{HOST}' IDENTIFIED BY '{password}'",
            f"GRANT ALL ON {db}.* TO '{db}'@'{HOST}'",
        ]
    return ';\n'.join(statements) + ';\n'


class MariaDB(Service):
    name = 'mariadb'

    @property
    def datadir(self) -> Path:
        return self.settings.data / 'mariadb'

    @property
    def socket(self) -> str:
        # unix socket paths are limited to 107 bytes; fall back to a short temp path
        path = self.settings.run / 'mariadb.sock'
        if len(str(path)) < 100:
            return str(path)
        return os.path.join(tempfile.gettempdir(), f'localcloud-{os.getuid()}-{self.port}.sock')

    def prepare(self) -> None:
        if (self.datadir / 'mysql').is_dir():
            return
        if self.datadir.exists():
            shutil.rmtree(self.datadir)
        proc.run_logged(['mariadb-install-db', '--no-defaults', f'--datadir={self.datadir}',
                         f'--user={proc.current_user()}', '--auth-root-authentication-method=normal',
                         '--skip-test-db'],
                        self.log_path, env=self.environment(), what='mariadb-install-db',
                        service=self.name)

    def command(self) -> list:
        return [mariadbd_path() or 'mariadbd', '--no-defaults', f'--datadir={self.datadir}',
                f'--socket={self.socket}', f'--port={self.port}', f'--bind-address={HOST}',
                f'--user={proc.current_user()}', f'--pid-file={self.settings.run / "mariadbd.pid"}',
                '--innodb-buffer-pool-size=64M', '--skip-name-resolve',
                '--max-connections=300', '--log-error=' + str(self.log_path)]

    def environment(self) -> dict:
        # mariadbd sets its own umask from these (default 0660 files): private datadir
        return self.ctx.child_env({'UMASK': '0600', 'UMASK_DIR': '0700'})

    def is_ready(self) -> bool:
        return self._client('SELECT 1') == 0

    def after_start(self) -> None:
        if self._client(setup_sql(self.ctx.secrets['db_password'])) != 0:
            raise proc.ServiceError(self.name, 'creating the databases failed',
                                    proc.tail(self.log_path))

    def _client(self, sql: str) -> int:
        if not os.path.exists(self.socket):
            return 1
        result = subprocess.run(['mariadb', '--no-defaults', '-S', self.socket, '-uroot'],
                                input=sql, text=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        return result.returncode

    def url_for(self, database: str) -> str:
        return connection_url(database, self.ctx.secrets['db_password'], self.port)

    def facts(self) -> dict:
        return {'port': self.port, 'socket': self.socket, 'datadir': str(self.datadir),
                'log': str(self.log_path), 'databases': list(DATABASES)}

