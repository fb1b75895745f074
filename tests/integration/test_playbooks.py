"""The end-to-end playbooks against the local cloud, run as the README runs them and as AWX runs them:

1. `make demo` (provision.yml): everything made, the hosts added to the play's inventory;
2. the inventory plugin on what the demo made (inventory_checks.py: ansible-inventory --list/--graph);
3. an AWX workflow through ansible-runner (awx_jobs.py), with AWX's OpenStack credential instead of OS_CLOUD:
   provision.yml again (the no-op re-run: changed=0 for every host), an inventory update with the plugin, a job on
   the hosts it found, teardown.yml on the always edge (nothing with the demo's names is left: stacks, software
   configs, clusters, profiles, policies, receivers, the cluster nodes' Heat stacks, bare-metal allocations);
4. `make teardown` (teardown.yml) on nothing: changed=0 (after a failure above it is the cleanup).

Logs and durations: tests/output/integration/playbook-<step>.log, the AWX jobs' private data dirs and artifacts
under tests/output/integration/awx/.
"""

import pathlib
import re
import subprocess
import time

import openstack
import pytest

from awx_jobs import AWX_OUTPUT, InventoryUpdate, run_workflow
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


def _demo_names(items, attribute='name'):
    return sorted(getattr(item, attribute) or '' for item in items if (getattr(item, attribute) or '').startswith(PREFIX))


def leftovers(conn, node_stack_ids=()):
    """Everything with the demo's names that still exists, by kind (empty lists when nothing is left)."""
    found = {
        'stacks': _demo_names(conn.orchestration.stacks()),
        'software_configs': _demo_names(conn.orchestration.software_configs()),
        'clusters': _demo_names(conn.clustering.clusters()),
        'profiles': _demo_names(conn.clustering.profiles()),
        'policies': _demo_names(conn.clustering.policies()),
        'receivers': _demo_names(conn.clustering.receivers()),
        'allocations': _demo_names(conn.baremetal.allocations()),
    }
    live = {stack.id for stack in conn.orchestration.stacks()}
    found['cluster_node_stacks'] = sorted(set(node_stack_ids) & live)
    return found


@pytest.fixture()
def cloud(localcloud):
    conn = openstack.connect(cloud=localcloud['OS_CLOUD'], clustering_default_microversion='1.12')
    yield conn
    conn.close()


def test_provision_and_teardown(ansible_env, cloud, localcloud, awx_job, awx_credential, collections_path):
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

        # the same playbooks as AWX runs them: provision again (the no-op re-run), an inventory update with the
        # plugin, a job on its hosts, then teardown; all with AWX's devstack credential instead of OS_CLOUD
        results = awx_workflow(localcloud, awx_job, awx_credential, collections_path)
        torn_down = results[-1]
        assert torn_down.status == 'successful' and torn_down.rc == 0, torn_down.describe()
        assert list(torn_down.recap()) == ['localhost'] and torn_down.recap()['localhost']['changed'] > 0, torn_down.recap()
        left = leftovers(cloud, node_stack_ids)
        assert not any(left.values()), 'the teardown job left resources behind: %s' % left
        check_awx_results(results, bm_hosts=['%s-bm-0' % PREFIX, '%s-bm-1' % PREFIX])
    finally:
        rc, out, changed, dummy = run_playbook('teardown.yml', ansible_env, 'teardown')
    # `make teardown` after the teardown job: nothing to do (or, when a step above failed, the cleanup)
    assert rc == 0, 'teardown.yml failed:\n' + out[-6000:]
    left = leftovers(cloud, node_stack_ids)
    assert not any(left.values()), 'teardown left resources behind: %s' % left
    assert changed and all(count == 0 for count in changed.values()), (
        'teardown.yml after the teardown job changed something: %s\n%s' % (changed, out[-6000:]))


INVENTORY_SOURCE = """plugin: cloudrise.openstack.openstack
"""

CONFIGURE = """- name: Configure the provisioned hosts (the workflow's job after the inventory update)
  hosts: baremetal:cluster_nodes
  gather_facts: false
  tasks:
    - name: Each host comes with its node from the inventory source
      ansible.builtin.assert:
        that:
          - openstack_node_id | length > 0
          - ('baremetal' in group_names and openstack_provision_state == 'active')
            or ('cluster_nodes' in group_names and openstack_outputs is mapping)
        quiet: true
"""


def awx_workflow(localcloud, job, credential, collections_path):
    """provision.yml -> inventory update -> configure job (on the update's hosts), teardown.yml on the always edge:
    AWX's credential (one cloud ``devstack``, only OS_CLIENT_CONFIG_FILE) and the demo's values as extra vars."""
    extravars = {'demo_image_url': localcloud['LOCALCLOUD_IMAGE_URL'],
                 'demo_image_checksum': localcloud['LOCALCLOUD_IMAGE_CHECKSUM']}
    provision = job('provision', 'provision.yml', extravars=extravars)
    assert set(provision.envvars) == {'OS_CLIENT_CONFIG_FILE', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_NOCOLOR'}
    update = InventoryUpdate(AWX_OUTPUT, 'inventory', INVENTORY_SOURCE, credential, collections_path)

    def configure():
        return job('configure', 'configure.yml', project_files={'configure.yml': CONFIGURE},
                   inventory=update.result.inventory).run()

    # provision leaves the cloud to openstacksdk (the credential's only cloud); teardown names it, as a job template may
    teardown = job('teardown', 'teardown.yml', extravars={'provision_cloud': 'devstack'})
    results = run_workflow([provision.run, update.run, configure], always=[teardown.run])
    for result in results:
        print('AWX %s: %s, rc %s in %.1f s' % (result.name, result.status, result.rc, result.seconds))
    return results


def check_awx_results(results, bm_hosts):
    assert [r.name for r in results] == ['provision', 'inventory', 'configure', 'teardown'], [r.name for r in results]
    made, update, configured = results[:3]
    assert made.status == 'successful' and made.rc == 0, made.describe()
    recap = made.recap()
    nodes = sorted(h for h in recap if h.startswith('node-'))
    assert sorted(h for h in recap if h in bm_hosts) == bm_hosts and len(nodes) == 2, made.describe()
    assert all(r['changed'] == 0 and not r['failures'] and not r['dark'] for r in recap.values()), (
        'the provision job after make demo changed something: %s\n%s' % (recap, made.describe()))
    assert made.warnings() == [], made.warnings()
    summary = [e for e in made.events_of('runner_on_ok') if e['event_data'].get('task') == 'Summary of the environment']
    assert summary and "on cloud openstacksdk's default" in summary[0]['event_data']['res']['msg'][0], summary

    assert update.status == 'successful', update.describe()
    groups = update.groups()
    assert groups.get('baremetal') == bm_hosts and groups.get('cluster_nodes') == nodes, groups

    assert configured.status == 'successful' and configured.rc == 0, configured.describe()
    assert sorted(configured.recap()) == sorted(bm_hosts + nodes), configured.recap()
    assert not any(r['failures'] or r['dark'] for r in configured.recap().values()), configured.recap()
