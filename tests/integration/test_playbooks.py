"""The end-to-end playbooks against the local cloud, run as the README runs them (`make demo`, `make teardown`):
provision.yml twice, teardown.yml once.

The second provision run must report changed=0 for every host (idempotent); teardown must leave nothing with
the demo's names (stacks, software configs, clusters, profiles, policies, receivers, the cluster nodes' Heat
stacks, bare-metal allocations). (A second teardown run, on nothing, was dropped to pay for test_awx.py, which runs
both playbooks again as AWX jobs; each module's `absent` idempotence is in its integration target.) Logs and
durations: tests/output/integration/playbook-<step>.log.
"""

import pathlib
import re
import subprocess
import time

import openstack
import pytest

from inventory_checks import check_inventory

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTPUT = ROOT / 'tests' / 'output' / 'integration'
PREFIX = 'cloudrise-demo'  # demo_prefix in playbooks/vars/demo.yml
RECAP = re.compile(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def run_playbook(name, env, step):
    """`make demo` (provision.yml) or `make teardown` (teardown.yml); returns (returncode, output, {host: changed}, seconds)."""
    # `make demo` / `make teardown` are the README's commands for provision.yml / teardown.yml (they also make
    # sure the venv, the collection link and the local cloud are there: all present here, so that is quick)
    target = {'provision.yml': 'demo', 'teardown.yml': 'teardown'}[name]
    started = time.monotonic()
    proc = subprocess.run(['make', '--no-print-directory', target],
                          cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=1800, check=False)
    seconds = time.monotonic() - started
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / ('playbook-%s.log' % step)).write_text('%s\n# %s: exit %d in %.1f s\n' % (proc.stdout, name, proc.returncode, seconds))
    changed = {host: int(count) for host, _ok, count, _unr, _failed in RECAP.findall(proc.stdout)}
    print('%s: exit %d in %.1f s, changed %s' % (step, proc.returncode, seconds, changed))
    return proc.returncode, proc.stdout, changed, seconds


def _demo_names(items, prefix=PREFIX, attribute='name'):
    return sorted(getattr(item, attribute) or '' for item in items if (getattr(item, attribute) or '').startswith(prefix))


def leftovers(conn, node_stack_ids=(), prefix=PREFIX):
    """Everything whose name starts with ``prefix`` (the demo_prefix of the run) that still exists, by kind (empty
    lists when nothing is left)."""
    found = {
        'stacks': _demo_names(conn.orchestration.stacks(), prefix),
        'software_configs': _demo_names(conn.orchestration.software_configs(), prefix),
        'clusters': _demo_names(conn.clustering.clusters(), prefix),
        'profiles': _demo_names(conn.clustering.profiles(), prefix),
        'policies': _demo_names(conn.clustering.policies(), prefix),
        'receivers': _demo_names(conn.clustering.receivers(), prefix),
        'allocations': _demo_names(conn.baremetal.allocations(), prefix),
    }
    live = {stack.id for stack in conn.orchestration.stacks()}
    found['cluster_node_stacks'] = sorted(set(node_stack_ids) & live)
    return found


@pytest.fixture()
def cloud(localcloud):
    conn = openstack.connect(cloud=localcloud['OS_CLOUD'], clustering_default_microversion='1.12')
    yield conn
    conn.close()


def test_provision_and_teardown(ansible_env, cloud):
    node_stack_ids = []
    try:
        rc, out, changed, dummy = run_playbook('provision.yml', ansible_env, 'provision-1')
        assert rc == 0, 'provision.yml failed:\n' + out[-6000:]
        for host in ('%s-bm-0' % PREFIX, '%s-bm-1' % PREFIX):
            assert host in changed, 'bare-metal host %s was not added to the inventory:\n%s' % (host, out[-3000:])
        assert len([h for h in changed if h.startswith('node-')]) == 2, 'the 2 cluster nodes were not added:\n' + out[-3000:]

        clusters = [c for c in cloud.clustering.clusters() if c.name == '%s-web' % PREFIX]
        assert len(clusters) == 1 and clusters[0].status == 'ACTIVE'
        nodes = list(cloud.clustering.nodes(cluster_id=clusters[0].id))
        node_stack_ids = [n.physical_id for n in nodes if n.physical_id]
        assert len(node_stack_ids) == 2
        allocations = [a for a in cloud.baremetal.allocations() if (a.name or '').startswith(PREFIX)]
        assert sorted(a.name for a in allocations) == ['%s-bm-0' % PREFIX, '%s-bm-1' % PREFIX]
        assert all(a.state == 'active' for a in allocations)
        check_inventory(ansible_env, cloud)   # the inventory plugin sees what the demo made

        rc, out, changed, dummy = run_playbook('provision.yml', ansible_env, 'provision-2')
        assert rc == 0, 'second provision.yml failed:\n' + out[-6000:]
        assert changed and all(count == 0 for count in changed.values()), (
            'second provision.yml run changed something: %s\n%s' % (changed, out[-6000:]))
    finally:
        rc, out, changed, dummy = run_playbook('teardown.yml', ansible_env, 'teardown-1')
    assert rc == 0, 'teardown.yml failed:\n' + out[-6000:]
    left = leftovers(cloud, node_stack_ids)
    assert not any(left.values()), 'teardown left resources behind: %s' % left
