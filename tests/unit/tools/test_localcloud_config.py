"""Unit tests of tools/localcloud: settings, knobs, config rendering (no services)."""

import configparser
import os
from pathlib import Path

import pytest

from lc import config
from lc.heat import heat_conf
from lc.ironic import ironic_conf
from lc.keystone import keystone_conf
from lc.senlin import senlin_conf

SECRETS = {'admin_password': 'a', 'demo_password': 'd', 'service_password': 's',
           'db_password': 'p', 'heat_auth_encryption_key': 'k' * 32}


@pytest.fixture
def settings(tmp_path):
    return config.settings_from_env({'LOCALCLOUD_HOME': str(tmp_path / 'home')})


def parse(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_render_ini_values():
    text = config.render_ini({'DEFAULT': {'a': True, 'b': False, 'c': ['x', 'y'], 'd': None,
                                          'e': 3, 'f': Path('/p')}})
    assert text.splitlines() == ['[DEFAULT]', 'a = true', 'b = false', 'c = x,y', 'e = 3',
                                 'f = /p']
    assert text.endswith('\n')


@pytest.mark.parametrize('environ, expected', [
    ({}, {'fake_rpc_poll': 0.005, 'senlin_action_poll': 0.2, 'senlin_heat_poll': 0.2,
          'heat_task_step': 1.0}),
    ({'LOCALCLOUD_STOCK_TIMING': '1'},
     {'fake_rpc_poll': 0.05, 'senlin_action_poll': 3.0, 'senlin_heat_poll': 2.0,
      'heat_task_step': 1.0}),
    ({'LOCALCLOUD_STOCK_TIMING': '1', 'LOCALCLOUD_SENLIN_HEAT_POLL': '0.5'},
     {'fake_rpc_poll': 0.05, 'senlin_action_poll': 3.0, 'senlin_heat_poll': 0.5,
      'heat_task_step': 1.0}),
    ({'LOCALCLOUD_STOCK_TIMING': '0', 'LOCALCLOUD_HEAT_TASK_STEP': '0.1'},
     {'fake_rpc_poll': 0.005, 'senlin_action_poll': 0.2, 'senlin_heat_poll': 0.2,
      'heat_task_step': 0.1}),
])
def test_knob_values(environ, expected):
    assert config.knob_values(environ) == expected


def test_settings_defaults(tmp_path):
    settings = config.settings_from_env({}, repo_root=tmp_path)
    assert settings.home == tmp_path / '.localcloud'
    assert settings.state == tmp_path / '.localcloud' / 'state'
    assert settings.venvs == tmp_path / '.localcloud' / 'venvs'
    assert settings.clouds_yaml == settings.state / 'clouds.yaml'
    assert settings.log('heat') == settings.state / 'logs' / 'heat.log'
    assert settings.ports == config.DEFAULT_PORTS
    assert settings.nodes == 4 and settings.db == 'auto'
    assert settings.auth_url == 'http://127.0.0.1:5000/v3'


def test_settings_from_env_overrides(tmp_path):
    settings = config.settings_from_env({
        'LOCALCLOUD_HOME': str(tmp_path / 'h'), 'LOCALCLOUD_PORT_HEAT': '18004',
        'LOCALCLOUD_DB': 'sqlite', 'LOCALCLOUD_NODES': '6',
        'LOCALCLOUD_INSTALL_MARIADB': 'yes'})
    assert settings.home == tmp_path / 'h'
    assert settings.ports['heat'] == 18004 and settings.ports['keystone'] == 5000
    assert settings.url('heat') == 'http://127.0.0.1:18004'
    assert (settings.db, settings.nodes, settings.install_mariadb) == ('sqlite', 6, True)


def test_settings_rejects_unknown_db():
    with pytest.raises(ValueError, match='LOCALCLOUD_DB'):
        config.settings_from_env({'LOCALCLOUD_DB': 'postgres'})


@pytest.mark.parametrize('asked, have, expected', [
    ('auto', True, 'mariadb'), ('auto', False, 'sqlite'), ('sqlite', True, 'sqlite'),
    ('mariadb', True, 'mariadb')])
def test_choose_db(asked, have, expected):
    assert config.choose_db(asked, have) == expected


def test_choose_db_mariadb_missing():
    with pytest.raises(RuntimeError, match='mariadb-server'):
        config.choose_db('mariadb', False)


def test_write_if_changed(tmp_path):
    path = tmp_path / 'd' / 'f.conf'
    assert config.write_if_changed(path, 'x')
    assert not config.write_if_changed(path, 'x')
    assert config.write_if_changed(path, 'y')
    assert path.read_text() == 'y' and oct(path.stat().st_mode & 0o777) == '0o600'


def test_keystone_conf(settings):
    conf = parse(config.render_ini(keystone_conf(settings, Path('/d/k.db'), Path('/l'))))
    assert conf['cache']['backend'] == 'oslo_cache.dict'
    assert conf['cache']['enabled'] == 'true'
    assert conf['identity']['password_hash_rounds'] == '4'
    assert conf['token']['provider'] == 'fernet'
    assert conf['database']['connection'] == 'sqlite:////d/k.db?check_same_thread=false'


def test_heat_conf(settings):
    conf = parse(config.render_ini(heat_conf(settings, SECRETS, 'sqlite:////x', '/l', '/p')))
    assert conf['DEFAULT']['transport_url'] == 'fake://'
    assert conf['DEFAULT']['stack_user_domain_name'] == 'heat'
    assert conf['DEFAULT']['stack_domain_admin_password'] == 's'
    assert len(conf['DEFAULT']['auth_encryption_key']) == 32
    assert conf['keystone_authtoken']['username'] == 'heat'
    assert conf['keystone_authtoken']['auth_url'] == settings.auth_url
    assert conf['trustee']['username'] == 'heat'
    assert conf['clients_keystone']['auth_uri'] == 'http://127.0.0.1:5000'
    assert conf['oslo_policy']['enforce_scope'] == 'false'


def test_senlin_conf(settings):
    conf = parse(config.render_ini(senlin_conf(settings, SECRETS, Path('/s.db'), '/l', '/p',
                                               8778)))
    assert conf['DEFAULT']['cloud_backend'] == 'openstack'
    assert conf['DEFAULT']['transport_url'] == 'fake://'
    assert conf['senlin_api']['bind_host'] == '127.0.0.1'
    assert conf['senlin_api']['bind_port'] == '8778'
    assert conf['authentication']['service_username'] == 'senlin'
    assert conf['database']['connection'] == 'sqlite:////s.db'


def test_ironic_conf(settings):
    conf = parse(config.render_ini(ironic_conf(settings, SECRETS, 'mysql+pymysql://x', '/l',
                                               6385)))
    default = conf['DEFAULT']
    assert default['auth_strategy'] == 'keystone'
    assert default['rpc_transport'] == 'none'
    assert default['enabled_hardware_types'] == 'fake-hardware'
    assert conf['deploy']['configdrive_use_object_store'] == 'false'
    assert conf['dhcp']['dhcp_provider'] == 'none'
    assert conf['api']['host_ip'] == '127.0.0.1'
    assert not conf.has_option('fake', 'deploy_delay')      # stock unless asked
    assert not conf.has_section('oslo_policy')              # Ironic's default policy


def test_ironic_deploy_delay_is_whole_seconds(tmp_path):
    settings = config.settings_from_env({'LOCALCLOUD_HOME': str(tmp_path / 'home'),
                                         'LOCALCLOUD_IRONIC_DEPLOY_DELAY': '20'})
    conf = parse(config.render_ini(ironic_conf(settings, SECRETS, 'mysql+pymysql://x', '/l', 6385)))
    assert conf['fake']['deploy_delay'] == '20'             # Ironic 39 int()s it: "20.0" fails
    with pytest.raises(ValueError):
        ironic_conf(config.settings_from_env({'LOCALCLOUD_HOME': str(tmp_path / 'home'),
                                              'LOCALCLOUD_IRONIC_DEPLOY_DELAY': '0.5'}),
                    SECRETS, 'mysql+pymysql://x', '/l', 6385)


@pytest.mark.parametrize('cpus, expected', [(None, 2), (1, 2), (2, 3), (3, 4), (16, 4)])
def test_default_keystone_processes(cpus, expected):
    assert config.default_keystone_processes(cpus) == expected


def test_keystone_workers_default_to_single_thread_processes(tmp_path):
    settings = config.settings_from_env({}, repo_root=tmp_path)
    assert settings.keystone_threads == 1
    assert settings.keystone_processes == config.default_keystone_processes(
        len(os.sched_getaffinity(0)))


def test_keystone_workers_from_env():
    settings = config.settings_from_env({'LOCALCLOUD_KEYSTONE_PROCESSES': '1',
                                         'LOCALCLOUD_KEYSTONE_THREADS': '4'})
    assert (settings.keystone_processes, settings.keystone_threads) == (1, 4)


@pytest.mark.parametrize('name', ['LOCALCLOUD_KEYSTONE_PROCESSES', 'LOCALCLOUD_KEYSTONE_THREADS'])
@pytest.mark.parametrize('value', ['0', '-1', 'two', '1.5'])
def test_keystone_workers_rejects_bad_values(name, value):
    with pytest.raises(ValueError, match=name):
        config.settings_from_env({name: value})
