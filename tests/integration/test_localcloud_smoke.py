"""Smoke test of the local real cloud through openstacksdk: it is there and it works.

Keystone tokens for both clouds, the catalog, a Heat stack create/update/delete, a Senlin
cluster of Heat-stack nodes (create, resize, delete; stacks checked in Heat), and one
bare-metal node allocate/deploy/undeploy.  Its state is private and its passwords appear in
no process's command line and no log.
"""

import json
import os
import pathlib
import stat
import time
import uuid

import openstack
import pytest

from localcloud_fixture import facts

TIMEOUT = 120
CLUSTERING_MICROVERSION = '1.12'

RANDOM_TEMPLATE = {
    'heat_template_version': '2016-10-14',
    'parameters': {'length': {'type': 'number', 'default': 8}},
    'resources': {'secret': {'type': 'OS::Heat::RandomString',
                             'properties': {'length': {'get_param': 'length'}}}},
    'outputs': {'value': {'value': {'get_attr': ['secret', 'value']}}},
}


def unique(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:8])


def wait_for(check, what, timeout=TIMEOUT, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))
        time.sleep(interval)


@pytest.fixture(scope='module')
def conn(localcloud):
    return openstack.connect(cloud='localcloud')


def test_tokens_for_both_clouds(localcloud):
    for cloud, project in (('localcloud', 'admin'), ('localcloud-demo', 'demo')):
        c = openstack.connect(cloud=cloud)
        access = c.session.auth.get_access(c.session)
        assert access.auth_token
        assert access.project_name == project
    demo = openstack.connect(cloud='localcloud-demo')
    roles = demo.session.auth.get_access(demo.session).role_names
    assert 'member' in roles and 'admin' not in roles


def test_catalog_has_every_service(conn):
    catalog = conn.session.auth.get_access(conn.session).service_catalog
    types = {entry['type'] for entry in catalog.catalog}
    assert {'identity', 'orchestration', 'clustering', 'baremetal'} <= types


def test_heat_stack_create_update_delete(conn):
    heat = conn.orchestration
    stack = heat.create_stack(name=unique('smoke-stack'), template=RANDOM_TEMPLATE,
                              parameters={'length': 8})
    try:
        stack = heat.wait_for_status(stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'],
                                     interval=0.3, wait=TIMEOUT)
        assert len(_output(heat.get_stack(stack.id), 'value')) == 8
        # pass the id: the SDK drops an unchanged template from the PUT of a stack object
        heat.update_stack(stack.id, template=RANDOM_TEMPLATE, parameters={'length': 12})
        wait_for(lambda: heat.get_stack(stack.id).status in ('UPDATE_COMPLETE', 'UPDATE_FAILED'),
                 'stack update')
        updated = heat.get_stack(stack.id)
        assert updated.status == 'UPDATE_COMPLETE', updated.status_reason
        assert len(_output(updated, 'value')) == 12
    finally:
        heat.delete_stack(stack.id)
    heat.wait_for_delete(heat.get_stack(stack.id), interval=0.3, wait=TIMEOUT)


def _output(stack, key):
    return {o['output_key']: o['output_value'] for o in stack.outputs}[key]


def _live_stacks(conn, cluster_id):
    return [s for s in conn.orchestration.stacks(tags=['cluster_id=%s' % cluster_id])
            if s.status != 'DELETE_COMPLETE']


def _wait_action(clustering, action_id):
    def done():
        action = clustering.get_action(action_id)
        return action if action.status in ('SUCCEEDED', 'FAILED', 'CANCELLED') else None
    action = wait_for(done, 'senlin action %s' % action_id)
    assert action.status == 'SUCCEEDED', action.status_reason


def test_senlin_cluster_of_heat_stacks(localcloud):
    conn = openstack.connect(cloud='localcloud', clustering_api_version=CLUSTERING_MICROVERSION)
    clustering = conn.clustering
    spec = {'type': 'os.heat.stack', 'version': '1.0',
            'properties': {'template': RANDOM_TEMPLATE, 'timeout': 2}}
    profile = clustering.create_profile(name=unique('smoke-profile'), spec=spec)
    cluster = None
    try:
        cluster = clustering.create_cluster(name=unique('smoke-cluster'), profile_id=profile.id,
                                            desired_capacity=2, min_size=0, max_size=5)
        cluster = clustering.wait_for_status(cluster, 'ACTIVE', failures=['ERROR', 'WARNING'],
                                             interval=0.3, wait=TIMEOUT)
        stacks = _live_stacks(conn, cluster.id)
        nodes = list(clustering.nodes(cluster_id=cluster.id))
        assert len(stacks) == 2
        assert {n.physical_id for n in nodes} == {s.id for s in stacks}
        assert all(s.status == 'CREATE_COMPLETE' for s in stacks)

        result = clustering.resize_cluster(cluster, adjustment_type='EXACT_CAPACITY', number=3)
        _wait_action(clustering, result['action'])
        assert clustering.get_cluster(cluster.id).desired_capacity == 3
        wait_for(lambda: len(_live_stacks(conn, cluster.id)) == 3, '3 stacks in Heat')
    finally:
        if cluster is not None:
            clustering.delete_cluster(cluster.id)
            clustering.wait_for_delete(cluster, interval=0.3, wait=TIMEOUT)
        clustering.delete_profile(profile.id)
    wait_for(lambda: not _live_stacks(conn, cluster.id), 'node stacks gone from Heat')


def test_baremetal_allocate_deploy_undeploy(conn, localcloud):
    bm = conn.baremetal
    gold = [n['name'] for n in facts(localcloud)['nodes'] if 'CUSTOM_GOLD' in n['traits']]
    assert gold, 'localcloud enrolls CUSTOM_GOLD nodes'
    allocation = bm.create_allocation(name=unique('smoke-host'), resource_class='baremetal',
                                      traits=['CUSTOM_GOLD'])
    try:
        allocation = bm.wait_for_allocation(allocation, timeout=TIMEOUT)
        node = bm.get_node(allocation.node_id)
        assert node.name in gold
        bm.patch_node(node, [
            {'op': 'add', 'path': '/instance_info/image_source',
             'value': localcloud['LOCALCLOUD_IMAGE_URL']},
            {'op': 'add', 'path': '/instance_info/image_checksum',
             'value': localcloud['LOCALCLOUD_IMAGE_CHECKSUM']},
            {'op': 'add', 'path': '/instance_info/root_gb', 'value': 10}])
        config_drive = {'meta_data': {'hostname': allocation.name},
                        'user_data': '#cloud-config\n'}
        node = bm.set_node_provision_state(node, 'active', config_drive=config_drive,
                                           wait=True, timeout=TIMEOUT)
        assert node.provision_state == 'active'
    finally:
        node = bm.get_node(allocation.node_id) if allocation.node_id else None
        if node is not None and node.provision_state == 'active':
            node = bm.set_node_provision_state(node, 'deleted', wait=True, timeout=TIMEOUT)
        elif bm.get_allocation(allocation.id, fields=['uuid']):
            bm.delete_allocation(allocation.id, ignore_missing=True)
    assert node is not None and node.provision_state == 'available'
    assert bm.get_node(node.id).allocation_id is None


# -- the state is private, the passwords stay in the files that need them ------------------------

def _state(localcloud):
    return pathlib.Path(localcloud['LOCALCLOUD_HOME']) / 'state'


def _secrets(state):
    values = json.loads((state / 'state.json').read_text())['secrets']
    return {key: value for key, value in values.items() if value}


def _managed_processes(state):
    """{pid: cmdline} of every live process in the process groups of run/*.pid."""
    groups = set()
    for pidfile in (state / 'run').glob('*.pid'):
        record = json.loads(pidfile.read_text())
        if isinstance(record, dict):             # not mariadbd's own pid file (a number)
            groups.add(record.get('pgid', record['pid']))
    found = {}
    for entry in pathlib.Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / 'stat').read_text().rsplit(')', 1)[1].split()
            if int(fields[2]) in groups and fields[0] != 'Z':
                found[int(entry.name)] = (entry / 'cmdline').read_bytes()
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_state_is_private(localcloud):
    state = _state(localcloud)
    open_to_others = []
    for folder, _dirs, files in os.walk(state):
        for name in [folder] + [os.path.join(folder, f) for f in files]:
            mode = os.lstat(name).st_mode
            if not (stat.S_ISLNK(mode) or stat.S_ISSOCK(mode)) and mode & 0o077:
                open_to_others.append('%s %s' % (oct(mode & 0o777), name))
    assert not open_to_others, open_to_others
    for folder in ('', 'etc', 'data', 'logs', 'run'):
        assert stat.S_IMODE((state / folder).stat().st_mode) == 0o700, folder
    for name in ('state.json', 'clouds.yaml', 'localcloud.json', 'etc/heat.conf',
                 'etc/senlin.conf', 'etc/ironic.conf', 'etc/keystone/keystone.conf'):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name


def test_no_password_in_command_lines_logs_or_facts(localcloud):
    state = _state(localcloud)
    secrets = _secrets(state)
    processes = _managed_processes(state)
    commands = b' '.join(processes.values())
    # Ironic retitles its processes (setproctitle): "ironic: master process [...]"
    for service in (b'uwsgi', b'lc.runtime.heat_all', b'lc.runtime.senlin_allinone',
                    b'ironic', b'http.server'):
        assert service in commands, 'no managed process runs %s' % service
    leaks = []
    for pid, cmdline in sorted(processes.items()):
        leaks += ['%s in the command line of pid %d' % (key, pid)
                  for key, value in secrets.items() if value.encode() in cmdline]
    logs = sorted((state / 'logs').iterdir())
    assert any(log.name == 'keystone.log' for log in logs)
    for path in logs + [state / 'localcloud.json']:
        data = path.read_bytes()
        leaks += ['%s in %s' % (key, path) for key, value in secrets.items()
                  if value.encode() in data]
    assert not leaks, leaks
