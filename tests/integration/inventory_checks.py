"""The inventory plugin cloudrise.openstack.openstack against the local cloud, after the demo's first provision run.

``check_inventory(env, conn)`` runs ``ansible-inventory --list`` and ``--graph`` (as a user or an AWX inventory
update does) on a config file and asserts that the demo's bare-metal instances, its cluster nodes (with their stacks'
outputs) and the hosts a Heat stack lists in an output are there, with the add_host variable names, the groups, a
keyed group and a composed variable (``--graph`` reads the cache ``--list`` wrote); then that bad credentials fail
the inventory. It makes one small stack of its
own (hosts in an output) and puts a key in the ``extra`` of one demo node, and removes both.
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREFIX = 'cloudrise-demo'          # demo_prefix in playbooks/vars/demo.yml
STACK = 'cloudrise-inventory-hosts'
SSH_ADDRESS = '192.0.2.10'
HOSTS_TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'resources': {'marker': {'type': 'OS::Heat::None'}},
    'outputs': {'hosts': {'value': [
        {'name': 'cloudrise-inv-dns-0', 'ansible_host': '192.0.2.53', 'role': 'dns'},
        'cloudrise-inv-dns-1',
    ]}},
}


def unwrap(value):
    """ansible-inventory 2.19 prints variables as {"__ansible_unsafe": value}: the plain value."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((k, unwrap(v)) for k, v in value.items())
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def ansible_inventory(env, path, *args):
    """(exit code, stdout, stderr, seconds) of ``ansible-inventory -i path *args``."""
    started = time.monotonic()
    proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-inventory'), '-i', str(path)] + list(args),
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


def make_hosts_stack(conn):
    stack = conn.orchestration.create_stack(name=STACK, template=HOSTS_TEMPLATE, tags='cloudrise-inventory')
    stack = conn.orchestration.wait_for_status(stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], interval=0.5,
                                               wait=120)
    return stack


def delete_hosts_stack(conn):
    stack = conn.orchestration.find_stack(STACK)
    if stack is not None:
        conn.orchestration.delete_stack(stack)
        conn.orchestration.wait_for_delete(stack, interval=0.5, wait=120)


CONFIG = '''plugin: cloudrise.openstack.openstack
ansible_host_from: [extra.ssh_address, name]
sources:
  stack_outputs:
    - output: hosts
      stacks: [%(stack)s]
      group: dns
    - output: hosts
      tags: [cloudrise-inventory]
      group: tagged
keyed_groups:
  - key: openstack_resource_class
    prefix: rc
groups:
  web_nodes: openstack_cluster is defined and openstack_cluster == '%(prefix)s-web'
compose:
  web_token_length: openstack_outputs.token_length
  node_label: openstack_node_name | default(openstack_node_id) | upper
strict: false
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: %(cache)s
'''


def check_inventory(env, conn):
    """All the assertions; returns {step: seconds} for the log."""
    timings = {}
    bm_hosts = ['%s-bm-0' % PREFIX, '%s-bm-1' % PREFIX]
    allocations = dict((a.name, a) for a in conn.baremetal.allocations() if a.name in bm_hosts)
    node0 = conn.baremetal.get_node(allocations[bm_hosts[0]].node_id)
    node1 = conn.baremetal.get_node(allocations[bm_hosts[1]].node_id)
    cluster = [c for c in conn.clustering.clusters() if c.name == '%s-web' % PREFIX][0]
    cluster_nodes = dict((n.name, n) for n in conn.clustering.nodes(cluster_id=cluster.id))
    started = time.monotonic()
    make_hosts_stack(conn)
    conn.baremetal.patch_node(node0, [{'op': 'add', 'path': '/extra/ssh_address', 'value': SSH_ADDRESS}])
    timings['setup'] = time.monotonic() - started
    try:
        with tempfile.TemporaryDirectory(prefix='cloudrise-inventory-') as tmp:
            path = Path(tmp) / 'cloudrise.openstack.yml'
            config = CONFIG % dict(stack=STACK, prefix=PREFIX, cache=Path(tmp) / 'cache')
            path.write_text(config, encoding='utf-8')
            env = dict(env, ANSIBLE_INVENTORY_UNPARSED_FAILED='true')   # a source that fails is an error, not a warning
            rc, out, err, timings['list'] = ansible_inventory(env, path, '--list')
            assert rc == 0, 'ansible-inventory --list failed:\n%s\n%s' % (out[-3000:], err[-3000:])
            inventory = unwrap(json.loads(out))
            host_vars = inventory['_meta']['hostvars']
            groups = dict((name, sorted(g.get('hosts', []))) for name, g in inventory.items() if name != '_meta')

            # bare metal: by hostname, with the add_host variable names of provision.yml
            assert groups['baremetal'] == bm_hosts, groups
            assert groups['rc_baremetal'] == bm_hosts, groups        # keyed group
            for host, node in zip(bm_hosts, (node0, node1)):
                hv = host_vars[host]
                assert hv['openstack_node_id'] == node.id and hv['openstack_node_name'] == node.name, hv
                assert hv['openstack_provision_state'] == 'active' and hv['openstack_instance_state'] == 'active', hv
                assert hv['openstack_resource_class'] == node.resource_class == 'baremetal', hv
                assert hv['openstack_traits'] == sorted(node.traits or []), hv
                assert hv['openstack_allocation_id'] == allocations[host].id, hv
                assert hv['node_label'] == node.name.upper(), hv   # compose
                assert 'web_token_length' not in hv, hv              # strict: false skips what fails
            # ansible_host: the node's extra key, else (no Neutron here) the node's name
            assert host_vars[bm_hosts[0]]['ansible_host'] == SSH_ADDRESS
            assert host_vars[bm_hosts[1]]['ansible_host'] == node1.name

            # cluster nodes: groups cluster_nodes and cluster_<name>, outputs of their stacks from cluster collect
            assert groups['cluster_nodes'] == sorted(cluster_nodes), groups
            assert groups['cluster_%s_web' % PREFIX.replace('-', '_')] == sorted(cluster_nodes), groups
            assert groups['web_nodes'] == sorted(cluster_nodes), groups      # a conditional group
            for name, node in cluster_nodes.items():
                hv = host_vars[name]
                assert hv['openstack_node_id'] == node.id and hv['openstack_physical_id'] == node.physical_id, hv
                assert hv['openstack_cluster'] == cluster.name and hv['openstack_cluster_id'] == cluster.id, hv
                assert hv['openstack_status'] == 'ACTIVE', hv
                assert hv['openstack_outputs'] == {'token_length': 12}, hv
                assert hv['web_token_length'] == 12, hv
                assert hv['node_label'] == node.id.upper(), hv

            # stack output hosts: named stack (group dns) and by tag (group tagged)
            dns = ['cloudrise-inv-dns-0', 'cloudrise-inv-dns-1']
            assert groups['dns'] == groups['tagged'] == groups['stack_hosts'] == dns, groups
            assert groups['stack_cloudrise_inventory_hosts'] == dns, groups
            hv = host_vars['cloudrise-inv-dns-0']
            assert hv['ansible_host'] == '192.0.2.53' and hv['role'] == 'dns', hv
            assert hv['openstack_stack'] == STACK and hv['openstack_stack_output'] == 'hosts', hv
            assert 'ansible_host' not in host_vars['cloudrise-inv-dns-1']

            # --graph from the cache --list filled: the same file with bad credentials still gives the inventory
            path.write_text(config + 'auth:\n  password: not-the-password\n', encoding='utf-8')
            rc, out, err, timings['graph_from_cache'] = ansible_inventory(env, path, '--graph')
            assert rc == 0, 'ansible-inventory --graph failed:\n%s\n%s' % (out[-3000:], err[-3000:])
            for line in ['@baremetal:', '|--%s' % bm_hosts[0], '@cluster_nodes:', '@dns:', '|--cloudrise-inv-dns-1']:
                assert line in out, 'not in the graph: %s\n%s' % (line, out)

            # bad credentials fail the inventory with the reason (AWX's inventory updates fail on an unparsed
            # source: ANSIBLE_INVENTORY_UNPARSED_FAILED)
            bad = Path(tmp) / 'bad.cloudrise.yml'
            bad.write_text('plugin: cloudrise.openstack.openstack\nauth:\n  password: not-the-password\n', encoding='utf-8')
            rc, out, err, timings['auth_failure'] = ansible_inventory(env, bad, '--list')
            assert rc != 0, 'bad credentials gave an inventory:\n%s' % out[-2000:]
            assert 'cloudrise.openstack.openstack inventory: Authentication failed' in err, err[-3000:]
    finally:
        conn.baremetal.patch_node(node0, [{'op': 'remove', 'path': '/extra/ssh_address'}])
        delete_hosts_stack(conn)
    print('inventory checks: %s' % ', '.join('%s %.1f s' % item for item in timings.items()))
    return timings
