"""Unit tests of tools/localcloud: service wiring, facts, port conflicts (no services run)."""

import json
import socket

import pytest

from lc import config, proc, state
from lc.cloud import Cloud
from lc.service import Context


@pytest.fixture
def settings(tmp_path):
    return config.settings_from_env({'LOCALCLOUD_HOME': str(tmp_path / 'home')})


def make_ctx(settings, db='sqlite'):
    return Context(settings, state.new_secrets(), db, echo=lambda msg: None)


def test_status_without_state(settings):
    lines = []
    assert Cloud(settings, echo=lines.append).status() == 1
    assert 'no state' in lines[0]


def test_down_without_state_is_a_no_op(settings):
    lines = []
    assert Cloud(settings, echo=lines.append).down() == 0
    assert 'nothing was running' in lines[-1]


def test_services_in_order(settings):
    cloud = Cloud(settings)
    names = [svc.name for svc in cloud.services(make_ctx(settings, 'sqlite'))]
    assert names == ['images', 'keystone', 'heat', 'senlin', 'ironic']
    names = [svc.name for svc in cloud.services(make_ctx(settings, 'mariadb'))]
    assert names[0] == 'mariadb'


def test_db_urls(settings):
    assert make_ctx(settings, 'sqlite').db_url('heat') == \
        'sqlite:///%s' % (settings.data / 'heat.db')
    ctx = make_ctx(settings, 'mariadb')
    assert ctx.db_url('ironic').startswith('mysql+pymysql://ironic:')
    assert ctx.db_url('ironic').endswith('@127.0.0.1:3307/ironic?charset=utf8mb4')


def test_child_env_drops_client_variables(settings, monkeypatch):
    monkeypatch.setenv('OS_CLOUD', 'elsewhere')
    monkeypatch.setenv('PYTHONPATH', '/nope')
    env = make_ctx(settings).child_env({'EXTRA': '1'})
    assert 'OS_CLOUD' not in env and env['EXTRA'] == '1'
    assert env['PYTHONPATH'] == str(config.TOOL_DIR)


def test_port_taken_by_someone_else(tmp_path):
    squatter = socket.socket()
    squatter.bind(('127.0.0.1', 0))
    squatter.listen(1)
    port = squatter.getsockname()[1]
    try:
        settings = config.settings_from_env({'LOCALCLOUD_HOME': str(tmp_path),
                                             'LOCALCLOUD_PORT_HEAT': str(port)})
        cloud = Cloud(settings, echo=lambda msg: None)
        heat = next(s for s in cloud.services(make_ctx(settings)) if s.name == 'heat')
        with pytest.raises(proc.ServiceError, match='already taken') as err:
            cloud._check_ports([heat])
        assert err.value.service == 'heat'
        assert 'LOCALCLOUD_PORT_HEAT' in str(err.value)
        up, detail = heat.status()
        assert not up and 'taken by another process' in detail
    finally:
        squatter.close()


def test_facts(settings):
    settings.make_dirs()
    cloud = Cloud(settings)
    ctx = make_ctx(settings, 'mariadb')
    nodes = [{'name': 'lc-node-0', 'traits': ['CUSTOM_GOLD']}]
    facts = cloud.facts(ctx, cloud.services(ctx), nodes)
    assert facts['catalog'] == {
        'identity': 'http://127.0.0.1:5000/v3',
        'orchestration': 'http://127.0.0.1:8004/v1/%(project_id)s',
        'clustering': 'http://127.0.0.1:8778',
        'baremetal': 'http://127.0.0.1:6385'}
    assert facts['db']['backend'] == 'mariadb' and facts['db']['keystone'] == 'sqlite'
    assert facts['image']['url'] == 'http://127.0.0.1:8089/disk.img'
    assert len(facts['image']['checksum']) == 64
    assert facts['nodes'] == nodes
    assert facts['clouds'] == {'admin': 'localcloud', 'demo': 'localcloud-demo'}
    assert facts['knobs']['senlin_action_poll'] == {
        'value': 0.2, 'stock': 3.0, 'env': 'LOCALCLOUD_SENLIN_ACTION_POLL'}


def test_node_specs_alternate_traits_and_capabilities():
    pytest.importorskip('openstack')
    from lc.runtime.enroll import node_spec
    even, odd = node_spec(0), node_spec(1)
    assert even['name'] == 'lc-node-0' and odd['name'] == 'lc-node-1'
    assert even['traits'] == ['CUSTOM_GOLD'] and odd['traits'] == ['CUSTOM_SILVER']
    assert even['properties']['capabilities'] == 'boot_mode:uefi'
    assert odd['properties']['capabilities'] == 'boot_mode:bios'
    assert even['resource_class'] == odd['resource_class'] == 'baremetal'
    assert even['driver'] == 'fake-hardware'


def _keystone(settings, lines):
    from lc.keystone import Keystone
    ctx = Context(settings, state.new_secrets(), 'sqlite', echo=lines.append)
    return Keystone(ctx)


def _option(argv, name):
    return argv[argv.index(name) + 1]


def test_keystone_runs_single_thread_processes_by_default(settings):
    settings.keystone_processes = 3
    argv = [str(a) for a in _keystone(settings, []).command()]
    assert (_option(argv, '--processes'), _option(argv, '--threads')) == ('3', '1')


@pytest.mark.parametrize('threads, warned', [(1, False), (4, True)])
def test_keystone_warns_about_request_threads(settings, threads, warned):
    settings.keystone_processes, settings.keystone_threads = 1, threads
    settings.make_dirs()
    lines = []
    keystone = _keystone(settings, lines)
    keystone.marker.touch()                  # no bootstrap: only the config and the warning
    keystone.prepare()
    assert _option([str(a) for a in keystone.command()], '--threads') == str(threads)
    assert any('LOCALCLOUD_KEYSTONE_THREADS=4' in line for line in lines) == warned
    assert keystone.facts()['threads'] == threads and keystone.facts()['processes'] == 1


class FakeKeystone(object):
    name = 'keystone'

    def __init__(self):
        self.calls = []

    def stop(self):
        self.calls.append('stop')


@pytest.mark.parametrize('processes, restarted', [(3, True), (1, False)])
def test_keystone_restarted_after_identity_objects_were_made(settings, processes, restarted, monkeypatch):
    """Its processes' caches (not shared) must not keep a catalog or roles from before they existed."""
    settings.keystone_processes = processes
    cloud = Cloud(settings, echo=lambda msg: None)
    keystone = FakeKeystone()
    started = [keystone]
    monkeypatch.setattr(cloud, '_bring_up', lambda svc, started: (svc.calls.append('up'), started.append(svc)))
    cloud._renew_caches(keystone, started)
    assert keystone.calls == (['stop', 'up'] if restarted else [])
    assert started == [keystone]


# -- passwords stay out of argv, logs and facts (issue 10, finding 6) --------------------------

def test_facts_hold_no_password(settings):
    settings.make_dirs()
    cloud = Cloud(settings)
    ctx = make_ctx(settings, 'mariadb')
    text = json.dumps(cloud.facts(ctx, cloud.services(ctx), []))
    for key, value in ctx.secrets.items():
        assert value not in text, key
    facts = cloud.facts(ctx, cloud.services(ctx), [])
    assert facts['credentials']['admin'] == {'username': 'admin', 'project_name': 'admin',
                                             'cloud': 'localcloud'}
    assert facts['clouds_yaml'] == str(settings.clouds_yaml)


FAKE_MANAGE = '''#!{python}
import json, os, sys
with open(os.environ['FAKE_CALLS'], 'a') as out:
    out.write(json.dumps({{'argv': sys.argv[1:],
                           'password': os.environ.get('OS_BOOTSTRAP_PASSWORD')}}) + '\\n')
print('keystone-manage', ' '.join(sys.argv[1:]))
if 'fernet_setup' in sys.argv:
    os.makedirs('{keys}', exist_ok=True)
    open(os.path.join('{keys}', '0'), 'w').write('key')
'''


def test_keystone_bootstrap_password_not_in_argv_nor_log(settings, monkeypatch):
    """keystone-manage (a fake that records its argv and environment) gets the admin password
    in OS_BOOTSTRAP_PASSWORD, never on its command line (visible in /proc/<pid>/cmdline and
    `ps`) nor in keystone.log, where run_logged writes each command line."""
    import sys
    from lc.keystone import Keystone
    calls = settings.home / 'calls.jsonl'
    monkeypatch.setenv('FAKE_CALLS', str(calls))
    settings.make_dirs()
    ctx = make_ctx(settings)
    keystone = Keystone(ctx)
    fake = settings.venv('openstack') / 'bin' / 'keystone-manage'
    fake.parent.mkdir(parents=True)
    keys = settings.data / 'keystone-fernet-keys'
    fake.write_text(FAKE_MANAGE.format(python=sys.executable, keys=keys))
    fake.chmod(0o755)
    keystone.marker.touch()
    keystone.prepare()                       # the config only
    keystone.bootstrap(keystone.conf_dir / 'keystone.conf')
    made = [json.loads(line) for line in calls.read_text().splitlines()]
    assert sorted(c['argv'][2] for c in made) == ['bootstrap', 'credential_setup', 'db_sync',
                                                  'fernet_setup']
    password = ctx.secrets['admin_password']
    for call in made:
        assert password not in ' '.join(call['argv'])
        assert not any(a.startswith('--bootstrap-password') for a in call['argv'])
    bootstrap = next(c for c in made if c['argv'][2] == 'bootstrap')
    assert bootstrap['password'] == password
    log = keystone.log_path.read_text()
    assert 'keystone-manage --config-file' in log and 'bootstrap' in log
    for value in ctx.secrets.values():
        assert value not in log
    assert oct(keystone.log_path.stat().st_mode & 0o777) == '0o600'
    # what keystone-manage creates is private too (its umask)
    assert oct((keys / '0').stat().st_mode & 0o777) == '0o600'
