# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin nodes: the cluster_node module's ``DesiredNode``, ``read_node``, ``plan_node`` and ``apply_node``,
membership checks (min/max size), operations, moving a node between clusters, removing a member through its
cluster (``destroy_after_deletion``), and adopting an existing Heat stack as a node (``adopt``)."""

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
    "cannot be moved; create it in its cluster instead (cluster option when the node is created), and remove it "
    "from its cluster by deleting it (state=absent; destroy_after_deletion=true deletes it through its cluster).")


def change_membership(client, node, cluster_id, body, what, heat):
    """Add a node to / remove it from a cluster and check that it really did (Senlin 16 may report a
    CLUSTER_ADD_NODES as SUCCEEDED although its NODE_JOIN failed)."""
    want = cluster_id if 'add_nodes' in body else ''
    hint = HEAT_MEMBERSHIP_HINT if heat else ''
    try:
        client.write('POST', '/clusters/%s/actions' % cluster_id, body, what, cluster_id)
    except ResourceFailed as exc:
        raise ResourceFailed(exc.msg.rstrip('.') + '.' + hint + restore_capacity(client, cluster_id), **exc.details)
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

ADOPT_DEFAULT_TYPE = HEAT_PROFILE + '-1.0'
ADOPT_SDK_HINT = (
    " Senlin's service failed reading the stack's template with its openstacksdk (a KeyError 'stack_name' of the "
    "SDK's StackTemplate resource, seen with openstacksdk 1.5.1, the version Senlin 2023.2 pins): adopting a Heat "
    "stack needs a Senlin service whose openstacksdk reads stack templates. Nothing was written.")


class DesiredNode(Desired):
    """The node the user asked for (the cluster_node module's options). ``adopt``: {identity, type, overrides,
    snapshot} (the module's suboptions, defaults filled in) or None."""

    OPTIONS = ('name', 'state', 'profile', 'cluster', 'role', 'metadata', 'check', 'recover', 'recover_params',
               'operation', 'operation_params', 'adopt', 'destroy_after_deletion')

    def __init__(self, **values):
        super(DesiredNode, self).__init__(**values)
        if self.adopt is not None and self.state != 'absent':
            self.adopt = dict(self.adopt)
            self.adopt.setdefault('type', ADOPT_DEFAULT_TYPE)
            if not self.adopt.get('identity'):
                raise InvalidInput('adopt needs identity (the name or id of the stack to adopt).')
            if self.cluster:
                raise InvalidInput('adopt cannot put the node in a cluster: Senlin adopts a node as a standalone node '
                                   'only (and on Senlin 16 a Heat node cannot join a cluster afterwards either). '
                                   'Leave cluster unset.')
            if self.profile:
                raise InvalidInput('adopt and profile are mutually exclusive: Senlin makes the adopted node\'s '
                                   'profile from the stack.')
        if self.destroy_after_deletion is True and self.state != 'absent' and self.cluster is not None:
            raise InvalidInput('destroy_after_deletion=true deletes the node when it leaves its cluster: use '
                               'state=absent for that (with state=present the node leaves its cluster and is kept).')
        if self.destroy_after_deletion is False and self.state == 'absent':
            raise InvalidInput('destroy_after_deletion=false keeps a node that leaves its cluster, but state=absent '
                               'deletes it: to keep the node and take it out of its cluster, set cluster to an empty '
                               'string with state=present.')

    @property
    def adopts_heat(self):
        return bool(self.adopt) and str(self.adopt['type']).startswith(HEAT_PROFILE)

    def cluster_id(self, node, cluster):
        """The id of the cluster the node is to be in ('' for none): ``cluster`` (resolved), none when the option is
        set empty, else the node's current one."""
        if cluster:
            return cluster['id']
        return '' if self.cluster is not None else (node or {}).get('cluster_id') or ''


class NodeState(object):
    """What ``read_node`` found: the node (or None), the profile and cluster named (or None), the cluster the
    node is in when it leaves it (or None); for ``adopt``: the physical id of the resource to adopt and Senlin's
    preview of the profile spec it would make (when the node is to be adopted) and the ``overrides`` sent with it."""

    def __init__(self, node, profile=None, cluster=None, old_cluster=None, physical_id=None, preview=None,
                 overrides=None):
        self.node, self.profile, self.cluster, self.old_cluster = node, profile, cluster, old_cluster
        self.physical_id, self.preview, self.overrides = physical_id, preview, overrides


class NodePlan(Plan):
    """A node change: ``delete`` (through its cluster's ``del_nodes`` with destroy when ``delete_via_cluster``);
    or ``create`` (body), or ``adopt`` (body) then ``update``; or ``update`` (PATCH body) and a move from
    ``old_cluster_id`` to ``new_cluster_id`` (``destroy``: the ``destroy_after_deletion`` of the leave, None
    = not sent); then the node ``actions`` ([(path, body, action name)]). ``preview``: Senlin's adopt preview."""

    def __init__(self):
        super(NodePlan, self).__init__()
        self.delete = False
        self.delete_via_cluster = False
        self.create = None
        self.adopt = None
        self.destroy = None
        self.preview = None
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
    if desired.adopt:
        state = read_adoption(client, desired, node)
        if desired.operation and node is not None:
            check_operation(client, node, desired.operation)
        return state
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


def read_adoption(client, desired, node):
    """The checks of ``adopt``, before any write: the stack exists (a name is resolved to its id through Heat, as
    Senlin keeps the identity given as the node's physical id), no other node manages it, a node of this name
    manages it or does not exist; and, for a node to adopt, Senlin's preview of the profile spec it would make."""
    identity = desired.adopt['identity']
    physical_id = identity
    stack = None
    if desired.adopts_heat:
        stack = client.heat.find_stack(quote_value(identity), resolve_outputs=False)
        if stack is None:
            raise InvalidInput("The stack '%s' to adopt does not exist." % identity, stack=identity)
        physical_id = stack['id']
    shown = identity if identity == physical_id else '%s (%s)' % (identity, physical_id)
    if node is not None:
        if node.get('physical_id') != physical_id:
            raise InvalidInput("Node '%s' exists with physical id %s, not the stack %s to adopt: give the node another "
                               "name, or delete it first." % (node['name'], node.get('physical_id') or '(none)', shown),
                               node=node['id'])
        return NodeState(node, physical_id=physical_id)
    owners = [n for n in client.list('node') if n.get('physical_id') == physical_id]
    if owners:
        raise InvalidInput("The stack %s is already managed by node %s: a stack can be adopted by one node only."
                           % (shown, ', '.join("'%s' (%s)" % (n.get('name'), n['id']) for n in owners)),
                           node=owners[0]['id'])
    # overrides always: Senlin 16 reads it unset ("Cannot load 'overrides' in the base class")
    overrides = dict(heat_adopt_overrides(client.heat, stack) if stack else {}, **(desired.adopt.get('overrides') or {}))
    body = dict(identity=physical_id, type=desired.adopt['type'], snapshot=bool(desired.adopt.get('snapshot')),
                overrides=overrides)
    try:
        answer = client.request('POST', '/nodes/adopt-preview', body, retry_locked=False).json()
    except sdk_exceptions.HttpException as exc:
        reason = str(getattr(exc, 'details', None) or exc)
        hint = ADOPT_SDK_HINT if desired.adopts_heat and "'stack_name'" in reason else ''
        raise InvalidInput("Senlin cannot adopt %s as a node of type %s: %s.%s" % (shown, desired.adopt['type'], reason, hint),
                           status_code=getattr(exc, 'status_code', None))
    # Senlin 16 answers {"node_profile": {"node_preview": {type, version, properties}}}
    preview = answer.get('node_profile')
    if isinstance(preview, dict) and isinstance(preview.get('node_preview'), dict):
        preview = preview['node_preview']
    return NodeState(None, physical_id=physical_id, preview=preview, overrides=overrides)


def heat_adopt_overrides(heat, stack):
    """The stack's template, environment and files as Heat gives them, sent as the adoption's ``overrides``.

    Senlin 16 builds the adopted profile's spec from openstacksdk resources' ``to_dict()``, which adds the SDK's
    ``id``, ``name`` and ``location`` keys: Heat then refuses the profile ('environment has wrong section "id"') and
    every adoption of a stack fails. Senlin puts ``overrides`` over what it read, so these clean copies replace
    them (the user's own ``overrides`` still come last)."""
    return dict(template=heat.get_template(stack), environment=heat.get_environment(stack),
                files=heat.get_files(stack))


def plan_node(current, desired):
    """Plan a node change from a NodeState (pure: the checks of sizes and options raise InvalidInput)."""
    plan = NodePlan()
    node = current.node
    if desired.state == 'absent':
        if node:
            if node.get('cluster_id'):
                check_can_leave(current.old_cluster, node, 'deleted')
                plan.delete_via_cluster = bool(desired.destroy_after_deletion)
            plan.delete = True
            plan.diff.merge(diff_for_delete(node))
        return plan
    if node is None and desired.adopt:
        _plan_node_adopt(plan, current, desired)
    elif node is None:
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


def _plan_node_adopt(plan, current, desired):
    """Adopt: Senlin makes the node (standalone, ACTIVE) and a profile ``prof-<name>`` from the stack; it takes the
    metadata but not the role, which a NODE_UPDATE sets afterwards."""
    body = dict(identity=current.physical_id, type=desired.adopt['type'], name=desired.name,
                snapshot=bool(desired.adopt.get('snapshot')),
                overrides=current.overrides if current.overrides is not None else (desired.adopt.get('overrides') or {}))
    if desired.metadata is not None:
        body['metadata'] = desired.metadata
    plan.adopt = body
    if desired.role is not None:
        plan.update['role'] = desired.role
    plan.preview = current.preview
    plan.diff.merge(diff_for_create(dict(name=desired.name, adopt=desired.adopt['identity'], physical_id=current.physical_id,
                                         type=desired.adopt['type'], role=desired.role, metadata=desired.metadata)))
    plan.predicted = dict(name=desired.name, physical_id=current.physical_id, cluster_id='', status='ACTIVE',
                          role=desired.role or '', metadata=desired.metadata or {}, profile_name='prof-%s' % desired.name)


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
    plan.destroy = desired.destroy_after_deletion
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
    if plan.delete and plan.delete_via_cluster:
        cluster_id = node['cluster_id']
        client.write('POST', '/clusters/%s/actions' % cluster_id,
                     {'del_nodes': {'nodes': [node['id']], 'destroy_after_deletion': True}}, 'CLUSTER_DEL_NODES',
                     cluster_id)
        return None
    if plan.delete:
        client.write('DELETE', '/nodes/%s' % node['id'], None, 'NODE_DELETE', node['id'])
        return None
    if plan.create is not None:
        node = _create_node(client, plan.create)
    elif plan.adopt is not None:
        node = client.request('POST', '/nodes/adopt', plan.adopt, retry_locked=False).json()['node']
        if plan.update:
            client.write('PATCH', '/nodes/%s' % node['id'], {'node': plan.update}, 'NODE_UPDATE', node['id'])
            node = client.get('node', node['id'])
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
        leave = {'nodes': [node['id']]}
        if plan.destroy is not None:
            leave['destroy_after_deletion'] = plan.destroy
        change_membership(client, node, plan.old_cluster_id, {'del_nodes': leave}, 'CLUSTER_DEL_NODES', heat)
    if plan.move and plan.new_cluster_id:
        change_membership(client, node, plan.new_cluster_id, {'add_nodes': {'nodes': [node['id']]}},
                          'CLUSTER_ADD_NODES', heat)
    return client.get('node', node['id'])
