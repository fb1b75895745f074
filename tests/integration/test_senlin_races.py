"""Races and interrupts of the Senlin modules against the real local cloud (issue 10, findings 10 and 11).

- Two ``ansible-playbook`` processes at once (released together from a barrier) create the same cluster (from a
  ``profile_spec``, 1 node) and the same webhook receiver: both succeed, Senlin ends with one cluster, one
  managed profile and one receiver of those names, and a re-run reports changed=0.
- ``ansible-playbook`` killed (SIGINT, then SIGKILL, to its process group) while it creates a cluster from a
  ``profile_spec``: the re-run converges (no "ambiguous" error), with one cluster and one profile left.

Logs: tests/output/integration/senlin-races-<step>.log.
"""

import os
import signal
import subprocess
import time

import openstack
import playbook_runs
import pytest
from playbook_runs import OUTPUT, barrier_task, finish, write_playbook

PREFIX = 'it-race'

SPEC = {
    'type': 'os.heat.stack', 'version': '1.0',
    'properties': {'timeout': 2, 'template': {
        'heat_template_version': '2016-10-14',
        'resources': {'rand': {'type': 'OS::Heat::RandomString', 'properties': {'length': 6}}}}}}


def playbook(tmp_path, name, cluster, receiver=None, state='present', barrier=None):
    """A playbook file: the cluster (``profile_spec``, 1 node) and, optionally, a webhook receiver on it."""
    def wait(ready, go):
        return barrier_task(ready, go, 240)
    tasks = [wait(*barrier[0])] if barrier else []
    cluster_task = {'name': 'Cluster', 'cloudrise.openstack.cluster': {
        'cloud': 'localcloud', 'name': cluster, 'state': state, 'timeout': 240}}
    if state == 'present':
        cluster_task['cloudrise.openstack.cluster'].update(profile_spec=SPEC, min_size=0, max_size=2,
                                                           desired_capacity=1)
    receiver_task = None
    if receiver:
        receiver_task = {'name': 'Receiver', 'cloudrise.openstack.receiver': {
            'cloud': 'localcloud', 'name': receiver, 'state': state, 'timeout': 120}}
        if state == 'present':
            receiver_task['cloudrise.openstack.receiver'].update(cluster=cluster, action='CLUSTER_SCALE_OUT')
    if state == 'present':
        tasks += [cluster_task] + ([wait(*barrier[1])] if barrier and receiver_task else []) + [receiver_task]
    else:
        tasks += [receiver_task, cluster_task]
    return write_playbook(tmp_path, name, tasks)


def start(env, path, step):
    return playbook_runs.start(env, path, 'senlin-races-%s' % step)


def run(env, path, step):
    return finish(start(env, path, step))


@pytest.fixture(scope='module')
def cloud(localcloud):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    conn = openstack.connect(cloud='localcloud', clustering_default_microversion='1.12')
    yield conn
    conn.close()


def named(items, name):
    return [item for item in items if item.name == name]


def census(conn, cluster, receiver=None):
    """{kind: [ids]} of the objects with the test's names."""
    found = {'clusters': [c.id for c in named(conn.clustering.clusters(), cluster)],
             'profiles': [p.id for p in named(conn.clustering.profiles(), cluster)]}
    if receiver:
        found['receivers'] = [r.id for r in named(conn.clustering.receivers(), receiver)]
    return found


def cleanup(conn, env, tmp_path, cluster, receiver=None):
    """Delete what the test made (through the modules when they can, else directly)."""
    rc, out, _changed = run(env, playbook(tmp_path, 'cleanup', cluster, receiver, state='absent'),
                            'cleanup-%s' % cluster)
    if rc == 0:
        return
    for receiver_obj in named(conn.clustering.receivers(), receiver or '-'):
        conn.clustering.delete_receiver(receiver_obj, ignore_missing=True)
    for cluster_obj in named(conn.clustering.clusters(), cluster):
        conn.clustering.delete_cluster(cluster_obj, ignore_missing=True)
    deadline = time.monotonic() + 120
    while named(conn.clustering.clusters(), cluster) and time.monotonic() < deadline:
        time.sleep(2)
    for profile in named(conn.clustering.profiles(), cluster):
        conn.clustering.delete_profile(profile, ignore_missing=True)


def test_two_runs_at_once(ansible_env, cloud, tmp_path):
    cluster, receiver = PREFIX + '-twin', PREFIX + '-twin-hook'
    procs = []
    try:
        for n in (1, 2):   # released together before the cluster task, and again before the receiver task
            barrier = [(tmp_path / ('ready%d-%s' % (n, task)), tmp_path / ('go-%s' % task))
                       for task in ('cluster', 'receiver')]
            procs.append(start(ansible_env, playbook(tmp_path, 'run%d' % n, cluster, receiver, barrier=barrier),
                               'twin-run%d' % n))
        for task in ('cluster', 'receiver'):
            deadline = time.monotonic() + 240
            while not all((tmp_path / ('ready%d-%s' % (n, task))).exists() for n in (1, 2)) \
                    and time.monotonic() < deadline and all(proc.poll() is None for proc in procs):
                time.sleep(0.05)
            (tmp_path / ('go-%s' % task)).write_text('', encoding='utf-8')
        results = [finish(proc) for proc in procs]
        for rc, out, _changed in results:
            assert rc == 0, 'a concurrent run failed:\n' + out[-4000:]
        found = census(cloud, cluster, receiver)
        assert [len(found[k]) for k in ('clusters', 'profiles', 'receivers')] == [1, 1, 1], found
        assert cloud.clustering.get_cluster(found['clusters'][0]).status == 'ACTIVE'
        assert len(list(cloud.clustering.nodes(cluster_id=found['clusters'][0]))) == 1
        assert cloud.clustering.get_receiver(found['receivers'][0]).cluster_id == found['clusters'][0]

        rc, out, changed = run(ansible_env, playbook(tmp_path, 'again', cluster, receiver), 'twin-again')
        assert rc == 0 and changed == 0, 'the re-run is not idempotent:\n' + out[-4000:]
        assert census(cloud, cluster, receiver) == found
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        cleanup(cloud, ansible_env, tmp_path, cluster, receiver)


@pytest.mark.parametrize('sig', ['SIGINT', 'SIGKILL'])
def test_interrupted_cluster_create(ansible_env, cloud, tmp_path, sig):
    cluster = '%s-%s' % (PREFIX, sig.lower())
    path = playbook(tmp_path, 'create', cluster)
    try:
        proc = start(ansible_env, path, '%s-run1' % sig.lower())
        # SIGINT once the managed profile exists (the cluster's POST about to go), SIGKILL once the cluster exists
        kind = 'profiles' if sig == 'SIGINT' else 'clusters'
        deadline = time.monotonic() + 90
        while not census(cloud, cluster)[kind] and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert proc.poll() is None, 'the run ended before it could be interrupted'
        os.killpg(proc.pid, getattr(signal, sig))
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

        rc, out, _changed = run(ansible_env, path, '%s-rerun' % sig.lower())
        assert rc == 0, 'the re-run after %s did not converge:\n%s' % (sig, out[-4000:])
        assert 'mbiguous' not in out
        found = census(cloud, cluster)
        assert [len(found[k]) for k in ('clusters', 'profiles')] == [1, 1], found
        assert cloud.clustering.get_cluster(found['clusters'][0]).status == 'ACTIVE'
        rc, out, changed = run(ansible_env, path, '%s-again' % sig.lower())
        assert rc == 0 and changed == 0, 'not idempotent after %s:\n%s' % (sig, out[-4000:])
    finally:
        cleanup(cloud, ansible_env, tmp_path, cluster)
