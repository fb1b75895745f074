"""The same queries as the cluster_resource_info target's info modules, answered by openstacksdk.

Usage: sdk_query.py <cloud> <cluster id> <profile name> <policy name>
Prints a JSON object: query name -> the key fields of what conn.clustering returns, to compare with the modules.
"""

import json
import sys

import openstack


def fields(items, *keys):
    return [dict((k, getattr(i, k)) for k in keys) for i in items]


def main():
    cloud, cluster_id, profile, policy = sys.argv[1:5]
    conn = openstack.connect(cloud=cloud, clustering_default_microversion='1.12')
    cl = conn.clustering
    out = {
        'profiles': fields(cl.profiles(name=profile), 'id', 'name', 'type'),
        'profiles_by_type': sorted(p.id for p in cl.profiles(type='os.heat.stack-1.0')),
        'policies': fields(cl.policies(name=policy), 'id', 'name', 'type'),
        'bindings': [dict(policy_id=b.policy_id, enabled=b.is_enabled) for b in cl.cluster_policies(cluster_id)],
        'receivers': fields(cl.receivers(cluster_id=cluster_id, sort='name'), 'id', 'name', 'type', 'action'),
        'actions': fields(cl.actions(target_id=cluster_id, sort='created_at:desc'), 'id', 'action', 'status'),
        'failed_actions': fields(cl.actions(target_id=cluster_id, status='FAILED', action='CLUSTER_SCALE_OUT'),
                                 'id', 'status_reason'),
        'events': [e.id for e in cl.events(cluster_id=cluster_id, sort='timestamp:desc')],
        'error_events': [e.id for e in cl.events(cluster_id=cluster_id, level='ERROR', sort='timestamp:desc')],
        'profile_types': sorted('%s-%s' % (t.name, ','.join(t.support_status)) for t in cl.profile_types()),
        'policy_types': sorted('%s-%s' % (t.name, ','.join(t.support_status)) for t in cl.policy_types()),
        'heat_schema': sorted(cl.get_profile_type('os.heat.stack-1.0').schema),
        'heat_operations': sorted(cl.list_profile_type_operations('os.heat.stack-1.0')['operations']),
        'deletion_schema': sorted(cl.get_policy_type('senlin.policy.deletion-1.1').schema),
    }
    print(json.dumps(out))


if __name__ == '__main__':
    main()
