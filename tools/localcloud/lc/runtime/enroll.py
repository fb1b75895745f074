"""Enroll fake-hardware nodes in Ironic as the project admin of cloud 'localcloud'.

The project admin must enroll them: with Ironic's default policy new nodes get the
caller's project as owner, and nodes without an owner are invisible to a project admin.

usage: python -m lc.runtime.enroll COUNT   (OS_CLIENT_CONFIG_FILE, OS_CLOUD from the tool)
Makes sure nodes lc-node-0 .. lc-node-<COUNT-1> exist and that new ones are `available`
(manage -> power off -> provide; fake power starts as None, which no allocation accepts).
Prints every lc-node-* as JSON.
"""

import json
import sys
from concurrent import futures

import openstack

PREFIX = 'lc-node-'
TIMEOUT = 120


def node_spec(index):
    """Deterministic traits/capabilities so tests can select nodes."""
    even = index % 2 == 0
    return {
        'name': f'{PREFIX}{index}',
        'driver': 'fake-hardware',
        'resource_class': 'baremetal',
        'properties': {
            'cpus': 4 if even else 8,
            'memory_mb': 8192 if even else 16384,
            'local_gb': 100,
            'cpu_arch': 'x86_64',
            'capabilities': 'boot_mode:uefi' if even else 'boot_mode:bios',
        },
        'traits': ['CUSTOM_GOLD'] if even else ['CUSTOM_SILVER'],
    }


def make_available(bm, spec):
    traits = spec.pop('traits')
    node = bm.find_node(spec['name'])
    if node is None:
        node = bm.create_node(**spec)
        bm.set_node_traits(node, traits)
    node = bm.get_node(node.id)
    if node.provision_state == 'enroll':
        node = bm.set_node_provision_state(node, 'manage', wait=True, timeout=TIMEOUT)
    if node.power_state is None:
        bm.set_node_power_state(node, 'power off', wait=True, timeout=TIMEOUT)
    if node.provision_state == 'manageable':
        bm.set_node_provision_state(node, 'provide', wait=True, timeout=TIMEOUT)
    return node.id


def describe(node):
    return {
        'name': node.name,
        'uuid': node.id,
        'resource_class': node.resource_class,
        'traits': sorted(node.traits or []),
        'capabilities': (node.properties or {}).get('capabilities', ''),
        'properties': node.properties,
        'provision_state': node.provision_state,
        'power_state': node.power_state,
        'owner': node.owner,
    }


def main():
    count = int(sys.argv[1])
    conn = openstack.connect()
    bm = conn.baremetal
    specs = [node_spec(i) for i in range(count)]
    with futures.ThreadPoolExecutor(max(1, min(8, count))) as pool:
        list(pool.map(lambda spec: make_available(bm, spec), specs))
    nodes = [describe(n) for n in bm.nodes(details=True)
             if (n.name or '').startswith(PREFIX)]
    nodes.sort(key=lambda n: int(n['name'][len(PREFIX):]))
    print(json.dumps(nodes))


if __name__ == '__main__':
    main()
