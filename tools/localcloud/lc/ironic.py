"""Ironic 39 all-in-one with fake hardware behind Keystone, plus fake node enrollment."""

from __future__ import annotations

import json
import subprocess

from . import proc
from .config import (CHILD_UMASK, CLOUD_ADMIN, HOST, append_private, authtoken_section,
                     render_ini, write_if_changed)
from .service import Service
from .venvs import bin_of, python_of

VENV = 'openstack'
SQLITE_BUSY_MS = 30000
FAKE_INTERFACES = {
    'enabled_hardware_types': 'fake-hardware',
    'enabled_bios_interfaces': 'fake,no-bios',
    'enabled_boot_interfaces': 'fake',
    'enabled_console_interfaces': 'fake,no-console',
    'enabled_deploy_interfaces': 'fake',
    'enabled_firmware_interfaces': 'fake,no-firmware',
    'enabled_inspect_interfaces': 'fake,no-inspect',
    'enabled_management_interfaces': 'fake',
    'enabled_network_interfaces': 'noop',
    'enabled_power_interfaces': 'fake',
    'enabled_raid_interfaces': 'fake,no-raid',
    'enabled_rescue_interfaces': 'fake,no-rescue',
    'enabled_storage_interfaces': 'noop',
    'enabled_vendor_interfaces': 'fake,no-vendor',
    'default_network_interface': 'noop',
}


def fake_delay(seconds):
    """[fake] deploy_delay as Ironic reads it: int() of the text, so whole seconds ("20.0" fails every
    deploy with a ValueError); None (stock, no delay) for 0. The fake deploy interface sleeps it in each of
    prepare and the deploy step (a deploy takes twice the delay), and in each of clean_up and tear_down."""
    if not seconds:
        return None
    if seconds != int(seconds):
        raise ValueError('LOCALCLOUD_IRONIC_DEPLOY_DELAY: whole seconds (Ironic reads an int), not %s' % seconds)
    return int(seconds)


def ironic_conf(settings, secrets, db_url, log_path, port) -> dict:
    return {
        'DEFAULT': dict({
            'host': 'localcloud',
            'auth_strategy': 'keystone',
            # the combined `ironic` command: API + conductor, no message bus
            'rpc_transport': 'none',
            'use_stderr': False,
            'log_file': log_path,
            'debug': False,
        }, **FAKE_INTERFACES),
        'api': {'host_ip': HOST, 'port': port, 'api_workers': 1},
        'database': {'connection': db_url},
        'dhcp': {'dhcp_provider': 'none'},
        # no Swift: the config drive stays in the node's instance_info (DB)
        'deploy': {'configdrive_use_object_store': False},
        'conductor': {'automated_clean': True},
        'fake': {'deploy_delay': fake_delay(settings.ironic_deploy_delay)},
        'keystone_authtoken': authtoken_section(settings, 'ironic',
                                                secrets['service_password']),
        # [oslo_policy]: Ironic's defaults; nodes are enrolled (owned) by the project admin
        'oslo_concurrency': {'lock_path': settings.data / 'ironic-locks'},
    }


class Ironic(Service):
    name = 'ironic'
    ready_codes = (200,)

    @property
    def conf_path(self):
        return self.settings.etc / 'ironic.conf'

    def prepare(self) -> None:
        conf = ironic_conf(self.settings, self.ctx.secrets, self.ctx.db_url('ironic'),
                           self.log_path, self.port)
        write_if_changed(self.conf_path, render_ini(conf))
        # `create_schema` for a new DB (`upgrade` fails on sqlite: ALTER of constraints)
        self.init_db_once(lambda: proc.run_logged(
            [bin_of(self.settings, VENV, 'ironic-dbsync'), '--config-file', self.conf_path,
             'create_schema'], self.log_path, env=self.ctx.child_env(),
            what='ironic-dbsync create_schema', service=self.name),
            self.ctx.db_file('ironic'))

    def command(self) -> list:
        return [python_of(self.settings, VENV), '-m', 'lc.runtime.ironic_all',
                '--config-file', self.conf_path]

    def environment(self) -> dict:
        if self.ctx.db == 'sqlite':
            return self.ctx.child_env({'LC_SQLITE_BUSY_MS': str(SQLITE_BUSY_MS)})
        return self.ctx.child_env()

    def facts(self) -> dict:
        return dict(super().facts(), db=self.ctx.db, endpoint=self.endpoint)


def enroll(settings, env, count: int) -> list[dict]:
    """Make sure lc-node-0..count-1 exist and are available; returns every lc-node."""
    env = dict(env, OS_CLIENT_CONFIG_FILE=str(settings.clouds_yaml), OS_CLOUD=CLOUD_ADMIN)
    log = settings.log('enroll')
    with append_private(log) as err:
        result = subprocess.run([python_of(settings, VENV), '-m', 'lc.runtime.enroll',
                                 str(count)], env=env, stdout=subprocess.PIPE, stderr=err,
                                umask=CHILD_UMASK)
    if result.returncode != 0:
        raise proc.ServiceError('ironic', f'enrolling {count} nodes failed (log {log})',
                                proc.tail(log))
    return json.loads(result.stdout)
