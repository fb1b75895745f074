"""Heat under races and interrupts (issue 10 #8, #10, #11), against the real local cloud.

- Two ``ansible-playbook`` processes at once create the same software config, deployment and stack. A fault proxy
  in front of Heat (tools/faultproxy) holds the answers to both runs' reads for a few seconds (the reads reach
  Heat at once: both see nothing), so both always create: the second ``POST /stacks`` gets 409 and the second
  deployment meets the first. Both runs succeed, one stack and one deployment are left, and a re-run converges
  (the twin config the race made is superseded) then is idempotent. Before the fix the 409 failed a run and the
  two deployments made every later run fail as ambiguous.
- SIGINT and SIGKILL of ``ansible-playbook``'s process group during a stack create with ``wait``: the re-run
  waits for the stack still in progress and finds it as wanted (not changed), one stack, nothing orphaned.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid

import openstack
import pytest
import yaml

from localcloud_fixture import facts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'faultproxy'))

from faultproxy import FaultProxy  # noqa: E402

PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
HOLD = 6   # seconds the proxy holds both runs' read answers: longer than the second run's start is late


def template(seconds):
    return {'heat_template_version': '2016-10-14',
            'resources': {'slow': {'type': 'OS::Heat::TestResource',
                                   'properties': {'value': 'x', 'action_wait_secs': {'create': seconds}}}}}


def write_playbook(path, tasks):
    steps = []
    for index, task in enumerate(tasks):
        steps.append(dict(task, register='result', ignore_errors=True))
        steps.append({'ansible.builtin.copy': {'content': '{{ result | to_json }}',
                                               'dest': '%s.%d.json' % (path, index)}})
    with open(path, 'w') as handle:
        yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local', 'tasks': steps}],
                       handle, sort_keys=False)
    return path


def start(playbook, env):
    return subprocess.Popen([PLAYBOOK, '-i', 'localhost,', playbook], env=dict(env, ANSIBLE_PYTHON_INTERPRETER=sys.executable),
                            cwd=os.path.dirname(playbook), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def results(playbook, count, proc):
    output = proc.communicate(timeout=300)[0]
    found = []
    for index in range(count):
        path = '%s.%d.json' % (playbook, index)
        assert os.path.exists(path), 'task %d did not run:\n%s' % (index, output[-4000:])
        with open(path) as handle:
            found.append(json.load(handle))
        os.unlink(path)
    return found, output


def play(playbook, count, env):
    return results(playbook, count, start(playbook, env))[0]


@pytest.fixture
def heat(localcloud):
    cloud = openstack.connect(cloud=localcloud.get('OS_CLOUD', 'localcloud'))
    made = dict(stacks=[], configs=[], servers=[])
    yield cloud, made
    for server in made['servers']:
        for deployment in cloud.orchestration.get('/software_deployments', params={'server_id': server}).json()[
                'software_deployments']:
            cloud.orchestration.delete('/software_deployments/%s' % deployment['id'])
    for name in made['configs']:
        for config in configs_named(cloud, name):
            cloud.orchestration.delete('/software_configs/%s' % config['id'])
    for name in made['stacks']:
        for stack in stacks_named(cloud, name):   # all of them: a race lost by the code under test may leave two
            cloud.orchestration.delete_stack(stack)
    for name in made['stacks']:
        for _dummy in range(60):
            if not stacks_named(cloud, name):
                break
            time.sleep(1)


def configs_named(cloud, name):
    listed = cloud.orchestration.get('/software_configs', params={'limit': 1000}).json()['software_configs']
    return [c for c in listed if c['name'] == name]


def deployments_on(cloud, server):
    return cloud.orchestration.get('/software_deployments', params={'server_id': server}).json()['software_deployments']


def stacks_named(cloud, name):
    return [s for s in cloud.orchestration.stacks() if s.name == name]


def test_two_runs_at_once_leave_one_stack_and_one_deployment(ansible_env, localcloud, heat, tmp_path):
    cloud, made = heat
    tag = uuid.uuid4().hex[:8]
    name, server = 'race-%s' % tag, str(uuid.uuid4())
    made['stacks'].append(name)
    made['configs'].append(name)
    made['servers'].append(server)
    url = urllib.parse.urlsplit(facts(localcloud)['catalog']['orchestration'])
    proxy = FaultProxy('%s://%s' % (url.scheme, url.netloc), max_lifetime=300).start()
    try:
        with open(localcloud['OS_CLIENT_CONFIG_FILE']) as handle:
            config = yaml.safe_load(handle)
        for entry in config['clouds'].values():
            entry['orchestration_endpoint_override'] = proxy.url + url.path
        clouds = tmp_path / 'clouds.yaml'
        fd = os.open(str(clouds), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the passwords
        with os.fdopen(fd, 'w') as handle:
            yaml.safe_dump(config, handle)
        env = dict(ansible_env, OS_CLIENT_CONFIG_FILE=str(clouds))
        tasks = [
            {'name': 'config', 'cloudrise.openstack.software_config': {
                'name': name, 'group': 'script', 'config': 'echo race', 'inputs': [{'name': 'a'}]}},
            {'name': 'deployment', 'cloudrise.openstack.software_deployment': {
                'config': name, 'server_id': server, 'input_values': {'a': 'b'}}},
            {'name': 'stack', 'cloudrise.openstack.stack': {
                'name': name, 'template_content': template(2), 'timeout': 120}},
        ]
        playbooks = [write_playbook(str(tmp_path / ('run%d.yml' % i)), tasks) for i in (1, 2)]
        # each run's first read of each object is held, so both runs read before either creates
        proxy.set_rules([
            {'method': 'GET', 'path': '/software_configs\\?', 'action': 'stall', 'seconds': HOLD, 'count': 2},
            {'method': 'GET', 'path': '/software_deployments\\?server_id=', 'action': 'stall', 'seconds': HOLD,
             'count': 2},
            {'method': 'GET', 'path': '/stacks/%s$' % name, 'action': 'stall', 'seconds': HOLD, 'count': 2},
        ])
        procs = [start(p, env) for p in playbooks]
        runs = [results(p, len(tasks), proc) for p, proc in zip(playbooks, procs)]
        assert [(r['action'], r['fired']) for r in proxy.rules()] == [('stall', 2)] * 3
        for found, output in runs:
            failed = [r.get('msg') for r in found if r.get('failed')]
            assert failed == [], output[-3000:]
        stack_results = [found[2] for found, _output in runs]
        assert len(set(r['id'] for r in stack_results)) == 1
        warned = [w for r in stack_results for w in r.get('warnings', []) if 'created by another run' in w]
        assert len(warned) == 1, stack_results   # the race was met: one run got the 409
        deployments = deployments_on(cloud, server)
        assert len(deployments) == 1
        assert set(found[1]['id'] for found, _output in runs) == {deployments[0]['id']}
        assert deployments[0]['input_values'].get('a') == 'b'
        assert len(stacks_named(cloud, name)) == 1
        assert 1 <= len(configs_named(cloud, name)) <= 2   # both runs made one: twins, the older is current

        again = play(playbooks[0], len(tasks), env)   # the re-run converges: the twin goes once unused
        assert [r.get('failed', False) for r in again] == [False] * 3, again
        assert not again[1]['changed'] and not again[2]['changed']
        assert len(deployments_on(cloud, server)) == 1
        assert again[1]['software_deployment']['config_id'] in [c['id'] for c in configs_named(cloud, name)]
        assert len(configs_named(cloud, name)) == 1 or again[0]['superseded_ids']   # a twin stays while in use
        idempotent = play(playbooks[1], len(tasks), env)
        assert [r['changed'] for r in idempotent] == [False] * 3, idempotent
    finally:
        proxy.stop()


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGKILL], ids=['SIGINT', 'SIGKILL'])
def test_interrupted_stack_create_converges_on_rerun(ansible_env, heat, tmp_path, signum):
    cloud, made = heat
    name = 'interrupted-%s' % uuid.uuid4().hex[:8]
    made['stacks'].append(name)
    tasks = [{'name': 'stack', 'cloudrise.openstack.stack': {
        'name': name, 'template_content': template(6), 'timeout': 120}}]
    playbook = write_playbook(str(tmp_path / 'stack.yml'), tasks)
    proc = start(playbook, ansible_env)
    deadline = time.monotonic() + 60
    stack = None
    while time.monotonic() < deadline and stack is None:
        stack = cloud.orchestration.find_stack(name)
        if stack is None:
            time.sleep(0.3)
    assert stack is not None and stack.status == 'CREATE_IN_PROGRESS'
    os.killpg(proc.pid, signum)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert cloud.orchestration.get_stack(stack.id).status == 'CREATE_IN_PROGRESS'   # the kill landed mid-create
    result = play(playbook, 1, ansible_env)[0]
    assert not result.get('failed') and not result['changed'], result
    assert result['id'] == stack.id and result['stack']['status'] == 'CREATE_COMPLETE'
    assert [s.id for s in stacks_named(cloud, name)] == [stack.id]
