"""Keystone 30 on uwsgi: sqlite (WAL), fernet tokens, password auth, trusts."""

from __future__ import annotations

import concurrent.futures

from . import proc, sqlite
from .config import HOST, REGION, render_ini, sqlite_url, write_if_changed
from .service import Service
from .venvs import bin_of

VENV = 'openstack'
SQLITE_BUSY_MS = 30000

THREADS_WARNING = (
    'WARNING: Keystone runs {threads} request threads per uWSGI process '
    '(LOCALCLOUD_KEYSTONE_THREADS={threads}): this reproduces the race in which concurrent '
    'requests of one process mix up their scope (Heat create_trust 403 "request was made '
    'with domain scope", Senlin nodes failing). Unset it for a reliable cloud.')


def uwsgi_workers(processes: int, threads: int) -> list:
    """uWSGI worker options: processes of one thread each, as devstack runs Keystone."""
    return ['--processes', str(processes), '--threads', str(threads)]


def keystone_conf(settings, db_path, log_path) -> dict:
    return {
        'DEFAULT': {'log_file': log_path, 'use_stderr': False},
        # check_same_thread=false: uwsgi threads share pooled sqlite connections
        'database': {'connection': sqlite_url(db_path) + '?check_same_thread=false'},
        'token': {'provider': 'fernet', 'expiration': 86400},
        'fernet_tokens': {'key_repository': settings.data / 'keystone-fernet-keys'},
        'credential': {'key_repository': settings.data / 'keystone-credential-keys'},
        # without a cache each token validation costs ~220 SQL queries (200-450 ms)
        'cache': {'enabled': True, 'backend': 'oslo_cache.dict', 'expiration_time': 600},
        # bcrypt cost 4 instead of 12: password auth ~2 ms instead of ~300 ms
        'identity': {'password_hash_rounds': 4},
        'oslo_policy': {'enforce_scope': False},
    }


class Keystone(Service):
    name = 'keystone'
    ready_path = '/v3'
    ready_codes = (200,)

    @property
    def conf_dir(self):
        return self.settings.etc / 'keystone'

    @property
    def db_path(self):
        return self.settings.data / 'keystone.db'

    @property
    def marker(self):
        return self.settings.data / 'keystone.initialized'

    def prepare(self) -> None:
        if self.settings.keystone_threads > 1:
            self.ctx.echo(THREADS_WARNING.format(threads=self.settings.keystone_threads))
        conf = self.conf_dir / 'keystone.conf'
        write_if_changed(conf, render_ini(keystone_conf(self.settings, self.db_path,
                                                        self.log_path)))
        if not self.marker.exists():
            self.bootstrap(conf)

    def bootstrap(self, conf) -> None:
        self.db_path.unlink(missing_ok=True)
        manage = [bin_of(self.settings, VENV, 'keystone-manage'), '--config-file', conf]
        owner = ['--keystone-user', proc.current_user(), '--keystone-group', proc.current_group()]
        independent = [
            ('db_sync', manage + ['db_sync']),
            ('fernet_setup', manage + ['fernet_setup'] + owner),
            ('credential_setup', manage + ['credential_setup'] + owner),
        ]
        # the DB and the two key repositories do not depend on each other
        with concurrent.futures.ThreadPoolExecutor(len(independent)) as pool:
            for future in [pool.submit(self._manage, what, argv) for what, argv in independent]:
                future.result()
        argv, env = self.bootstrap_command(conf)
        self._manage('bootstrap', argv, env)
        sqlite.enable_wal(self.db_path)
        self.marker.touch(mode=0o600)

    def bootstrap_command(self, conf) -> tuple[list, dict]:
        """keystone-manage bootstrap: (argv, environment).  The admin password goes in the
        environment (OS_BOOTSTRAP_PASSWORD, read by keystone-manage bootstrap), never in argv:
        argv is visible to every user in /proc/<pid>/cmdline and `ps`, and run_logged writes
        it to keystone.log."""
        url = self.settings.auth_url
        argv = [bin_of(self.settings, VENV, 'keystone-manage'), '--config-file', conf,
                'bootstrap', '--bootstrap-region-id', REGION, '--bootstrap-admin-url', url,
                '--bootstrap-public-url', url, '--bootstrap-internal-url', url]
        env = self.ctx.child_env({'OS_BOOTSTRAP_PASSWORD': self.ctx.secrets['admin_password']})
        return argv, env

    def _manage(self, what: str, argv: list, env: dict | None = None) -> None:
        proc.run_logged(argv, self.log_path, env=env or self.ctx.child_env(),
                        what=f'keystone-manage {what}', service=self.name)

    def command(self) -> list:
        venv = self.settings.venv(VENV)
        return [bin_of(self.settings, VENV, 'uwsgi'),
                '--http-socket', f'{HOST}:{self.port}',
                '--module', 'lc.runtime.keystone_wsgi:application',
                '--virtualenv', venv, '--pythonpath', self.ctx.child_env()['PYTHONPATH'],
                '--master',
                *uwsgi_workers(self.settings.keystone_processes, self.settings.keystone_threads),
                '--enable-threads',
                '--lazy-apps', '--need-app', '--die-on-term', '--no-orphans',
                '--disable-logging',
                # uwsgi's --http-socket closes connections without saying so; clients
                # reusing them get ECONNRESET / RemoteDisconnected
                '--add-header', 'Connection: close']

    def environment(self) -> dict:
        return self.ctx.child_env({'OS_KEYSTONE_CONFIG_DIR': str(self.conf_dir),
                                   'LC_SQLITE_BUSY_MS': str(SQLITE_BUSY_MS)})

    def facts(self) -> dict:
        return dict(super().facts(), auth_url=self.settings.auth_url, db='sqlite',
                    processes=self.settings.keystone_processes,
                    threads=self.settings.keystone_threads)

