# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster module's actions beyond create/update/resize: Senlin's relative resize computed as Senlin computes
it (``relative_capacity``), cluster operations (``POST /clusters/{id}/ops``), ``replace_nodes`` and the check before
a delete (``check_deletable``, ``force``). The lookups (``read_cluster_ops``) write nothing; the apply functions
are called only outside check mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.node import (
    HEAT_MEMBERSHIP_HINT, check_operation, node_profile_type)

EXACT_CAPACITY = 'EXACT_CAPACITY'
CHANGE_IN_CAPACITY = 'CHANGE_IN_CAPACITY'
CHANGE_IN_PERCENTAGE = 'CHANGE_IN_PERCENTAGE'
ADJUSTMENT_TYPES = (EXACT_CAPACITY, CHANGE_IN_CAPACITY, CHANGE_IN_PERCENTAGE)
RELATIVE = (CHANGE_IN_CAPACITY, CHANGE_IN_PERCENTAGE)
# Senlin refuses to delete a cluster in these states unless forced (service.py cluster_delete)
DELETE_BUSY = ('CREATING', 'UPDATING', 'DELETING', 'RECOVERING')
# the node filters Senlin accepts for a cluster operation (service.py cluster_op)
OPERATION_FILTERS = ('name', 'profile_id', 'status', 'role')


# -- relative resize: Senlin's own arithmetic (senlin/common/scaleutils.py) --------------------------

def check_adjustment(adjustment_type, number, min_step):
    """The checks of the resize options that need no request (Senlin's API checks and the module's rules).
    Returns ``number`` as Senlin takes it: an int for the capacity types, a float for a percentage."""
    if adjustment_type is None:
        if min_step is not None:
            raise InvalidInput('min_step is only used with adjustment_type=CHANGE_IN_PERCENTAGE.')
        return number
    if adjustment_type not in ADJUSTMENT_TYPES:
        raise InvalidInput('adjustment_type must be one of %s (got %s).' % (', '.join(ADJUSTMENT_TYPES), adjustment_type))
    if number is None:
        raise InvalidInput('Missing number value for size adjustment (adjustment_type=%s).' % adjustment_type)
    if min_step is not None and adjustment_type != CHANGE_IN_PERCENTAGE:
        raise InvalidInput('min_step is only used with adjustment_type=CHANGE_IN_PERCENTAGE (got adjustment_type=%s).'
                           % adjustment_type)
    if min_step is not None and min_step < 0:
        raise InvalidInput('min_step must be a non-negative integer (got %s).' % min_step)
    if adjustment_type == CHANGE_IN_PERCENTAGE:
        return float(number)
    if float(number) != int(number):
        raise InvalidInput('number must be a whole number for adjustment_type=%s (got %s); only '
                           'CHANGE_IN_PERCENTAGE takes a fraction.' % (adjustment_type, number))
    number = int(number)
    if adjustment_type == EXACT_CAPACITY and number < 0:
        raise InvalidInput("The 'number' must be non-negative integer for adjustment type '%s' (got %s)."
                           % (adjustment_type, number))
    return number


def calculate_desired(current, adj_type, number, min_step):
    """The new capacity as Senlin computes it (scaleutils.calculate_desired)."""
    if adj_type == EXACT_CAPACITY:
        return number
    if adj_type == CHANGE_IN_CAPACITY:
        return current + number
    delta = (number * current) / 100.0
    if delta > 0.0:
        rounded = int(math.ceil(delta) if math.fabs(delta) < 1.0 else math.floor(delta))
    else:
        rounded = int(math.floor(delta) if math.fabs(delta) < 1.0 else math.ceil(delta))
    if min_step is not None and min_step > abs(rounded):
        return current + (min_step if rounded > 0 else -min_step)
    return current + rounded


def truncate_desired(cluster, desired, min_size, max_size):
    """``strict=false``: the capacity moved into the bounds as Senlin does (scaleutils.truncate_desired)."""
    if min_size is not None and desired < min_size:
        desired = min_size
    if min_size is None and desired < cluster['min_size']:
        desired = cluster['min_size']
    if max_size is not None and max_size > 0 and desired > max_size:
        desired = max_size
    if max_size is None and desired > cluster['max_size'] and cluster['max_size'] > 0:
        desired = cluster['max_size']
    return desired


def check_size_params(cluster, desired, min_size, max_size, strict):
    """Senlin's message for a capacity out of bounds, or None (scaleutils.check_size_params, without the cloud's
    max_nodes_per_cluster, which Senlin checks itself before any write)."""
    if min_size is not None and desired < min_size:
        return 'The target capacity (%s) is less than the specified min_size (%s).' % (desired, min_size)
    if min_size is None and desired < cluster['min_size'] and strict:
        return "The target capacity (%s) is less than the cluster's min_size (%s)." % (desired, cluster['min_size'])
    if max_size is not None and max_size >= 0 and desired > max_size:
        return 'The target capacity (%s) is greater than the specified max_size (%s).' % (desired, max_size)
    if max_size is None and cluster['max_size'] >= 0 and desired > cluster['max_size'] and strict:
        return "The target capacity (%s) is greater than the cluster's max_size (%s)." % (desired, cluster['max_size'])
    return None


def relative_capacity(cluster, desired):
    """The capacity Senlin's resize will give ``cluster`` for a relative ``adjustment_type``; InvalidInput (Senlin's
    message) when Senlin would refuse it.

    Senlin starts from the number of member nodes: the API checks the result against the bounds with that
    number, then the action computes again from it (from ``desired_capacity`` when the cluster has no node),
    moves the result into the bounds when ``strict`` is false and checks again."""
    sizes = dict((key, cluster.get(key)) for key in ('min_size', 'max_size'))
    sizes['min_size'] = sizes['min_size'] or 0
    sizes['max_size'] = -1 if sizes['max_size'] is None else sizes['max_size']
    strict = desired.strict is not False
    adj, number, min_step = desired.adjustment_type, desired.number, desired.min_step
    count = len(cluster.get('nodes') or [])
    start = count or cluster.get('desired_capacity') or 0
    if adj == CHANGE_IN_PERCENTAGE and number and not start:
        raise InvalidInput('CHANGE_IN_PERCENTAGE of a cluster with no node changes nothing (%s%% of 0 is 0, and '
                           'Senlin applies min_step as a decrease then): use CHANGE_IN_CAPACITY or desired_capacity.'
                           % number)
    for current, truncate in ((count, False), (start, not strict)):
        new = calculate_desired(current, adj, number, min_step)
        if truncate:
            new = truncate_desired(sizes, new, desired.min_size, desired.max_size)
        message = check_size_params(dict(sizes, desired_capacity=current), new, desired.min_size,
                                    desired.max_size, strict)
        if message:
            raise InvalidInput('%s (adjustment_type %s, number %s%s from %s node(s), strict %s; Senlin would refuse '
                               'the resize)' % (message.rstrip('.'), adj, number,
                                                ', min_step %s' % min_step if min_step is not None else '',
                                                current, strict))
    return new


def relative_resize_body(desired):
    """The resize body of a relative adjustment (min/max added by the caller)."""
    body = {'adjustment_type': desired.adjustment_type, 'number': desired.number}
    if desired.min_step is not None:
        body['min_step'] = desired.min_step
    if desired.strict is not None:
        body['strict'] = desired.strict
    return body


# -- reads before any write: the operation's nodes, the node replacements --------------------------

class ClusterOps(object):
    """What ``read_cluster_ops`` found: ``op_nodes`` (the ids of the nodes the operation runs on) and ``replace``
    ({old id: new id}: the replacements still to do) with ``names`` (id -> name, for the diff and messages)."""

    def __init__(self):
        self.op_nodes = []
        self.replace = {}
        self.names = {}
        self.heat = False


def read_cluster_ops(client, current, desired):
    """The checks of ``operation`` and ``replace_nodes`` that need a request (nothing is written)."""
    found = ClusterOps()
    if desired.state != 'present' or not (desired.operation or desired.replace_nodes):
        return found
    if current is None:
        raise InvalidInput("Cluster '%s' does not exist yet: %s needs an existing cluster (the nodes are checked "
                           "before any write); create the cluster first."
                           % (desired.name, 'operation' if desired.operation else 'replace_nodes'))
    nodes = client.list('node', cluster_id=current['id'])
    if desired.operation:
        check_operation(client, dict(profile_id=current.get('profile_id')), desired.operation)
        found.op_nodes = operation_nodes(nodes, desired.operation_filters, current)
    if desired.replace_nodes:
        profile = client.get('profile', current.get('profile_id')) or {}
        found.heat = str(profile.get('type') or '').startswith('os.heat.stack')
        _read_replacements(client, current, profile.get('type'), desired.replace_nodes, found)
    return found


def operation_nodes(nodes, filters, cluster):
    """The ids of the cluster's ``nodes`` that match ``filters`` as Senlin matches them (exact values, a list is
    any of); InvalidInput for an unknown filter or when no node matches (Senlin refuses both)."""
    filters = filters or {}
    unknown = sorted(set(filters) - set(OPERATION_FILTERS))
    if unknown:
        raise InvalidInput('operation_filters: unsupported key(s) %s (Senlin takes %s).'
                           % (', '.join(unknown), ', '.join(OPERATION_FILTERS)))

    def matches(node):
        for key, value in filters.items():
            wanted = value if isinstance(value, list) else [value]
            if node.get(key) not in wanted:
                return False
        return True

    ids = [node['id'] for node in nodes if matches(node)]
    if not ids:
        raise InvalidInput("No node of cluster '%s' matches operation_filters %s (the cluster's nodes: %s)."
                           % (cluster.get('name'), filters,
                              ', '.join('%s (%s)' % (n.get('name'), n.get('status')) for n in nodes) or 'none'))
    return ids


def _read_replacements(client, cluster, cluster_type, pairs, found):
    seen = {}
    for old_name, new_name in pairs.items():
        old = client.find('node', old_name, required=True)
        new = client.find('node', new_name, required=True)
        found.names[old['id']], found.names[new['id']] = old.get('name'), new.get('name')
        if new['id'] in seen:
            raise InvalidInput("replace_nodes: node '%s' replaces both '%s' and '%s'."
                               % (new_name, seen[new['id']], old_name))
        seen[new['id']] = old_name
        old_in, new_in = old.get('cluster_id') == cluster['id'], new.get('cluster_id') == cluster['id']
        if not old_in and new_in:
            continue    # done already
        if not old_in:
            raise InvalidInput("replace_nodes: node '%s' is not a member of cluster '%s'%s."
                               % (old_name, cluster.get('name'), ' (it is in cluster %s)' % old['cluster_id']
                                  if old.get('cluster_id') else ''))
        if new.get('cluster_id'):
            raise InvalidInput("replace_nodes: node '%s' (replacing '%s') is already a member of cluster %s; "
                               "a replacement must be in no cluster." % (new_name, old_name, new['cluster_id']))
        if new.get('status') != 'ACTIVE':
            raise InvalidInput("replace_nodes: node '%s' (replacing '%s') is %s, not ACTIVE%s."
                               % (new_name, old_name, new.get('status'),
                                  ': %s' % new['status_reason'] if new.get('status_reason') else ''))
        new_type = node_profile_type(client, new)
        if new_type != cluster_type:
            raise InvalidInput("replace_nodes: node '%s' has profile type %s, cluster '%s' has %s (they must match)."
                               % (new_name, new_type or 'unknown', cluster.get('name'), cluster_type))
        found.replace[old['id']] = new['id']


def plan_cluster_ops(plan, current, desired, found):
    """Add the replacements and the operation to the cluster's plan (pure)."""
    if found is None or desired.state != 'present':
        return plan
    if found.replace:
        plan.replace = dict(found.replace)
        plan.replace_heat = found.heat
        plan.diff.add('replace_nodes', None, dict((found.names[o], found.names[n]) for o, n in found.replace.items()))
        if plan.predicted is not None:
            plan.predicted = dict(plan.predicted, nodes=[found.replace.get(n, n)
                                                         for n in plan.predicted.get('nodes') or []])
    if desired.operation:
        plan.operation = {desired.operation: {'params': desired.operation_params or {},
                                              'filters': desired.operation_filters or {}}}
        plan.diff.add('operation', None, dict(name=desired.operation, nodes=len(found.op_nodes)))
    return plan


# -- writes --------------------------------------------------------------------------------------

def apply_replace(client, cluster_id, plan):
    """The ``replace_nodes`` action, then a check that each new node is a member and each old one is not (Senlin 16
    may fail, or report success, without moving them). A failure names each node with its status and reason."""
    try:
        client.write('POST', '/clusters/%s/actions' % cluster_id, {'replace_nodes': {'nodes': plan.replace}},
                     'CLUSTER_REPLACE_NODES', cluster_id)
    except ResourceFailed as exc:
        raise ResourceFailed(exc.msg + _replacement_states(client, cluster_id, plan, failed=True), **exc.details)
    if client.wait:
        state = _replacement_states(client, cluster_id, plan)
        if state:
            raise ResourceFailed('CLUSTER_REPLACE_NODES reported success but the nodes did not move.' + state,
                                 cluster=cluster_id)


def _replacement_states(client, cluster_id, plan, failed=False):
    """'' when every replacement is done; else each node not where it should be (or not ACTIVE), the hint for
    os.heat.stack nodes and what became of the cluster."""
    lines = []
    for old_id, new_id in plan.replace.items():
        for node_id, member in ((old_id, False), (new_id, True)):
            node = client.get('node', node_id) or {}
            is_member = node.get('cluster_id') == cluster_id
            if is_member != member or node.get('status') != 'ACTIVE':
                lines.append('node %s (%s) %s: %s%s%s' % (
                    node.get('name') or node_id, node_id, 'is still a member' if is_member else 'is in no cluster'
                    if not node.get('cluster_id') else 'is in cluster %s' % node['cluster_id'],
                    node.get('status') or 'gone', ': %s' % node['status_reason'] if node.get('status_reason') else '',
                    _failed_move(client, node_id) if failed else ''))
    if not lines and not failed:
        return ''
    cluster = client.get('cluster', cluster_id) or {}
    text = ' [%s]' % '; '.join(lines) if lines else ''
    text += ' Cluster %s: %s, desired_capacity %s, %s node(s).' % (
        cluster.get('name'), cluster.get('status'), cluster.get('desired_capacity'), len(cluster.get('nodes') or []))
    return text + (HEAT_MEMBERSHIP_HINT.replace('cannot be moved', 'cannot be replaced') if plan.replace_heat else '')


def _failed_move(client, node_id):
    """', NODE_JOIN failed: <reason>' for the node's newest join/leave action when it failed (Senlin 16 does not link
    them to the cluster action), else ''."""
    try:
        actions = client.get_json('/actions?target=%s&sort=created_at:desc&limit=5' % node_id).get('actions') or []
    except Exception:  # noqa: BLE001 - best effort while already failing
        return ''
    for action in actions:
        if action.get('action') in ('NODE_JOIN', 'NODE_LEAVE'):
            if action.get('status') in ('FAILED', 'CANCELLED'):
                return ', %s %s: %s' % (action['action'], action['status'], action.get('status_reason'))
            return ''
    return ''


def run_operation(client, cluster_id, operation):
    """``POST /clusters/{id}/ops`` (a CLUSTER_OPERATION action on the nodes its filters match), waited on."""
    client.write('POST', '/clusters/%s/ops' % cluster_id, operation, 'CLUSTER_OPERATION', cluster_id)


def check_deletable(cluster, force):
    """Senlin refuses (409) to delete a cluster busy with another action unless forced: say so before any write."""
    if cluster and not force and cluster.get('status') in DELETE_BUSY:
        raise InvalidInput("Cluster '%s' is %s%s: Senlin deletes a cluster that is %s only when forced; wait for its "
                           "action to end, or use force: true (Senlin then takes over the cluster's lock)."
                           % (cluster.get('name'), cluster.get('status'),
                              ' (%s)' % cluster['status_reason'] if cluster.get('status_reason') else '',
                              ', '.join(DELETE_BUSY)), cluster=cluster.get('id'))
