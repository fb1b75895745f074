"""The secret scanner (issue 10, secrets): canary secrets driven through every module that takes one, against the
real local cloud, and every place a secret could end up scanned for them.

Canaries (random per run): the cloud password (a per-run Keystone user whose password reaches the modules only
through `auth`, next to a `cloud` dict without secrets), a hidden Heat parameter (stack `secret_parameters`), a
software-deployment input value (`secret_input_values`), a Senlin profile's hidden parameter (cluster_profile
`secret_parameters`), and a webhook receiver's URL and id (made by the cluster role, whose URL facts are
documented output set with no_log, then read with the receiver module's default `hide_url`).

Cases (secrets/scan.yml, one ansible-playbook run at -vvv): a success (create with check mode and --diff, the
real run, the idempotent check with --diff), a failure before the template is read (missing template file), a
failure after a lookup (missing config, profile without spec), and a Heat 400 whose message repeats the value
(a hidden value that fails the parameter's allowed_values constraint: Heat answers `"<value>" is not an allowed
value`, checked by a probe against this Heat).

Scanned: each task's result as a callback receives it (`invocation` included, which a registered result lacks in
ansible-core 2.19; `warnings`, `exception`, `msg`, `diff`), the module's "Invoked with" log line (a syslog shim
first on the module's PYTHONPATH writes it to a file), the SDK log at DEBUG (its content, and its mode 0600), and
everything ansible-playbook printed at -vvv (which shows the module's answers and, censored, the role's no_log
tasks). Any canary found fails the test, naming the canary and where. So that the scan cannot pass vacuously,
the test also proves that each canary reached its service (read back as the canary user: the stack's output
holds the sha256 of the hidden value, the deployment and the profile hold the values, the receiver's URL is the
role's), that the shim and the callback really recorded the modules, and that the SDK log has the requests.

Bare metal (test_no_canary_from_config_drive, secrets/baremetal.yml, as admin): a user-data canary in the no_log
`config_drive.secret_cloud_config` and one in the raw `config_drive.user_data` (no_log as a whole) through the same
cases, proven to reach Ironic by a recording proxy in front of it (secrets/recorder.py: Ironic never shows a config
drive).

test_scanner_catches_a_leak runs the old, unsafe way (the hidden value in plain `parameters`, the password inside
the `cloud` dict) and asserts that the scanner reports both: the proof that the scanner can fail.
"""

import hashlib
import json
import os
import pathlib
import secrets
import stat
import subprocess
import sys
import urllib.parse

import pytest
import yaml

HERE = pathlib.Path(__file__).resolve().parent
SCAN = HERE / 'secrets'
ROOT = HERE.parents[1]
MODULES_LOGGED = ('stack', 'stack_template_validate', 'software_config', 'software_deployment', 'cluster_profile',
                  'cluster', 'receiver')


def _canary(kind):
    # lowercase letters and digits only: the stack's allowed_pattern is scan-[a-z0-9]+
    return 'scan-%s%s' % (kind, secrets.token_hex(10))


def _admin():
    import openstack
    return openstack.connect(cloud='localcloud')


def _cloud_dict(admin, username):
    """A cloud dict without any secret: the password comes through `auth`."""
    auth = admin.config.get_auth_args() if hasattr(admin.config, 'get_auth_args') else admin.config.auth
    return {
        'auth': {'auth_url': auth['auth_url'], 'username': username, 'project_name': 'demo',
                 'user_domain_name': 'Default', 'project_domain_name': 'Default'},
        'region_name': admin.config.region_name or 'RegionOne',
        'interface': 'public',
        'identity_api_version': 3,
    }


class Run(object):
    """One ansible-playbook run with the recorders: the syslog shim, the result callback, -vvv output."""

    def __init__(self, tmp, name):
        self.syslog = tmp / ('%s.syslog' % name)
        self.results = tmp / ('%s.results.jsonl' % name)
        self.output = ''

    def play(self, ansible_env, playbook, varsfile, cwd):
        env = dict(ansible_env)
        env.update(
            PYTHONPATH=os.pathsep.join(p for p in (str(SCAN / 'shim'), env.get('PYTHONPATH')) if p),
            SECRET_SCAN_SYSLOG=str(self.syslog),
            SECRET_SCAN_RESULTS=str(self.results),
            ANSIBLE_CALLBACK_PLUGINS=str(SCAN / 'callback_plugins'),
            ANSIBLE_CALLBACKS_ENABLED='secret_dump',
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        )
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
               str(SCAN / playbook), '-e', '@%s' % varsfile, '-vvv']
        proc = subprocess.run(cmd, env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
        self.output += proc.stdout
        with open(str(self.syslog).replace('.syslog', '.out'), 'a') as out:
            out.write(proc.stdout)
        return proc

    def records(self):
        if not self.results.exists():
            return []
        return [json.loads(line) for line in self.results.read_text().splitlines() if line.strip()]

    def log_lines(self):
        return self.syslog.read_text().splitlines() if self.syslog.exists() else []


def _leaves(value, path=''):
    """(path, text) of every key and string leaf of a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            sub = '%s.%s' % (path, key) if path else str(key)
            yield sub + ' (key)', str(key)
            yield from _leaves(item, sub)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, '%s[%d]' % (path, index))
    elif value is not None:
        yield path, value if isinstance(value, str) else json.dumps(value)


def scan(canaries, runs, sdk_logs=()):
    """Every place a canary was found, as 'canary <name> in <where>' (empty: none found)."""
    found = []

    def look(where, text):
        for name, value in canaries.items():
            if value and value in text:
                found.append('canary %s in %s' % (name, where))

    for run in runs:
        for record in run.records():
            for path, text in _leaves(record['result']):
                look("task '%s' (%s) result: %s" % (record['task'], record['status'], path), text)
        for number, line in enumerate(run.log_lines(), 1):
            look('the module log (syslog shim) line %d' % number, line)
        for number, line in enumerate(run.output.splitlines(), 1):
            look('ansible-playbook -vvv output line %d' % number, line)
    for path in sdk_logs:
        for number, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
            look('the SDK log %s line %d' % (path, number), line)
    return found


def _write_vars(tmp, scan_vars, name='scan-vars.json'):
    varsfile = tmp / name
    fd = os.open(str(varsfile), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as out:
        json.dump({'scan': scan_vars}, out)
    return varsfile


def _assert_recorded(run, modules):
    """The recorders really saw the modules (else the scan of them would prove nothing)."""
    invoked = [line for line in run.log_lines() if 'Invoked with' in line]
    for module in modules:
        assert any('cloudrise.openstack.%s[' % module in line for line in invoked), (
            'the syslog shim recorded no "Invoked with" line of %s (is the shim on the module\'s PYTHONPATH?):\n%s'
            % (module, '\n'.join(run.log_lines())[:3000]))
    records = run.records()
    assert any('invocation' in r['result'] for r in records), 'the callback recorded no invocation'
    return records


@pytest.fixture(scope='module')
def canary_user(localcloud):
    """A Keystone user of the demo project (member) whose password is a canary; deleted afterwards."""
    admin = _admin()
    password = _canary('pw')
    name = 'scan-%s' % secrets.token_hex(4)
    user = admin.identity.create_user(name=name, password=password, domain_id='default')
    project = admin.identity.find_project('demo', ignore_missing=False)
    role = admin.identity.find_role('member', ignore_missing=False)
    admin.identity.assign_project_role_to_user(project, user, role)
    try:
        yield {'name': name, 'password': password, 'cloud': _cloud_dict(admin, name)}
    finally:
        admin.identity.delete_user(user, ignore_missing=True)
        admin.close()


def _find_task(records, name):
    matches = [r for r in records if r['task'] == name]
    assert matches, 'no result of task %r was recorded' % name
    return matches[-1]


@pytest.fixture(scope='module')
def scanned(ansible_env, canary_user, tmp_path_factory):
    """One run of secrets/scan.yml and secrets/cleanup.yml at -vvv with the canaries; before the clean-up, the
    proof that every canary reached its service.  Returns (canaries, [runs], the SDK log's path)."""
    import openstack

    tmp_path = tmp_path_factory.mktemp('secrets')
    run_id = secrets.token_hex(4)
    canaries = {
        'cloud password': canary_user['password'],
        'hidden parameter': _canary('hid'),
        'deployment input value': _canary('inp'),
        'profile secret parameter': _canary('pro'),
    }
    sdk_log = tmp_path / 'sdk.log'
    urls_file = tmp_path / 'receiver_urls.json'
    varsfile = _write_vars(tmp_path, {
        'run': run_id, 'dir': str(tmp_path), 'files': str(SCAN / 'files'), 'cloud': canary_user['cloud'],
        'password': canaries['cloud password'], 'hidden': canaries['hidden parameter'],
        'input': canaries['deployment input value'], 'profile': canaries['profile secret parameter'],
        'sdk_log': str(sdk_log), 'urls_file': str(urls_file),
    })
    main, clean = Run(tmp_path, 'scan'), Run(tmp_path, 'cleanup')
    # the canary user's own connection: that it authenticates proves the password is the one in use
    conn = openstack.connect(auth_type='password', **dict(canary_user['cloud'], auth=dict(
        canary_user['cloud']['auth'], password=canary_user['password'])))
    try:
        proc = main.play(ansible_env, 'scan.yml', varsfile, tmp_path)
        assert proc.returncode == 0, 'the scan playbook failed (%s):\n%s' % (tmp_path, proc.stdout[-8000:])

        # ---- each canary reached its service
        stack = conn.orchestration.find_stack('scan-%s-stack' % run_id, ignore_missing=False)
        stack = conn.orchestration.get_stack(stack)
        outputs = {o['output_key']: o['output_value'] for o in stack.outputs or []}
        assert outputs.get('password_digest') == hashlib.sha256(
            canaries['hidden parameter'].encode()).hexdigest(), 'Heat did not get the hidden parameter'
        deployments = list(conn.orchestration.software_deployments(server_id='scan-%s-server' % run_id))
        assert len(deployments) == 1, deployments
        deployment = conn.orchestration.get_software_deployment(deployments[0].id)
        assert deployment.input_values.get('password') == canaries['deployment input value'], (
            'Heat did not get the deployment input value')
        profile = conn.clustering.find_profile('scan-%s-profile' % run_id, ignore_missing=False)
        assert profile.spec['properties']['parameters']['node_secret'] == canaries['profile secret parameter'], (
            'Senlin did not get the profile secret parameter')
        assert stat.S_IMODE(urls_file.stat().st_mode) == 0o600
        url = json.loads(urls_file.read_text())['scan-%s-hook' % run_id]
        receiver = conn.clustering.find_receiver('scan-%s-hook' % run_id, ignore_missing=False)
        receiver = conn.clustering.get_receiver(receiver.id)
        assert receiver.channel['alarm_url'] == url and receiver.id in url, 'the role published another URL'
        canaries['webhook URL'] = url
        canaries['webhook receiver id'] = receiver.id
        records = _assert_recorded(main, MODULES_LOGGED)
        # the 400 came from Heat, which repeated the value (masked in what the task returned)
        rejected = _find_task(records, 'Stack - a Heat 400 that repeats the value (a constraint the value fails)')
        assert 'is not an allowed value' in rejected['result'].get('msg', ''), rejected['result'].get('msg')
    finally:
        clean.play(ansible_env, 'cleanup.yml', varsfile, tmp_path)
        conn.close()
    failed = [r['task'] for r in clean.records() if r['status'] in ('failed', 'item_failed')]
    assert not failed, 'the clean-up left objects behind (%s): %s' % (tmp_path, failed)
    return canaries, (main, clean), sdk_log


def test_no_canary_in_results_module_log_or_output(scanned):
    """Results as callbacks get them (invocation, warnings, exception, msg, diff), the Invoked-with log line,
    the -vvv output (the role's no_log URL facts included)."""
    canaries, runs, _sdk_log = scanned
    found = scan(canaries, runs)
    assert not found, 'secrets leaked:\n' + '\n'.join(found)


def test_sdk_log_private_with_requests(scanned):
    """The DEBUG SDK log is 0600 and has the requests of every service (so its scan is not vacuous)."""
    _canaries, _runs, sdk_log = scanned
    assert sdk_log.exists(), 'no SDK log was written'
    assert stat.S_IMODE(sdk_log.stat().st_mode) == 0o600, oct(sdk_log.stat().st_mode)
    sdk_text = sdk_log.read_text()
    for request in ('/stacks', '/software_deployments', '/profiles', '/receivers'):
        assert request in sdk_text, 'the SDK log has no %s request: the scan of it would prove nothing' % request


def test_no_canary_in_sdk_log(scanned):
    """Request and response bodies are not in the DEBUG SDK log (they held the profile spec, the deployment's
    input values and the webhook URL, in tasks where these are no no_log values of the task), nor any no_log
    value."""
    canaries, _runs, sdk_log = scanned
    found = scan(canaries, (), sdk_logs=(sdk_log,))
    assert not found, 'secrets leaked:\n' + '\n'.join(found)


def _free_node(admin):
    return [n for n in admin.baremetal.nodes(details=True)
            if n.provision_state == 'available' and not n.allocation_id and not n.instance_id
            and not n.is_maintenance and n.resource_class == 'baremetal']


def test_no_canary_from_config_drive(ansible_env, localcloud, tmp_path):
    """The config-drive user-data canary reaches Ironic (seen in the provision request's body by a recording proxy
    in front of Ironic, since Ironic shows a config drive as ******) and nothing scanned holds it (the SDK log
    included: Ironic's answers show the config drive as ******)."""
    sys.path.insert(0, str(SCAN))
    from recorder import Recorder

    admin = _admin()
    try:
        if not _free_node(admin):
            subprocess.run([str(ROOT / 'tools' / 'localcloud' / 'localcloud'), 'enroll', '1'], check=True,
                           env=ansible_env, stdout=subprocess.DEVNULL)
        ironic = admin.endpoint_for('baremetal')
    finally:
        admin.close()
    run_id = secrets.token_hex(4)
    canaries = {'config-drive user data': _canary('usr'), 'raw user data': _canary('raw')}
    scan_vars = {'run': run_id, 'user_data': canaries['config-drive user data'],
                 'raw_user_data': canaries['raw user data'], 'sdk_log': str(tmp_path / 'sdk.log')}
    deploy, undeploy = Run(tmp_path, 'bm'), Run(tmp_path, 'bm-undeploy')
    with Recorder(ironic, canaries.values()) as recorder:
        # the local cloud's clouds.yaml with Ironic behind the recorder (it holds the passwords: 0600)
        with open(localcloud['OS_CLIENT_CONFIG_FILE']) as handle:
            config = yaml.safe_load(handle)
        path = urllib.parse.urlsplit(ironic).path
        for cloud in config['clouds'].values():
            cloud['baremetal_endpoint_override'] = recorder.url + path
        clouds = tmp_path / 'clouds.yaml'
        with os.fdopen(os.open(str(clouds), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as handle:
            yaml.safe_dump(config, handle)
        env = dict(ansible_env, OS_CLIENT_CONFIG_FILE=str(clouds))
        try:
            proc = deploy.play(env, 'baremetal.yml', _write_vars(tmp_path, dict(scan_vars, step='deploy')), tmp_path)
            assert proc.returncode == 0, 'the bare-metal playbook failed:\n%s' % proc.stdout[-8000:]
            provision = [held for method, path, held in recorder.hits
                         if method == 'PUT' and path.endswith('/states/provision')]
            assert provision and set(canaries.values()) <= set(provision[0]), (
                'Ironic did not get both config-drive canaries (requests with one: %s)'
                % [(method, path, sorted(name for name, value in canaries.items() if value in held))
                   for method, path, held in recorder.hits])
            _assert_recorded(deploy, ('baremetal_instance',))
        finally:
            undeploy.play(env, 'baremetal.yml',
                          _write_vars(tmp_path, dict(scan_vars, step='undeploy'), 'undeploy-vars.json'), tmp_path)
    sdk_log = tmp_path / 'sdk.log'
    assert stat.S_IMODE(sdk_log.stat().st_mode) == 0o600, oct(sdk_log.stat().st_mode)
    assert '/states/provision' in sdk_log.read_text(), 'the SDK log has no provision request'
    found = scan(canaries, (deploy, undeploy), sdk_logs=(sdk_log,))
    assert not found, 'secrets leaked:\n' + '\n'.join(found)


def test_scanner_catches_a_leak(ansible_env, tmp_path):
    """The old way (hidden value in `parameters`, password in the `cloud` dict) leaks, and the scanner says so:
    the scan above can fail."""
    admin = _admin()
    try:
        cloud = _cloud_dict(admin, 'scan-nobody')
    finally:
        admin.close()
    canaries = {'cloud password': _canary('pw'), 'hidden parameter': _canary('hid')}
    varsfile = _write_vars(tmp_path, {
        'run': secrets.token_hex(4), 'files': str(SCAN / 'files'), 'cloud': cloud,
        'password': canaries['cloud password'], 'hidden': canaries['hidden parameter'],
    })
    run = Run(tmp_path, 'leak')
    proc = run.play(ansible_env, 'leak.yml', varsfile, tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:]
    _assert_recorded(run, ('stack',))

    found = scan(canaries, (run,))
    print('\n'.join(found))
    for name in canaries:
        assert any(f.startswith('canary %s in ' % name) and 'result: invocation.module_args.' in f
                   for f in found), (name, found)
        assert any(f.startswith('canary %s in the module log' % name) for f in found), (name, found)
        assert any(f.startswith('canary %s in ansible-playbook -vvv output' % name) for f in found), (name, found)
