# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin nodes: membership checks (min/max size), operations, and moving a node between clusters."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import CloudModuleError, InvalidInput, ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import quote_value

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
