"""Races and interrupts of baremetal_instance against the real local cloud (issue 10, findings 10 and 11).

- Two ``ansible-playbook`` processes at once (released together from a barrier) deploy the same hostname (with
  wait): Ironic ends with one allocation of that name and one node deployed for it (active); both runs end
  with a clear result (success, or a failure that names the other run and undid nothing of it); a re-run
  reports changed=0.
- ``ansible-playbook`` killed (SIGINT, then SIGKILL, to its process group) in the middle of a deploy with wait
  (once the reservation exists, or once the node carries the instance; SIGKILL kills the module process too,
  since Ansible's workers run in sessions of their own, while after SIGINT it goes on as after a Ctrl-C): the re-run
  converges (no "ambiguous" error), with one allocation and one active node for the hostname and nothing else
  carrying it, and the run after it reports changed=0.

Logs: tests/output/integration/baremetal-races-<step>.log.
"""

import os
import pathlib
import signal
import subprocess
import time

import openstack
import playbook_runs
import pytest
from playbook_runs import OUTPUT, barrier_task, finish, write_playbook

PREFIX = 'it-bmrace'


def playbook(tmp_path, name, hostname, state='present', barrier=None):
    tasks = []
    if barrier:
        tasks.append(barrier_task(barrier[0], barrier[1], 60))
    instance = {'hostname': hostname}
    if state == 'present':
        instance['image'] = {'href': os.environ['LOCALCLOUD_IMAGE_URL'],
                             'checksum': os.environ['LOCALCLOUD_IMAGE_CHECKSUM']}
    tasks.append({'name': 'Instance', 'cloudrise.openstack.baremetal_instance': {
        'state': state, 'timeout': 240, 'instances': [instance]}})
    return write_playbook(tmp_path, name, tasks)


def start(env, path, step):
    return playbook_runs.start(env, path, 'baremetal-races-%s' % step)


def run(env, path, step):
    return finish(start(env, path, step))


@pytest.fixture(scope='module')
def cloud(localcloud):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    conn = openstack.connect()   # OS_CLOUD, as the modules
    yield conn
    conn.close()


def census(conn, hostname):
    """The allocations named ``hostname`` and the nodes that carry it (allocation or display_name)."""
    allocations = [a for a in conn.baremetal.allocations() if a.name == hostname]
    held = set(a.node_id for a in allocations if a.node_id)
    nodes = [n for n in conn.baremetal.nodes(details=True)
             if n.id in held or (n.instance_info or {}).get('display_name') == hostname]
    return allocations, nodes


def assert_one_active(conn, hostname):
    allocations, nodes = census(conn, hostname)
    assert len(allocations) == 1, [(a.id, a.state, a.node_id) for a in allocations]
    assert [(n.id, n.provision_state) for n in nodes] == [(allocations[0].node_id, 'active')], \
        [(n.name, n.provision_state, n.allocation_id, (n.instance_info or {}).get('display_name')) for n in nodes]


def descendants(pid):
    """The pids of every process below ``pid`` (from /proc), whatever their session."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                stat = pathlib.Path('/proc/%s/stat' % entry).read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(')', 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cleanup(conn, env, tmp_path, hostname):
    rc, out, _changed = run(env, playbook(tmp_path, 'cleanup', hostname, state='absent'), 'cleanup-%s' % hostname)
    assert rc == 0, 'clean-up failed:\n' + out[-3000:]


def test_two_runs_deploy_one_hostname(ansible_env, cloud, tmp_path):
    hostname = PREFIX + '-twin'
    go = tmp_path / 'go'
    procs = []
    try:
        for n in (1, 2):
            path = playbook(tmp_path, 'run%d' % n, hostname, barrier=(tmp_path / ('ready%d' % n), go))
            procs.append(start(ansible_env, path, 'twin-run%d' % n))
        deadline = time.monotonic() + 90
        while not all((tmp_path / ('ready%d' % n)).exists() for n in (1, 2)) and time.monotonic() < deadline:
            time.sleep(0.05)
        go.write_text('')
        results = [finish(proc) for proc in procs]
        outs = '\n=====\n'.join(out[-3000:] for _rc, out, _changed in results)
        assert any(rc == 0 for rc, _out, _changed in results), 'neither run succeeded:\n' + outs
        for rc, out, _changed in results:
            if rc != 0:     # the loser: a clear message naming the other run, and nothing of the winner undone
                assert 'another run' in out and 'mbiguous' not in out and 'Traceback' not in out, outs
        assert_one_active(cloud, hostname)

        rc, out, changed = run(ansible_env, playbook(tmp_path, 'again', hostname), 'twin-again')
        assert rc == 0 and changed == 0, 'the re-run is not idempotent:\n' + out[-3000:]
        assert_one_active(cloud, hostname)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        cleanup(cloud, ansible_env, tmp_path, hostname)


@pytest.mark.parametrize('sig, moment', [('SIGINT', 'written'), ('SIGKILL', 'reserved'), ('SIGKILL', 'written')])
def test_interrupted_deploy_converges(ansible_env, cloud, tmp_path, sig, moment):
    """Interrupted once the reservation exists (``reserved``: before the node is written) or once the node carries
    the instance (``written``: instance_info set, the deploy requested next and waited for)."""
    step = '%s-%s' % (sig.lower(), moment)
    hostname = '%s-%s' % (PREFIX, step)
    path = playbook(tmp_path, 'deploy', hostname)
    try:
        proc = start(ansible_env, path, '%s-run1' % step)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            allocations, nodes = census(cloud, hostname)
            if allocations if moment == 'reserved' else \
                    any((n.instance_info or {}).get('display_name') == hostname for n in nodes):
                break
            time.sleep(0.05)
        assert proc.poll() is None, 'the run ended before it could be interrupted'
        tree = descendants(proc.pid)
        os.killpg(proc.pid, getattr(signal, sig))
        if sig == 'SIGKILL':
            # Ansible's workers start sessions of their own, so the module outlives its playbook's group: kill it
            # too (a crash of the whole controller); after SIGINT it goes on, as after a Ctrl-C
            for pid in tree:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

        rc, out, _changed = run(ansible_env, path, '%s-rerun' % step)
        assert rc == 0, 'the re-run after %s did not converge:\n%s' % (sig, out[-3000:])
        assert 'mbiguous' not in out
        assert_one_active(cloud, hostname)
        rc, out, changed = run(ansible_env, path, '%s-again' % step)
        assert rc == 0 and changed == 0, 'not idempotent after %s:\n%s' % (sig, out[-3000:])
    finally:
        cleanup(cloud, ansible_env, tmp_path, hostname)
