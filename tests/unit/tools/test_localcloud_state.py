"""Unit tests of tools/localcloud: state, clouds.yaml, env, identity spec, sqlite fixes."""

import json
import sqlite3
import sys
from pathlib import Path

import pytest
import yaml

from lc import config, identity, imageserver, mariadb, state
from lc.sqlite import autoincrement_sql, enable_wal, rebuild_with_autoincrement

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'integration'))
from localcloud_fixture import parse_exports  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    return config.settings_from_env({'LOCALCLOUD_HOME': str(tmp_path / 'home')})


def test_state_created_once_and_db_fixed(settings):
    first = state.load_or_create(settings, 'mariadb')
    assert set(first['secrets']) >= set(state.SECRET_KEYS)
    assert len(first['secrets']['heat_auth_encryption_key']) == 32
    assert state.load_or_create(settings, 'mariadb') == first
    assert state.recorded_db(settings) == 'mariadb'
    with pytest.raises(RuntimeError, match='reset'):
        state.load_or_create(settings, 'sqlite')


def test_clouds_yaml(settings):
    secrets = state.new_secrets()
    state.write_clouds_yaml(settings, secrets)
    data = yaml.safe_load(settings.clouds_yaml.read_text())
    assert data == state.clouds(settings, secrets)
    admin, demo = data['clouds']['localcloud'], data['clouds']['localcloud-demo']
    assert admin['auth']['username'] == 'admin' and admin['auth']['project_name'] == 'admin'
    assert demo['auth']['username'] == 'demo' and demo['auth']['project_name'] == 'demo'
    for cloud in (admin, demo):
        assert cloud['region_name'] == 'RegionOne'
        assert cloud['interface'] == 'public'
        assert cloud['identity_api_version'] == 3
        assert cloud['auth']['auth_url'] == 'http://127.0.0.1:5000/v3'
        assert not any('clustering' in key for key in cloud)   # modules choose microversions


def test_to_yaml_quotes_strings():
    text = state.to_yaml({'a': {'b': 'x: "y" #z', 'c': 3, 'd': True}})
    assert yaml.safe_load(text) == {'a': {'b': 'x: "y" #z', 'c': 3, 'd': True}}


def test_env_exports_round_trip(settings):
    facts = {'image': {'url': 'http://127.0.0.1:8089/disk.img', 'checksum': 'ab' * 32}}
    values = state.env_vars(settings, facts)
    assert values['OS_CLOUD'] == 'localcloud'
    assert values['OS_CLIENT_CONFIG_FILE'] == str(settings.state / 'clouds.yaml')
    assert values['LOCALCLOUD_HOME'] == str(settings.home)
    text = state.env_exports(dict(values, ODD="it's a $path"))
    assert all(line.startswith('export ') for line in text.splitlines())
    assert parse_exports(text) == dict(values, ODD="it's a $path")


def test_facts_round_trip(settings):
    assert state.read_facts(settings) == {}
    settings.state.mkdir(parents=True)
    state.write_facts(settings, {'nodes': [{'name': 'lc-node-0'}]})
    assert state.read_facts(settings) == {'nodes': [{'name': 'lc-node-0'}]}


def test_identity_spec(settings):
    secrets = state.new_secrets()
    catalog = [('heat', 'orchestration', 'http://h/v1/%(project_id)s', 'heat'),
               ('ironic', 'baremetal', 'http://i', 'ironic')]
    spec = identity.spec(settings, secrets, catalog)
    assert [(s['name'], s['type'], s['user']) for s in spec['services']] == [
        ('heat', 'orchestration', 'heat'), ('ironic', 'baremetal', 'ironic')]
    assert {'admin', 'member', 'heat_stack_owner', 'heat_stack_user'} <= set(spec['roles'])
    assert spec['demo'] == {'project': 'demo', 'user': 'demo',
                            'password': secrets['demo_password']}
    assert identity.digest(spec) == identity.digest(json.loads(json.dumps(spec)))
    assert identity.digest(spec) != identity.digest(dict(spec, region='Other'))


def test_mariadb_sql_and_url():
    sql = mariadb.setup_sql('pw')
    for db in ('heat', 'ironic'):
        assert f'CREATE DATABASE IF NOT EXISTS {db}' in sql
        assert f"CREATE USER IF NOT EXISTS '{db}'@'127.0.0.1' IDENTIFIED BY 'pw'" in sql
    assert mariadb.connection_url('heat', 'pw', 3307) == \
        'mysql+pymysql://heat:pw@127.0.0.1:3307/heat?charset=utf8mb4'


def test_make_image_once(tmp_path):
    digest = imageserver.make_image(tmp_path, size=4096)
    image = tmp_path / 'disk.img'
    import hashlib
    assert hashlib.sha256(image.read_bytes()).hexdigest() == digest
    assert (tmp_path / 'disk.img.sha256').read_text() == f'{digest}  disk.img\n'
    assert (tmp_path / 'SHA256SUMS').read_text() == f'{digest}  disk.img\n'
    before = image.stat().st_mtime_ns
    assert imageserver.make_image(tmp_path, size=4096) == digest
    assert image.stat().st_mtime_ns == before


HEAT_LIKE = '''CREATE TABLE resource_properties_data (
\tid INTEGER NOT NULL,
\tdata TEXT,
\tPRIMARY KEY (id)
)'''


def test_autoincrement_sql():
    sql = autoincrement_sql('resource_properties_data', HEAT_LIKE)
    assert sql.startswith('CREATE TABLE _ai_resource_properties_data (')
    assert 'id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,' in sql
    assert 'PRIMARY KEY (id)' not in sql
    assert autoincrement_sql('x', 'CREATE TABLE x (\n\tid VARCHAR(36) NOT NULL,\n'
                                  '\tPRIMARY KEY (id)\n)') is None
    assert autoincrement_sql('resource_properties_data', sql) is None


def test_rebuild_with_autoincrement_stops_id_reuse(tmp_path):
    path = tmp_path / 'heat.db'
    db = sqlite3.connect(str(path))
    db.execute(HEAT_LIKE)
    db.execute('CREATE INDEX ix_data ON resource_properties_data (data)')
    db.executemany('INSERT INTO resource_properties_data (data) VALUES (?)', [('a',), ('b',)])
    db.commit()
    db.close()
    assert rebuild_with_autoincrement(path) == ['resource_properties_data']
    assert rebuild_with_autoincrement(path) == []            # idempotent
    enable_wal(path)
    db = sqlite3.connect(str(path))
    assert db.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
    assert db.execute('SELECT id, data FROM resource_properties_data').fetchall() == [
        (1, 'a'), (2, 'b')]
    assert db.execute("SELECT name FROM sqlite_master WHERE type='index'").fetchall() == [
        ('ix_data',)]
    db.execute('DELETE FROM resource_properties_data WHERE id = 2')
    new_id = db.execute("INSERT INTO resource_properties_data (data) VALUES ('c')").lastrowid
    assert new_id == 3          # not 2: ids are never reused
    db.close()


# -- private from the start (issue 10, finding 6) ---------------------------------------------

def _mode(path):
    return oct(path.stat().st_mode & 0o777)


@pytest.fixture
def no_chmod(monkeypatch):
    """Files and directories must be created with their final mode: narrowing them afterwards
    (chmod/fchmod) leaves a moment in which others can read them, so both fail here, and the
    umask is the common 022."""
    import os

    def refuse(*args, **kwargs):
        raise AssertionError('mode changed after creation: %r' % (args,))
    monkeypatch.setattr(os, 'chmod', refuse)
    monkeypatch.setattr(os, 'fchmod', refuse)
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_state_is_private_from_the_start(tmp_path, no_chmod):
    from lc.heat import Heat
    from lc.service import Context
    settings = config.settings_from_env({'LOCALCLOUD_HOME': str(tmp_path / 'a' / 'home')})
    record = state.load_or_create(settings, 'sqlite')
    settings.make_dirs()
    state.write_clouds_yaml(settings, record['secrets'])
    state.write_facts(settings, {'nodes': []})
    config.write_if_changed(settings.etc / 'keystone' / 'keystone.conf', '[DEFAULT]\n')
    heat = Heat(Context(settings, record['secrets'], 'sqlite'))
    config.write_if_changed(heat.conf_path, 'password = x\n')
    for folder in (tmp_path / 'a', settings.home, settings.state, settings.etc,
                   settings.etc / 'keystone', settings.data, settings.logs, settings.run,
                   settings.images):
        assert _mode(folder) == '0o700', folder
    for path in (settings.state / 'state.json', settings.clouds_yaml, settings.facts_file,
                 settings.etc / 'keystone' / 'keystone.conf', heat.conf_path):
        assert _mode(path) == '0o600', path
    assert sorted(p.name for p in settings.state.iterdir() if p.is_file()) == [
        '.private-v1', 'clouds.yaml', 'localcloud.json', 'state.json']   # no temp file left


def test_cli_lock_and_home_are_private(tmp_path, no_chmod):
    from lc.cli import exclusive
    home = tmp_path / 'home'
    with exclusive(home):
        pass
    assert _mode(home) == '0o700' and _mode(home / '.lock') == '0o600'


def test_write_if_changed_narrows_an_old_file(tmp_path):
    path = tmp_path / 'localcloud.json'
    path.write_text('{}\n')
    path.chmod(0o644)
    assert not config.write_if_changed(path, '{}\n')        # same text: not rewritten...
    assert _mode(path) == '0o600'                            # ...but no longer readable


def test_make_private_migrates_an_old_state(settings):
    """A state made by the older tool: 0755 directories, 0644 files, the admin password in
    keystone.log (keystone-manage's argv).  `up` narrows the modes and overwrites the leaked
    secrets in place (same length: services appending to the log and recorded offsets are
    unaffected); once."""
    import os
    secrets = state.new_secrets()
    for folder in (settings.state, settings.logs, settings.data, settings.etc):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    (settings.state / 'state.json').write_text(json.dumps({'db': 'sqlite', 'secrets': secrets}))
    log = settings.logs / 'keystone.log'
    text = ('--- localcloud: keystone-manage bootstrap --bootstrap-password %s --x\n'
            'INFO ok\n' % secrets['admin_password'])
    log.write_text(text)
    (settings.etc / 'heat.conf').write_text('password = %s\n' % secrets['service_password'])
    for path in (log, settings.state / 'state.json', settings.etc / 'heat.conf'):
        path.chmod(0o644)
    assert state.make_private(settings, secrets)
    for folder in (settings.state, settings.logs, settings.data, settings.etc):
        assert _mode(folder) == '0o700'
    for path in (log, settings.state / 'state.json', settings.etc / 'heat.conf'):
        assert _mode(path) == '0o600'
    assert log.read_text() == text.replace(secrets['admin_password'],
                                           '*' * len(secrets['admin_password']))
    assert os.path.getsize(log) == len(text)
    # the config file needs its password: only its mode changes
    assert secrets['service_password'] in (settings.etc / 'heat.conf').read_text()
    assert not state.make_private(settings, secrets)          # once per state


def test_new_state_needs_no_migration(settings):
    state.load_or_create(settings, 'sqlite')
    assert not state.make_private(settings, state.new_secrets())


def test_redact_file_across_chunks(tmp_path):
    path = tmp_path / 'big.log'
    secret = 'abcdef0123456789abcdef01'
    data = ('x' * 5 + secret + 'y' * 7 + secret + 'z' * 3 + secret).encode()
    path.write_bytes(data)
    assert state.redact_file(path, [secret, 'not-there'], chunk=16) == 3
    assert path.read_bytes() == data.replace(secret.encode(), b'*' * len(secret))
