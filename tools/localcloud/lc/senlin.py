"""Senlin 16 (own venv, 2023.2 pins): all four services in one process, real drivers.

`cloud_backend = openstack` makes Senlin use the real OpenStack drivers: an
`os.heat.stack-1.0` profile node is a real Heat stack.  All drivers switch together, so
`os.nova.server` profiles fail here (there is no Nova).
"""

from __future__ import annotations

from . import proc, sqlite
from .config import REGION, authtoken_section, render_ini, sqlite_url, write_if_changed
from .service import Service
from .venvs import bin_of, python_of

VENV = 'senlin'
RPC_SERVICES = 3          # conductor, engine, health-manager log "Starting senlin-..."


def senlin_conf(settings, secrets, db_path, log_path, paste_ini, port) -> dict:
    password = secrets['service_password']
    return {
        'DEFAULT': {
            'host': 'localcloud',
            'transport_url': 'fake://',
            'cloud_backend': 'openstack',
            'default_region_name': REGION,
            'log_file': log_path,
            'use_stderr': False,
            'debug': False,
            'default_action_timeout': 300,
            'lock_retry_interval': 1,
            'event_dispatchers': 'database',
        },
        'database': {'connection': sqlite_url(db_path)},
        'senlin_api': {'bind_host': '127.0.0.1', 'bind_port': port,
                       'api_paste_config': paste_ini, 'workers': 1},
        'conductor': {'workers': 1},
        'engine': {'workers': 1},
        'health_manager': {'workers': 1},
        'authentication': {
            'auth_url': settings.auth_url,
            'service_username': 'senlin',
            'service_password': password,
            'service_project_name': 'service',
            'service_user_domain': 'Default',
            'service_project_domain': 'Default',
        },
        'keystone_authtoken': authtoken_section(settings, 'senlin', password),
        'oslo_messaging_notifications': {'driver': 'noop'},
        'oslo_policy': {'enforce_scope': False, 'enforce_new_defaults': False},
    }


class Senlin(Service):
    name = 'senlin'

    @property
    def conf_path(self):
        return self.settings.etc / 'senlin.conf'

    @property
    def db_path(self):
        return self.ctx.sqlite_path('senlin')

    def prepare(self) -> None:
        paste = self.settings.venv(VENV) / 'etc' / 'senlin' / 'api-paste.ini'
        conf = senlin_conf(self.settings, self.ctx.secrets, self.db_path, self.log_path,
                           paste, self.port)
        write_if_changed(self.conf_path, render_ini(conf))
        self.init_db_once(self.init_db, self.db_path)

    def init_db(self) -> None:
        proc.run_logged([bin_of(self.settings, VENV, 'senlin-manage'), '--config-file',
                         self.conf_path, 'db_sync'], self.log_path, env=self.ctx.child_env(),
                        what='senlin-manage db_sync', service=self.name)
        sqlite.enable_wal(self.db_path)

    def command(self) -> list:
        return [python_of(self.settings, VENV), '-m', 'lc.runtime.senlin_allinone',
                '--config-file', self.conf_path]

    def environment(self) -> dict:
        knobs = self.settings.knobs
        return self.ctx.child_env({
            'LC_FAKE_RPC_POLL': str(knobs['fake_rpc_poll']),
            'LC_SENLIN_ACTION_POLL': str(knobs['senlin_action_poll']),
            'LC_SENLIN_HEAT_POLL': str(knobs['senlin_heat_poll']),
        })

    def is_ready(self) -> bool:
        # the API answers before the three RPC services have registered
        return super().is_ready() and proc.log_since_launch(self.pidfile).count(
            'Starting senlin-') >= RPC_SERVICES

    def facts(self) -> dict:
        return dict(super().facts(), db='sqlite', cloud_backend='openstack',
                    max_microversion='1.14')

