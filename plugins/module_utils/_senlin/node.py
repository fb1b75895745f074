# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin nodes: the cluster_node module's ``DesiredNode``, ``read_node``, ``plan_node`` and ``apply_node``,
membership checks (min/max size), operations, and moving a node between clusters."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Plan
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import CloudModuleError, InvalidInput, ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import (
    Desired, diff_for_create, diff_for_delete, quote_value)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import create_object
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.health import HEAT_PROFILE

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None


def check_can_leave(cluster, node, verb):
    """A member may leave (be deleted or moved out) only when its cluster stays at or above min_size."""
    if not cluster:
        return
    size = cluster.get('desired_capacity')
    if size is None:
        size = len(cluster.get('nodes') or [])
    if size - 1 < (cluster.get('min_size') or 0):
        raise InvalidInput("Node '%s' cannot be %s: cluster '%s' would have %s node(s), below its min_size %s."
                           % (node.get('name'), verb, cluster.get('name'), size - 1, cluster.get('min_size')),
                           cluster=cluster.get('id'))


def check_can_join(cluster, node_name):
    """A node may join a cluster only when the cluster stays at or below max_size (-1 = no limit)."""
    max_size = cluster.get('max_size')
    size = cluster.get('desired_capacity')
    if size is None:
        size = len(cluster.get('nodes') or [])
    if max_size is not None and max_size >= 0 and size + 1 > max_size:
        raise InvalidInput("Node '%s' cannot join cluster '%s': it would have %s node(s), above its max_size %s."
                           % (node_name, cluster.get('name'), size + 1, max_size), cluster=cluster.get('id'))


def check_operation(client, node, operation):
    """Fail before any write when the node's profile type does not offer ``operation``."""
    profile = client.get('profile', node.get('profile_id')) if node.get('profile_id') else None
    if not profile:
        return
    ptype = profile.get('type')
    ops = client.get_json('/profile-types/%s/ops' % quote_value(ptype)).get('operations') or {}
    if operation not in ops:
        raise InvalidInput("Operation '%s' is not offered by profile type %s (it offers: %s)."
                           % (operation, ptype, ', '.join(sorted(ops)) or 'none'))


HEAT_MEMBERSHIP_HINT = (
    " Senlin 16 with os.heat.stack nodes: joining or leaving a cluster rewrites the stack's tags with a Heat "
    "stack update that carries no template, and Heat rejects it (400 \"No template specified\"), so such a node "
    "cannot be moved; create it in its cluster instead (cluster option when the node is created).")


def change_membership(client, node, cluster_id, body, what, heat):
    """Add a node to / remove it from a cluster and check that it really did (Senlin 16 may report a
    CLUSTER_ADD_NODES as SUCCEEDED although its NODE_JOIN failed)."""
    want = cluster_id if 'add_nodes' in body else ''
    hint = HEAT_MEMBERSHIP_HINT if heat else ''
    try:
        client.write('POST', '/clusters/%s/actions' % cluster_id, body, what, cluster_id)
    except ResourceFailed as exc:
        raise ResourceFailed(exc.msg + hint + restore_capacity(client, cluster_id), **exc.details)
    if client.wait:
        after = client.get('node', node['id']) or {}
        if (after.get('cluster_id') or '') != want:
            raise ResourceFailed('%s reported success but node %s is %s.%s%s'
                                 % (what, node.get('name'), 'in cluster %s' % after.get('cluster_id')
                                    if after.get('cluster_id') else 'in no cluster', hint,
                                    restore_capacity(client, cluster_id)), node=node['id'])


def restore_capacity(client, cluster_id):
    """After a failed add/del of nodes Senlin 16 keeps the cluster's new desired_capacity although the nodes
    did not move: set it back to the number of member nodes (a resize that creates/deletes nothing).
    Returns a sentence for the error message ('' when there was nothing to repair)."""
    cluster = client.get('cluster', cluster_id)
    if not cluster:
        return ''
    count = len(cluster.get('nodes') or [])
    desired = cluster.get('desired_capacity')
    if desired == count:
        return ''
    left = ' Senlin left cluster %s with desired_capacity %s for %s node(s)' % (cluster.get('name'), desired, count)
    lo, hi = cluster.get('min_size') or 0, cluster.get('max_size')
    if count < lo or (hi is not None and hi >= 0 and count > hi):
        return left + '.'
    try:
        client.write('POST', '/clusters/%s/actions' % cluster_id,
                     {'resize': {'adjustment_type': 'EXACT_CAPACITY', 'number': count}}, 'CLUSTER_RESIZE', cluster_id)
    except (CloudModuleError, sdk_exceptions.HttpException) as exc:
        return left + '; setting it back to %s failed: %s' % (count, getattr(exc, 'msg', None) or exc)
    return left + '; the module set it back to %s.' % count


def node_profile_type(client, node):
    profile = client.get('profile', node.get('profile_id')) if node.get('profile_id') else None
    return (profile or {}).get('type') or ''


# -- the cluster_node module ---------------------------------------------------------------------------

class DesiredNode(Desired):
    """The node the user asked for (the cluster_node module's options)."""

    OPTIONS = ('name', 'state', 'profile', 'cluster', 'role', 'metadata', 'check', 'recover', 'recover_params',
               'operation', 'operation_params')

    def cluster_id(self, node, cluster):
        """The id of the cluster the node is to be in ('' for none): ``cluster`` (resolved), none when the option is
        set empty, else the node's current one."""
        if cluster:
            return cluster['id']
        return '' if self.cluster is not None else (node or {}).get('cluster_id') or ''


class NodeState(object):
    """What ``read_node`` found: the node (or None), the profile and cluster named (or None), and the cluster
    the node is in when it leaves it (or None)."""

    def __init__(self, node, profile=None, cluster=None, old_cluster=None):
        self.node, self.profile, self.cluster, self.old_cluster = node, profile, cluster, old_cluster


class NodePlan(Plan):
    """A node change: ``delete``; or ``create`` (body); or ``update`` (PATCH body) and a move from
    ``old_cluster_id`` to ``new_cluster_id``; then the node ``actions`` ([(path, body, action name)])."""

    def __init__(self):
        super(NodePlan, self).__init__()
        self.delete = False
        self.create = None
        self.update = {}
        self.move = False
        self.old_cluster_id = self.new_cluster_id = ''
        self.actions = []


def read_node(client, desired):
    """The node, the profile and cluster named (each must exist), the cluster it leaves, and a check that the
    node's profile type offers the operation asked for: every check that needs a request, before any write."""
    node = client.find('node', desired.name)
    if desired.state == 'absent':
        leaving = client.get('cluster', node['cluster_id']) if node and node.get('cluster_id') else None
        return NodeState(node, old_cluster=leaving)
    profile = client.find('profile', desired.profile, required=True) if desired.profile else None
    cluster = client.find('cluster', desired.cluster, required=True) if desired.cluster else None
    old_cluster = None
    if node is not None:
        old_cluster_id = node.get('cluster_id') or ''
        if old_cluster_id and desired.cluster_id(node, cluster) != old_cluster_id:
            old_cluster = client.get('cluster', old_cluster_id)
    if desired.operation:
        profile_id = profile['id'] if profile else (node or {}).get('profile_id')
        check_operation(client, dict(profile_id=profile_id), desired.operation)
    return NodeState(node, profile, cluster, old_cluster)


def plan_node(current, desired):
    """Plan a node change from a NodeState (pure: the checks of sizes and options raise InvalidInput)."""
    plan = NodePlan()
    node = current.node
    if desired.state == 'absent':
        if node:
            if node.get('cluster_id'):
                check_can_leave(current.old_cluster, node, 'deleted')
            plan.delete = True
            plan.diff.merge(diff_for_delete(node))
        return plan
    if node is None:
        _plan_node_create(plan, current, desired)
    else:
        _plan_node_update(plan, current, desired)
    for flag, path, body, name in (
            ('check', 'actions', {'check': {}}, 'NODE_CHECK'),
            ('recover', 'actions', {'recover': desired.recover_params or {}}, 'NODE_RECOVER'),
            ('operation', 'ops', {desired.operation: desired.operation_params or {}}, 'NODE_OPERATION')):
        if getattr(desired, flag):
            plan.diff.add(flag, None, getattr(desired, flag))
            plan.actions.append((path, body, name))
    return plan


def _plan_node_create(plan, current, desired):
    profile, cluster = current.profile, current.cluster
    if profile is None:
        raise InvalidInput("Node '%s' does not exist; profile is needed to create it." % desired.name)
    if cluster is not None:
        check_can_join(cluster, desired.name)
    body = dict(name=desired.name, profile_id=profile['id'])
    for key in ('role', 'metadata'):
        if getattr(desired, key) is not None:
            body[key] = getattr(desired, key)
    if cluster is not None:
        body['cluster_id'] = cluster['id']
    plan.diff.merge(diff_for_create(dict(body, profile=profile['name'], cluster=cluster['name'] if cluster else None)))
    plan.create = body
    plan.predicted = dict(body, status='ACTIVE')


def _plan_node_update(plan, current, desired):
    node, profile, cluster = current.node, current.profile, current.cluster
    if profile is not None and profile['id'] != node.get('profile_id'):
        plan.update['profile_id'] = profile['id']
        plan.diff.add('profile', node.get('profile_name') or node.get('profile_id'), profile['name'])
    if plan.diff.compare('role', desired.role, node.get('role')):
        plan.update['role'] = desired.role
    if plan.diff.compare('metadata', desired.metadata, node.get('metadata'), 'dict'):
        plan.update['metadata'] = desired.metadata
    plan.old_cluster_id = node.get('cluster_id') or ''
    plan.new_cluster_id = desired.cluster_id(node, cluster)
    plan.move = plan.new_cluster_id != plan.old_cluster_id
    if plan.move:
        if plan.old_cluster_id:
            check_can_leave(current.old_cluster, node, 'moved out')
        if cluster is not None:
            check_can_join(cluster, node['name'])
        plan.diff.add('cluster', (current.old_cluster or {}).get('name') or plan.old_cluster_id or None,
                      cluster['name'] if cluster else None)
    plan.predicted = dict(node, **plan.update)
    if plan.move:
        plan.predicted['cluster_id'] = plan.new_cluster_id


def apply_node(client, current, plan):
    """Carry out ``plan`` (never in check mode). Returns the node afterwards (None when deleted)."""
    node = current.node
    if plan.delete:
        client.write('DELETE', '/nodes/%s' % node['id'], None, 'NODE_DELETE', node['id'])
        return None
    if plan.create is not None:
        node = _create_node(client, plan.create)
    elif plan.update or plan.move:
        node = _update_node(client, current, plan)
    for path, body, name in plan.actions:
        client.write('POST', '/nodes/%s/%s' % (node['id'], path), body, name, node['id'])
    if plan.actions:
        node = client.get('node', node['id'])
    return node


def _create_node(client, body):
    # Senlin renames a node made in a cluster: a twin check by name is only a first look here
    node, record = create_object(client, 'node', body, 'NODE_CREATE', settle=False)
    if record and client.wait:
        client.wait_record(record)
    if node.get('name') != body['name']:
        # Senlin names a node created in a cluster after the cluster's node.name.format
        client.write('PATCH', '/nodes/%s' % node['id'], {'node': {'name': body['name']}}, 'NODE_UPDATE', node['id'])
    return client.get('node', node['id']) if client.wait else node


def _update_node(client, current, plan):
    node = current.node
    if plan.update:
        client.write('PATCH', '/nodes/%s' % node['id'], {'node': plan.update}, 'NODE_UPDATE', node['id'])
    heat = plan.move and str((current.profile or {}).get('type') or node_profile_type(client, node)).startswith(HEAT_PROFILE)
    if plan.move and plan.old_cluster_id:
        change_membership(client, node, plan.old_cluster_id, {'del_nodes': {'nodes': [node['id']]}},
                          'CLUSTER_DEL_NODES', heat)
    if plan.move and plan.new_cluster_id:
        change_membership(client, node, plan.new_cluster_id, {'add_nodes': {'nodes': [node['id']]}},
                          'CLUSTER_ADD_NODES', heat)
    return client.get('node', node['id'])
