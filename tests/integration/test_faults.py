"""Faults between the modules and the real local cloud: tools/faultproxy in front of Heat, Senlin and Ironic.

A module-scoped fixture starts one fault proxy per service (127.0.0.1, an ephemeral port, a bounded lifetime) and
writes a clouds.yaml derived from the local cloud's, with ``<service>_endpoint_override`` pointing at the proxies
(Keystone stays direct). Each test sets the proxies' rules, runs real modules with ansible-playbook, and checks the
results, what reached the services and what the proxies injected:

- 503/502 bursts and connection resets on GETs, outside and during a stack create's wait: the task succeeds;
- the answer to ``POST /stacks`` lost after Heat got it: the task fails saying so, the re-run converges, one stack;
- a stalled answer to a poll: the task ends within ``timeout`` (plus a margin) naming the request that stalled;
- Senlin's 409 "locked" on a cluster create and 503s/resets while its action is polled: retried, the task succeeds;
- the answer to ``POST /v1/allocations`` (Ironic) lost: the task fails saying so, the re-run converges, one
  allocation;
- the answer to ``POST /clusters`` (Senlin, where names are not unique) lost: the module finds the cluster by its
  create token in the same run, sends no second create, one cluster and one profile;
- Ironic refusing the provision request of one instance of four (``concurrency: 2``): never more than two deploys
  in flight, the other three deployed (``clean_up: false``), the failed one named with Ironic's reason, the
  re-run deploys it; with ``clean_up: true`` on top of instances deployed before, only what the task did is undone.
  (The same with 100 instances: benchmarks/baremetal_fleet.py --faults.)
"""

import json
import os
import re
import pathlib
import subprocess
import sys
import time
import urllib.parse
import uuid

import openstack
import pytest
import yaml

from localcloud_fixture import facts

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools' / 'faultproxy'))

from faultproxy import FaultProxy  # noqa: E402

SERVICES = ('orchestration', 'clustering', 'baremetal')
UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
# a stack whose create takes about two seconds: long enough for the polls the faults hit
SLOW_TEMPLATE = {
    'heat_template_version': '2016-10-14',
    'resources': {'slow': {'type': 'OS::Heat::TestResource',
                           'properties': {'value': 'x', 'action_wait_secs': {'create': 2}}}},
}
QUICK_TEMPLATE = {'heat_template_version': '2016-10-14', 'resources': {'none': {'type': 'OS::Heat::None'}}}
SENLIN_LOCKED = {'code': 409, 'title': 'Conflict',
                 'error': {'code': 409, 'type': 'ResourceIsLocked',
                           'message': 'The cluster is locked by another action (faultproxy).'}}


class Faults:
    """The proxies by service type, the environment that sends the modules through them, a scratch directory."""

    def __init__(self, env, proxies, workdir, cloud, admin_cloud):
        self.env, self.proxies, self.workdir = env, proxies, workdir
        self.cloud, self.admin_cloud = cloud, admin_cloud

    def rules(self, service, *rules):
        proxy = self.proxies[service]
        proxy.clear()
        proxy.set_rules(rules)
        return proxy

    def fired(self, service):
        return [(r['action'], r['fired']) for r in self.proxies[service].rules()]

    def play(self, tasks, name):
        """Run ``tasks`` (each registered and ignore_errors) in one playbook; returns (results, seconds)."""
        out = self.workdir / name
        out.mkdir()
        steps = []
        for index, task in enumerate(tasks):
            steps.append(dict(task, register='result', ignore_errors=True))
            steps.append({'name': 'save %d' % index,
                          'ansible.builtin.copy': {'content': '{{ result | to_json }}', 'dest': str(out / ('%d.json' % index))}})
        playbook = out / 'play.yml'
        playbook.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local',
                                             'tasks': steps}], sort_keys=False))
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', str(playbook)]
        env = dict(self.env, ANSIBLE_PYTHON_INTERPRETER=sys.executable)
        started = time.monotonic()
        proc = subprocess.run(cmd, env=env, cwd=str(out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False, timeout=600)
        seconds = time.monotonic() - started
        (out / 'ansible.log').write_text(proc.stdout)
        results = []
        for index in range(len(tasks)):
            path = out / ('%d.json' % index)
            assert path.exists(), 'task %d did not run:\n%s' % (index, proc.stdout[-4000:])
            results.append(json.loads(path.read_text()))
        return results, seconds


@pytest.fixture(scope='module')
def faults(ansible_env, localcloud, tmp_path_factory):
    workdir = tmp_path_factory.mktemp('faults')
    catalog = facts(localcloud)['catalog']
    proxies, overrides = {}, {}
    try:
        for service in SERVICES:
            url = urllib.parse.urlsplit(catalog[service])
            proxies[service] = FaultProxy('%s://%s' % (url.scheme, url.netloc), max_lifetime=900,
                                          log_path=str(workdir / ('%s.events' % service))).start()
            overrides['%s_endpoint_override' % service] = proxies[service].url + url.path
        with open(localcloud['OS_CLIENT_CONFIG_FILE']) as handle:
            config = yaml.safe_load(handle)
        for cloud in config['clouds'].values():
            cloud.update(overrides)
        path = workdir / 'clouds.yaml'
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the passwords
        with os.fdopen(fd, 'w') as handle:
            yaml.safe_dump(config, handle)
        cloud = localcloud.get('OS_CLOUD', 'localcloud')
        admin = 'localcloud-admin' if 'localcloud-admin' in config['clouds'] else cloud
        yield Faults(dict(ansible_env, OS_CLIENT_CONFIG_FILE=str(path)), proxies, workdir, cloud, admin)
    finally:
        for proxy in proxies.values():
            proxy.stop()


@pytest.fixture(scope='module')
def direct(localcloud):
    """SDK connections that bypass the proxies (the local cloud's own clouds.yaml), for checks and clean-up."""
    with open(localcloud['OS_CLIENT_CONFIG_FILE']) as handle:
        clouds = yaml.safe_load(handle)['clouds']
    cloud = localcloud.get('OS_CLOUD', 'localcloud')
    admin = 'localcloud-admin' if 'localcloud-admin' in clouds else cloud
    return dict(user=openstack.connect(cloud=cloud), admin=openstack.connect(cloud=admin))


def unique(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:8])


def delete_stacks(conn, *names):
    for name in names:
        stack = conn.orchestration.find_stack(name, ignore_missing=True)
        if stack is not None:
            conn.orchestration.delete_stack(stack, ignore_missing=True)


def stack_task(name, template, **extra):
    return {'name': 'stack %s' % name, 'cloudrise.openstack.stack': dict(dict(name=name, template_content=template), **extra)}


def test_transient_errors_on_gets_and_polls_do_not_end_a_stack_task(faults, direct):
    name = unique('faults-wait')
    by_name, by_id = '/stacks/%s(\\?|$)' % name, '/stacks/%s/%s(\\?|$)' % (name, UUID)
    faults.rules('orchestration',
                 dict(method='GET', path=by_name, action='status', status=503, count=2),  # the first find
                 dict(method='GET', path=by_id, action='status', status=503, count=3, after=1),  # during the wait
                 dict(method='GET', path=by_id, action='reset', count=2),
                 dict(method='GET', path=by_id, action='status', status=502, count=1,
                      body='<html><body>502 Bad Gateway</body></html>'),
                 dict(method='GET', path='/stacks/%s/%s/template' % (name, UUID), action='reset', count=1))
    try:
        (created, again, deleted), dummy = faults.play([
            stack_task(name, SLOW_TEMPLATE, cloud=faults.cloud, timeout=120),
            stack_task(name, SLOW_TEMPLATE, cloud=faults.cloud, timeout=120),
            stack_task(name, SLOW_TEMPLATE, cloud=faults.cloud, timeout=120, state='absent'),
        ], 'wait')
    finally:
        delete_stacks(direct['user'], name)
    assert not created.get('failed'), created.get('msg')
    assert created['changed'] and created['stack']['status'] == 'CREATE_COMPLETE'
    assert not again.get('failed'), again.get('msg')
    assert again['changed'] is False
    assert not deleted.get('failed') and deleted['changed'], deleted.get('msg')
    assert faults.fired('orchestration') == [('status', 2), ('status', 3), ('reset', 2), ('status', 1), ('reset', 1)]
    assert faults.proxies['orchestration'].seen('POST', '/stacks$') == 1


def test_a_lost_answer_to_post_stacks_fails_clearly_and_the_rerun_converges(faults, direct):
    name = unique('faults-lost')
    proxy = faults.rules('orchestration', dict(method='POST', path='/stacks$', action='drop_response'))
    try:
        (lost, rerun), dummy = faults.play([stack_task(name, QUICK_TEMPLATE, cloud=faults.cloud, timeout=120)] * 2,
                                           'lost-stack')
        stacks = [s for s in direct['user'].orchestration.stacks() if s.name == name]
    finally:
        delete_stacks(direct['user'], name)
    assert lost.get('failed') and 'broke before the answer came' in lost['msg'], lost.get('msg')
    assert 'run the task again' in lost['msg'] and '/stacks' in lost['msg']
    assert not rerun.get('failed'), rerun.get('msg')
    assert rerun['changed'] is False and rerun['stack']['status'] == 'CREATE_COMPLETE'
    assert [s.id for s in stacks] == [rerun['stack']['id']]  # exactly one stack: Heat got the lost one
    assert proxy.seen('POST', '/stacks$') == 1  # the re-run found it, sent no second create


def test_a_stalled_answer_ends_the_task_within_its_timeout(faults, direct):
    name = unique('faults-stall')
    timeout, stall = 15, 90
    # the first poll stalls until the deadline; the next one (the wait's last poll, or the first one of the clean-up
    # of the unfinished stack) stalls too, after the deadline: it gets the least time of a request (10s)
    faults.rules('orchestration',
                 dict(method='GET', path='/stacks/%s/%s(\\?|$)' % (name, UUID), action='stall', seconds=stall, count=2))
    try:
        (result,), seconds = faults.play([stack_task(name, QUICK_TEMPLATE, cloud=faults.cloud, timeout=timeout)],
                                         'stall')
    finally:
        delete_stacks(direct['user'], name)
    # ansible-playbook's own start and the save task take a few seconds of the margin
    assert seconds < timeout + 30, 'the task took %.0fs with timeout=%s' % (seconds, timeout)
    assert result.get('failed'), 'the stalled poll went unnoticed: %s' % result
    msg = result['msg']
    assert msg.startswith("Timed out after %ss waiting for stack '%s' to reach CREATE_COMPLETE" % (timeout, name)), msg
    assert 'the last poll failed: GET http://127.0.0.1:%d/' % faults.proxies['orchestration'].port in msg
    assert "got no answer within" in msg and "of the task's timeout of %ss" % timeout in msg
    assert faults.fired('orchestration') == [('stall', 2)]


def test_senlin_locked_and_transient_answers_are_retried(faults, direct):
    name = unique('faults-cluster')
    spec = {'type': 'os.heat.stack', 'version': '1.0', 'properties': {'template': QUICK_TEMPLATE, 'timeout': 2}}
    proxy = faults.rules('clustering',
                         dict(method='POST', path='/clusters$', action='status', status=409, body=SENLIN_LOCKED,
                              count=2),
                         dict(method='GET', path='/actions/%s' % UUID, action='status', status=503, count=2),
                         dict(method='GET', path='/actions/%s' % UUID, action='reset', count=1))
    cluster = dict(name=name, profile_spec=spec, desired_capacity=0, cloud=faults.cloud, timeout=120)
    try:
        (created, deleted), dummy = faults.play([
            {'name': 'cluster', 'cloudrise.openstack.cluster': cluster},
            {'name': 'cluster absent', 'cloudrise.openstack.cluster': dict(cluster, state='absent')},
        ], 'senlin')
    finally:
        clustering = direct['user'].clustering
        for found in [c for c in clustering.clusters() if c.name == name]:
            clustering.delete_cluster(found, ignore_missing=True)
        for found in [p for p in clustering.profiles() if p.name == name]:
            try:
                clustering.delete_profile(found, ignore_missing=True)
            except openstack.exceptions.HttpException:
                pass  # still used by the cluster being deleted: best effort
    assert not created.get('failed'), created.get('msg')
    assert created['changed'] and created['cluster']['status'] == 'ACTIVE'
    assert not deleted.get('failed') and deleted['changed'], deleted.get('msg')
    assert proxy.seen('POST', '/clusters$') == 3  # two answered "locked" by the proxy, then the one Senlin got
    assert faults.fired('clustering') == [('status', 2), ('status', 2), ('reset', 1)]


def test_a_lost_answer_to_post_allocations_fails_clearly_and_the_rerun_converges(faults, direct):
    hostname = unique('faults-bm')
    proxy = faults.rules('baremetal',
                         # (openstacksdk already retries Ironic's 503s and 409s itself, not resets)
                         dict(method='GET', path='/v1/nodes', action='reset', count=2),
                         dict(method='POST', path='/v1/allocations$', action='drop_response'))
    reserve = {'name': 'reserve', 'cloudrise.openstack.baremetal_instance': dict(
        cloud=faults.admin_cloud, state='reserved', timeout=60,
        instances=[dict(hostname=hostname, resource_class='baremetal')])}
    baremetal = direct['admin'].baremetal
    try:
        (lost, rerun), dummy = faults.play([reserve, reserve], 'lost-allocation')
        allocations = [a for a in baremetal.allocations() if a.name == hostname]
        posts, fired = proxy.seen('POST', '/v1/allocations$'), faults.fired('baremetal')
    finally:
        release = {'name': 'release', 'cloudrise.openstack.baremetal_instance': dict(
            cloud=faults.admin_cloud, state='absent', timeout=60, instances=[dict(hostname=hostname)])}
        faults.rules('baremetal')
        (released,), dummy = faults.play([release], 'release')
        for allocation in [a for a in baremetal.allocations() if a.name == hostname]:
            baremetal.delete_allocation(allocation, ignore_missing=True)
    assert lost.get('failed') and 'broke before the answer came' in lost['msg'], lost.get('msg')
    assert not rerun.get('failed'), rerun.get('msg')
    assert rerun['changed'] is False and rerun['instances'][0]['allocation']['name'] == hostname
    assert len(allocations) == 1 and allocations[0].state == 'active'  # exactly one: the one the lost POST made
    assert posts == 1  # the re-run found the allocation, sent no second one
    assert fired == [('reset', 2), ('drop_response', 1)]
    assert not released.get('failed') and released['changed'], released.get('msg')


def test_a_lost_answer_to_post_clusters_leaves_one_cluster_and_converges(faults, direct):
    """Senlin names are not unique: a create resent after a lost answer would make a twin. The module looks the
    cluster up by its create token instead (``_senlin/create.py``), in the same run or the re-run."""
    name = unique('faults-lostcluster')
    spec = {'type': 'os.heat.stack', 'version': '1.0', 'properties': {'template': QUICK_TEMPLATE, 'timeout': 2}}
    proxy = faults.rules('clustering', dict(method='POST', path='/clusters$', action='drop_response'))
    cluster = dict(name=name, profile_spec=spec, desired_capacity=0, cloud=faults.cloud, timeout=120)
    clustering = direct['user'].clustering
    try:
        (lost, rerun), dummy = faults.play([{'name': 'cluster', 'cloudrise.openstack.cluster': cluster}] * 2,
                                           'lost-cluster')
        clusters = [c for c in clustering.clusters() if c.name == name]
        profiles = [p for p in clustering.profiles() if p.name == name]
    finally:
        for found in [c for c in clustering.clusters() if c.name == name]:
            clustering.delete_cluster(found, ignore_missing=True)
            clustering.wait_for_delete(found, wait=120)
        for found in [p for p in clustering.profiles() if p.name == name]:
            clustering.delete_profile(found, ignore_missing=True)
    assert faults.fired('clustering') == [('drop_response', 1)]
    # the lost answer is recovered in the same run: the cluster carrying this run's create token is found
    assert not lost.get('failed'), lost.get('msg')
    assert lost['changed'] and lost['cluster']['status'] == 'ACTIVE'
    assert lost['cluster']['id'] == rerun['cluster']['id']
    assert not rerun.get('failed'), rerun.get('msg')
    assert rerun['changed'] is False and rerun['cluster']['status'] == 'ACTIVE'
    assert [c.id for c in clusters] == [rerun['cluster']['id']], 'a twin cluster was made'
    assert len(profiles) == 1, 'the managed profile was made more than once'
    assert proxy.seen('POST', '/clusters$') == 1, 'the create was sent again'


# -- one bare-metal instance among several fails --------------------------------------------------------------
IRONIC_REFUSAL = {'error_message': json.dumps({'faultstring': 'refused by the fault test', 'code': 400,
                                               'debuginfo': None})}
PROVISION = re.compile('^/v1/nodes/(%s)/states/provision$' % UUID)
NODE = re.compile('^/v1/nodes/(%s)(\\?|$)' % UUID)


def deploys_in_flight(requests):
    """The most nodes at once between their provision PUT and the last GET of them: an interval that holds Ironic's
    deploy, so this is at least the number of deploys Ironic ran at once."""
    put, last = {}, {}
    for request in requests:
        provision, node = PROVISION.match(request['path']), NODE.match(request['path'])
        if request['method'] == 'PUT' and provision:
            put.setdefault(provision.group(1), request['time'])
        elif request['method'] == 'GET' and node:
            last[node.group(1)] = request['time']
    edges = sorted([(t, 1) for t in put.values()] + [(max(last.get(n, t), t), -1) for n, t in put.items()],
                   key=lambda edge: (edge[0], -edge[1]))
    most = now = 0
    for edge in edges:
        now += edge[1]
        most = max(most, now)
    return most


def bm_states(baremetal, hostnames):
    """{hostname: the provision state of the node its reservation holds ('absent': no reservation)}."""
    nodes = dict((n.id, n) for n in baremetal.nodes(details=True))
    states = dict((h, 'absent') for h in hostnames)
    for allocation in baremetal.allocations():
        if allocation.name in states:
            node = nodes.get(allocation.node_id)
            states[allocation.name] = node.provision_state if node is not None else allocation.state
    return states


def bm_task(faults, state, hostnames, **options):
    image = dict(href=os.environ['LOCALCLOUD_IMAGE_URL'], checksum=os.environ['LOCALCLOUD_IMAGE_CHECKSUM'])
    instances = [dict(hostname=h, image=image) if state == 'present' else dict(hostname=h) for h in hostnames]
    return {'name': '%s %d' % (state, len(hostnames)), 'cloudrise.openstack.baremetal_instance': dict(
        dict(cloud=faults.admin_cloud, state=state, timeout=180, instances=instances), **options)}


def undeploy(faults, baremetal, hostnames, name):
    faults.rules('baremetal')
    (result,), dummy = faults.play([bm_task(faults, 'absent', hostnames)], name)
    assert not result.get('failed'), result.get('msg')
    assert set(bm_states(baremetal, hostnames).values()) == {'absent'}


def test_one_instance_of_four_refused_concurrency_two_keeps_the_others(faults, direct):
    """concurrency 2 bounds the deploys in flight; clean_up false keeps the three that deployed; the error names
    the failed instance with Ironic's reason; the re-run deploys it and leaves the others alone."""
    hostnames = ['%s-%d' % (unique('faults-fleet'), i) for i in range(4)]
    baremetal = direct['admin'].baremetal
    proxy = faults.rules('baremetal', dict(method='PUT', path='/states/provision$', action='status', status=400,
                                           body=IRONIC_REFUSAL, after=2, count=1))  # the third deploy
    try:
        (failed,), dummy = faults.play([bm_task(faults, 'present', hostnames, concurrency=2, clean_up=False)],
                                       'fleet-keep')
        states, requests = bm_states(baremetal, hostnames), list(proxy.requests)
        refused = [PROVISION.match(e['path']).group(1) for e in proxy.events if e.get('event') == 'status']
        faults.rules('baremetal')
        (rerun,), dummy = faults.play([bm_task(faults, 'present', hostnames, concurrency=2)], 'fleet-rerun')
        rerun_writes = [r for r in proxy.requests if r['method'] != 'GET']
        after = bm_states(baremetal, hostnames)
    finally:
        undeploy(faults, baremetal, hostnames, 'fleet-keep-absent')
    assert failed.get('failed') and len(failed['failed_instances']) == 1, failed.get('msg')
    loser = failed['failed_instances'][0]
    assert "1 of 4 instance(s) failed: '%s'" % loser in failed['msg']
    assert 'refused by the fault test' in failed['msg'] and 'clean_up is off' in failed['msg']
    assert refused and refused[0] in failed['msg']                 # the node Ironic refused is named
    assert deploys_in_flight(requests) == 2                        # concurrency bounds them, and 2 ran at once
    assert [h for h in hostnames if states[h] == 'active'] == [h for h in hostnames if h != loser]
    assert states[loser] == 'available'                            # reserved, not deployed: left as is
    assert not rerun.get('failed') and rerun['changed'], rerun.get('msg')
    assert after == dict((h, 'active') for h in hostnames)
    assert set(PROVISION.match(r['path']).group(1) for r in rerun_writes if PROVISION.match(r['path'])) == \
        set(refused) and len(rerun_writes) == 2                    # PATCH + PUT of the failed one only


def test_one_new_instance_refused_with_clean_up_undoes_only_this_task(faults, direct):
    """Two instances deployed before, two more added by a task in which Ironic refuses one: the clean-up undeploys
    the new one that deployed, releases the refused one's reservation, and sends nothing to the earlier two."""
    base = unique('faults-fleet')
    before, new = ['%s-old-%d' % (base, i) for i in range(2)], ['%s-new-%d' % (base, i) for i in range(2)]
    baremetal = direct['admin'].baremetal
    try:
        faults.rules('baremetal')
        (made,), dummy = faults.play([bm_task(faults, 'present', before)], 'fleet-before')
        assert not made.get('failed'), made.get('msg')
        old_nodes = made['ids']
        proxy = faults.rules('baremetal', dict(method='PUT', path='/states/provision$', action='status',
                                               status=400, body=IRONIC_REFUSAL, after=1, count=1))
        (failed,), dummy = faults.play([bm_task(faults, 'present', before + new, concurrency=2)], 'fleet-undo')
        states, requests = bm_states(baremetal, before + new), list(proxy.requests)
    finally:
        undeploy(faults, baremetal, before + new, 'fleet-undo-absent')
    assert failed.get('failed') and len(failed['failed_instances']) == 1, failed.get('msg')
    assert failed['failed_instances'][0] in new and 'refused by the fault test' in failed['msg']
    assert 'Clean-up: ' in failed['msg']
    assert [states[h] for h in before] == ['active', 'active']
    assert [states[h] for h in new] == ['absent', 'absent']
    touched = [r for r in requests if r['method'] != 'GET' and any(n in r['path'] for n in old_nodes)]
    assert len(old_nodes) == 2 and touched == []
