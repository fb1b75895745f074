"""Heat 27: API + engine in one process (lc.runtime.heat_all), Keystone auth + trusts."""

from __future__ import annotations

from . import proc, sqlite
from .config import HOST, REGION, authtoken_section, render_ini, write_if_changed
from .service import Service
from .venvs import bin_of, python_of

VENV = 'openstack'
SQLITE_BUSY_MS = 30000
STACK_DOMAIN = 'heat'
STACK_DOMAIN_ADMIN = 'heat_domain_admin'
HIDDEN_STACK_TAG = 'localcloud-hidden'


def heat_conf(settings, secrets, db_url, log_path, paste_ini) -> dict:
    password = secrets['service_password']
    return {
        'DEFAULT': {
            'log_file': log_path,
            'use_stderr': False,
            'debug': False,
            # in-memory RPC: the API and the engine share one process
            'transport_url': 'fake://',
            'host': 'localcloud',
            'num_engine_workers': 1,
            'region_name_for_services': REGION,
            'stack_user_domain_name': STACK_DOMAIN,
            'stack_domain_admin': STACK_DOMAIN_ADMIN,
            'stack_domain_admin_password': password,
            'auth_encryption_key': secrets['heat_auth_encryption_key'],
            # nothing serves the CFN/metadata API; set so Heat does not look it up
            'heat_metadata_server_url': f'http://{HOST}:8000',
            'heat_waitcondition_server_url': f'http://{HOST}:8000/v1/waitcondition',
            # stacks with this tag are left out of a listing unless it asks show_hidden (stack_info's test)
            'hidden_stack_tags': HIDDEN_STACK_TAG,
        },
        'database': {'connection': db_url},
        'paste_deploy': {'api_paste_config': paste_ini},
        'keystone_authtoken': authtoken_section(settings, 'heat', password),
        'trustee': {'auth_type': 'password', 'auth_url': settings.auth_url,
                    'username': 'heat', 'password': password,
                    'user_domain_name': 'Default'},
        'clients_keystone': {'auth_uri': settings.url('keystone')},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'oslo_policy': {'enforce_scope': False},
    }


class Heat(Service):
    name = 'heat'

    @property
    def conf_path(self):
        return self.settings.etc / 'heat.conf'

    def prepare(self) -> None:
        paste = self.settings.venv(VENV) / 'etc' / 'heat' / 'api-paste.ini'
        conf = heat_conf(self.settings, self.ctx.secrets, self.ctx.db_url('heat'),
                         self.log_path, paste)
        write_if_changed(self.conf_path, render_ini(conf))
        self.init_db_once(self.init_db, self.ctx.db_file('heat'))

    def init_db(self) -> None:
        proc.run_logged([bin_of(self.settings, VENV, 'heat-manage'), '--config-file',
                         self.conf_path, 'db_sync'], self.log_path,
                        env=self.ctx.child_env(), what='heat-manage db_sync',
                        service=self.name)
        path = self.ctx.db_file('heat')
        if path is not None:
            sqlite.rebuild_with_autoincrement(path)
            sqlite.enable_wal(path)

    def command(self) -> list:
        return [python_of(self.settings, VENV), '-m', 'lc.runtime.heat_all',
                '--config-file', self.conf_path, '--bind', f'{HOST}:{self.port}']

    def environment(self) -> dict:
        knobs = self.settings.knobs
        extra = {'LC_FAKE_RPC_POLL': str(knobs['fake_rpc_poll']),
                 'LC_HEAT_TASK_STEP': str(knobs['heat_task_step'])}
        if self.ctx.db == 'sqlite':
            extra['LC_SQLITE_BUSY_MS'] = str(SQLITE_BUSY_MS)
        return self.ctx.child_env(extra)

    @property
    def endpoint(self) -> str:
        return self.url + '/v1/%(project_id)s'

    def facts(self) -> dict:
        return dict(super().facts(), endpoint=self.endpoint, db=self.ctx.db)
