"""Test helper: read (and for maintenance, set) Ironic state directly with openstacksdk, as JSON.

usage: ironic_nodes.py free                      -> names of free nodes (available, no allocation, no maintenance)
       ironic_nodes.py show NODE                 -> provision_state, allocation, instance_info keys of a node
       ironic_nodes.py allocations PREFIX        -> allocations whose name starts with PREFIX
       ironic_nodes.py hostnames PREFIX          -> nodes whose instance_info.display_name starts with PREFIX
       ironic_nodes.py instances PREFIX          -> [{hostname}] of every allocation/display_name with PREFIX
       ironic_nodes.py maintenance NODE on|off   -> set/unset maintenance
"""
import json
import sys

import openstack


def main():
    bm = openstack.connect().baremetal
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'free':
        out = sorted(n.name for n in bm.nodes(details=True)
                     if n.provision_state == 'available' and not n.allocation_id and not n.instance_id
                     and not n.is_maintenance and n.resource_class == 'baremetal')
    elif cmd == 'show':
        n = bm.get_node(args[0])
        info = n.instance_info or {}
        out = dict(name=n.name, id=n.id, provision_state=n.provision_state, allocation_id=n.allocation_id,
                   instance_id=n.instance_id, maintenance=n.is_maintenance, traits=sorted(n.traits or []),
                   instance_info=dict((k, v) for k, v in info.items() if k != 'configdrive'),
                   has_configdrive='configdrive' in info)
    elif cmd == 'allocations':
        out = sorted((dict(name=a.name, state=a.state, node_id=a.node_id) for a in bm.allocations()
                      if (a.name or '').startswith(args[0])), key=lambda a: a['name'])
    elif cmd == 'hostnames':
        out = sorted(n.name for n in bm.nodes(details=True)
                     if str((n.instance_info or {}).get('display_name', '')).startswith(args[0]))
    elif cmd == 'instances':
        names = set(a.name for a in bm.allocations() if (a.name or '').startswith(args[0]))
        names.update(str((n.instance_info or {}).get('display_name')) for n in bm.nodes(details=True)
                     if str((n.instance_info or {}).get('display_name', '')).startswith(args[0]))
        out = [dict(hostname=name) for name in sorted(names)]
    elif cmd == 'maintenance':
        if args[1] == 'on':
            bm.set_node_maintenance(args[0], reason='%s test' % args[0])
        else:
            bm.unset_node_maintenance(args[0])
        out = bm.get_node(args[0]).is_maintenance
    else:
        raise SystemExit('unknown command %s' % cmd)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
