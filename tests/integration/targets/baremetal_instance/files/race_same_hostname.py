"""Test helper: two runs deploying one hostname at once, against the real Ironic, interleaved where the race is.

usage: race_same_hostname.py HOSTNAME IMAGE_URL CHECKSUM

Both runs are the collection's bare-metal package (plan, then apply) with a connection each, in one process so
that the order is exact (two ansible-playbook processes cannot be timed to meet there):
  1. HOSTNAME is reserved (state=reserved), as TripleO does before deploying;
  2. run B plans state=present: it sees the reservation and will deploy it;
  3. just before B's provision request, run A deploys HOSTNAME (to active);
  4. Ironic refuses B's provision request; B's clean-up must leave A's instance alone.
Prints JSON: B's error (msg, cleanup_skipped) and the node afterwards (provision state, allocation, display_name).
"""
import json
import os
import sys

import openstack

sys.path.insert(0, os.environ['ANSIBLE_COLLECTIONS_PATH'].split(os.pathsep)[0])

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import plan as bm_plan  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import spec as bm_spec  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.api import BaremetalApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.executor import apply_instances  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import CloudModuleError  # noqa: E402


def planned(api, hostname, image, state):
    instances = [dict(hostname=hostname, image=image)] if state != 'reserved' else [dict(hostname=hostname)]
    desired = bm_spec.DesiredInstances(bm_spec.normalize_instances(instances, state), state, True, 120, 0, True)
    api.snapshot()
    return bm_plan.plan_instances(api, desired)


def main():
    hostname, image = sys.argv[1], dict(href=sys.argv[2], checksum=sys.argv[3])
    run_a, run_b = BaremetalApi(openstack.connect()), BaremetalApi(openstack.connect())
    apply_instances(run_a, planned(run_a, hostname, image, 'reserved'))
    plan_b = planned(run_b, hostname, image, 'present')
    original, pending = run_b.set_provision_state, [True]

    def provision(node_id, target, config_drive=None):
        if pending:
            pending.pop()
            apply_instances(run_a, planned(run_a, hostname, image, 'present'))
        return original(node_id, target, config_drive=config_drive)
    run_b.set_provision_state = provision
    out = dict(failed=False)
    try:
        apply_instances(run_b, plan_b)
    except CloudModuleError as exc:
        out = dict(failed=True, msg=exc.msg, cleanup_skipped=exc.details.get('cleanup_skipped'))
    node = run_a.get_node(plan_b.jobs[0].current['node'].id)
    out['node'] = dict(name=node.name, provision_state=node.provision_state, allocation_id=node.allocation_id,
                       display_name=(node.instance_info or {}).get('display_name'))
    out['allocations'] = [a.name for a in run_a.bm.allocations() if a.name == hostname]
    print(json.dumps(out))


if __name__ == '__main__':
    main()
