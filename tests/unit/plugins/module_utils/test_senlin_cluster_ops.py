# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster module's relative resize (Senlin's arithmetic), operations, replace_nodes and force delete."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, NotFound, ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.cluster import (
    apply_cluster, converge_cluster, plan_cluster, read_cluster_profiles)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.cluster_ops import (
    calculate_desired, operation_nodes, read_cluster_ops)
from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import (
    CID, CURRENT, PID, FakeAction, FakeProxy, FakeResponse, client_for, desired_cluster, writes)

OLD, NEW, OTHER = ('0000000%s-0000-0000-0000-000000000000' % n for n in (1, 2, 3))
HEAT_TYPE = 'os.heat.stack-1.0'


# -- Senlin's arithmetic ------------------------------------------------------------------------------

@pytest.mark.parametrize('current, adj, number, min_step, expected', [
    (3, 'EXACT_CAPACITY', 5, None, 5),
    (3, 'CHANGE_IN_CAPACITY', -2, None, 1),
    (3, 'CHANGE_IN_PERCENTAGE', 50, None, 4),     # 1.5 -> 1
    (3, 'CHANGE_IN_PERCENTAGE', 10, None, 4),     # 0.3 -> at least one node
    (3, 'CHANGE_IN_PERCENTAGE', -10, None, 2),    # -0.3 -> at least one node
    (3, 'CHANGE_IN_PERCENTAGE', -50, None, 2),    # -1.5 -> -1
    (3, 'CHANGE_IN_PERCENTAGE', 10, 2, 5),        # min_step above the rounded change
    (3, 'CHANGE_IN_PERCENTAGE', -10, 2, 1),
    (10, 'CHANGE_IN_PERCENTAGE', 12.5, None, 11),
    (4, 'CHANGE_IN_PERCENTAGE', 0, None, 4),
])
def test_calculate_desired(current, adj, number, min_step, expected):
    assert calculate_desired(current, adj, number, min_step) == expected


# -- the relative resize in the plan ------------------------------------------------------------------

@pytest.mark.parametrize('cluster, kw, resize, capacity', [
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=1), dict(adjustment_type='CHANGE_IN_CAPACITY', number=1), 3),
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=5, strict=False),
     dict(adjustment_type='CHANGE_IN_CAPACITY', number=5, strict=False), 3),
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=-5, strict=False),
     dict(adjustment_type='CHANGE_IN_CAPACITY', number=-5, strict=False), 1),
    ({}, dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=-50), dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=-50.0), 1),
    ({}, dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=10, min_step=1),
     dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=10.0, min_step=1), 3),
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=3, max_size=6),
     dict(adjustment_type='CHANGE_IN_CAPACITY', number=3, max_size=6), 5),
    # a bound given is sent even when it is the cluster's (Senlin checks a given bound whatever strict says)
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=1, min_size=1, max_size=3),
     dict(adjustment_type='CHANGE_IN_CAPACITY', number=1, min_size=1, max_size=3), 3),
    # Senlin starts from the member nodes, not from desired_capacity
    (dict(nodes=['n1']), dict(adjustment_type='CHANGE_IN_CAPACITY', number=2), dict(adjustment_type='CHANGE_IN_CAPACITY', number=2), 3),
    # with no node the action starts from desired_capacity
    (dict(nodes=[]), dict(adjustment_type='CHANGE_IN_CAPACITY', number=1), dict(adjustment_type='CHANGE_IN_CAPACITY', number=1), 3),
])
def test_plan_relative_resize(cluster, kw, resize, capacity):
    current = dict(CURRENT, **cluster)
    plan = plan_cluster(current, desired_cluster(**kw))
    assert plan.changed is True
    assert plan.resize == resize
    assert plan.predicted['desired_capacity'] == capacity
    assert plan.diff.diff()['after']['desired_capacity'] == capacity


@pytest.mark.parametrize('cluster, kw', [
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=0)),
    (dict(desired_capacity=3, nodes=['n1', 'n2', 'n3']), dict(adjustment_type='CHANGE_IN_CAPACITY', number=2, strict=False)),
    (dict(desired_capacity=1, nodes=['n1']), dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=-50, strict=False)),
    ({}, dict(adjustment_type='EXACT_CAPACITY', number=2)),
    ({}, dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=0)),
    (dict(nodes=[], desired_capacity=0, min_size=0), dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=0)),
])
def test_plan_relative_resize_without_change(cluster, kw):
    plan = plan_cluster(dict(CURRENT, **cluster), desired_cluster(**kw))
    assert plan.changed is False
    assert plan.resize is None


def test_exact_capacity_is_desired_capacity():
    plan = plan_cluster(CURRENT, desired_cluster(adjustment_type='EXACT_CAPACITY', number=3.0))
    assert plan.resize == dict(adjustment_type='EXACT_CAPACITY', number=3)
    assert isinstance(plan.resize['number'], int)


@pytest.mark.parametrize('cluster, kw, message', [
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=2),
     "The target capacity (4) is greater than the cluster's max_size (3) (adjustment_type CHANGE_IN_CAPACITY, "
     "number 2 from 2 node(s), strict True; Senlin would refuse the resize)"),
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=-2), "less than the cluster's min_size (1)"),
    ({}, dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=-90, min_step=3),
     "The target capacity (-1) is less than the cluster's min_size (1)"),
    # Senlin's API checks a min_size/max_size given with the resize even when strict is false
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=-1, min_size=2, strict=False),
     'The target capacity (1) is less than the specified min_size (2)'),
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=2, max_size=3, strict=False),
     'greater than the specified max_size (3)'),
    ({}, dict(adjustment_type='CHANGE_IN_CAPACITY', number=-5, min_size=1, strict=False),
     'The target capacity (-3) is less than the specified min_size (1)'),
    (dict(nodes=[], desired_capacity=0, min_size=0), dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=50, min_step=1),
     'CHANGE_IN_PERCENTAGE of a cluster with no node changes nothing'),
])
def test_plan_relative_resize_refused(cluster, kw, message):
    with pytest.raises(InvalidInput) as err:
        plan_cluster(dict(CURRENT, **cluster), desired_cluster(**kw))
    assert message in err.value.msg


@pytest.mark.parametrize('kw, message', [
    (dict(adjustment_type='CHANGE_IN_PERCENTAGE', number=10, min_step=-1), 'min_step must be a non-negative integer (got -1)'),
    (dict(adjustment_type='CHANGE_IN_CAPACITY', number=1, min_step=1),
     'min_step is only used with adjustment_type=CHANGE_IN_PERCENTAGE (got adjustment_type=CHANGE_IN_CAPACITY)'),
    (dict(min_step=1), 'min_step is only used with adjustment_type=CHANGE_IN_PERCENTAGE.'),
    (dict(adjustment_type='CHANGE_IN_CAPACITY', number=1.5), 'number must be a whole number for adjustment_type=CHANGE_IN_CAPACITY'),
    (dict(adjustment_type='EXACT_CAPACITY', number=-1), "The 'number' must be non-negative integer"),
    (dict(adjustment_type='SHRINK', number=1), 'adjustment_type must be one of EXACT_CAPACITY'),
    (dict(adjustment_type='CHANGE_IN_CAPACITY'), 'Missing number value for size adjustment'),
])
def test_adjustment_inputs_refused(kw, message):
    with pytest.raises(InvalidInput) as err:
        desired_cluster(**kw)
    assert message in err.value.msg


def test_relative_resize_needs_an_existing_cluster():
    with pytest.raises(InvalidInput) as err:
        read_cluster_profiles(None, None, desired_cluster(adjustment_type='CHANGE_IN_CAPACITY', number=1,
                                                          profile='p'))
    assert 'use desired_capacity to create it' in err.value.msg


def test_apply_relative_resize_sends_the_adjustment(clock):
    proxy = FakeProxy({
        ('POST', '/clusters/%s/actions' % CID): FakeResponse(202, {'action': 'r'}),
        ('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': dict(CURRENT, desired_capacity=3)}),
    }, {'r': [FakeAction('SUCCEEDED')]})
    plan = plan_cluster(CURRENT, desired_cluster(adjustment_type='CHANGE_IN_PERCENTAGE', number=10, min_step=1))
    apply_cluster(client_for(clock, proxy), CURRENT, plan)
    assert proxy.calls[0] == ('POST', '/clusters/%s/actions' % CID, {'resize': {
        'adjustment_type': 'CHANGE_IN_PERCENTAGE', 'number': 10.0, 'min_step': 1}})


# -- operations -----------------------------------------------------------------------------------

NODES = [dict(id='a', name='web-1', status='ACTIVE', role='db', profile_id=PID),
         dict(id='b', name='web-2', status='ERROR', role=None, profile_id=PID)]


@pytest.mark.parametrize('filters, ids', [
    (None, ['a', 'b']),
    ({}, ['a', 'b']),
    ({'status': 'ACTIVE'}, ['a']),
    ({'status': ['ACTIVE', 'ERROR']}, ['a', 'b']),
    ({'name': 'web-2', 'profile_id': PID}, ['b']),
    ({'role': 'db'}, ['a']),
])
def test_operation_nodes(filters, ids):
    assert operation_nodes(NODES, filters, CURRENT) == ids


@pytest.mark.parametrize('filters, message', [
    ({'status': 'WARNING'}, "No node of cluster 'web' matches operation_filters {'status': 'WARNING'} "
                            "(the cluster's nodes: web-1 (ACTIVE), web-2 (ERROR))."),
    ({'flavor': 'x', 'name': 'web-1'}, 'operation_filters: unsupported key(s) flavor (Senlin takes name, profile_id, '
                                       'status, role).'),
])
def test_operation_nodes_refused(filters, message):
    with pytest.raises(InvalidInput) as err:
        operation_nodes(NODES, filters, CURRENT)
    assert err.value.msg == message


def ops_routes(extra=None):
    routes = {
        ('GET', '/nodes?cluster_id=%s' % CID): FakeResponse(200, {'nodes': NODES}),
        ('GET', '/profiles/%s' % PID): FakeResponse(200, {'profile': {'id': PID, 'type': HEAT_TYPE}}),
        ('GET', '/profile-types/%s/ops' % HEAT_TYPE): FakeResponse(200, {'operations': {'abandon': {}}}),
    }
    routes.update(extra or {})
    return routes


def test_operation_not_offered_is_refused_before_any_write(clock):
    proxy = FakeProxy(ops_routes())
    with pytest.raises(InvalidInput) as err:
        read_cluster_ops(client_for(clock, proxy), CURRENT, desired_cluster(operation='reboot'))
    assert err.value.msg == "Operation 'reboot' is not offered by profile type os.heat.stack-1.0 (it offers: abandon)."
    assert writes(proxy) == []


def test_operation_needs_an_existing_cluster(clock):
    with pytest.raises(InvalidInput) as err:
        read_cluster_ops(client_for(clock, FakeProxy()), None, desired_cluster(operation='abandon', profile='p'))
    assert 'operation needs an existing cluster' in err.value.msg


@pytest.mark.parametrize('check_mode', [True, False])
def test_operation_runs_every_time(clock, check_mode):
    nova = 'os.nova.server-1.0'   # no Heat stacks to look at in the health check
    proxy = FakeProxy(ops_routes({
        ('GET', '/nodes?cluster_id=%s' % CID): FakeResponse(200, {'nodes': NODES[:1]}),
        ('GET', '/profiles/%s' % PID): FakeResponse(200, {'profile': {'id': PID, 'type': nova}}),
        ('GET', '/profile-types/%s/ops' % nova): FakeResponse(200, {'operations': {'abandon': {}, 'reboot': {}}}),
        ('POST', '/clusters/%s/ops' % CID): FakeResponse(202, {'action': 'op'}),
        ('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': CURRENT}),
    }), {'op': [FakeAction('SUCCEEDED', name='CLUSTER_OPERATION')]})
    client = client_for(clock, proxy)
    desired = desired_cluster(operation='abandon', operation_params={'x': 1}, operation_filters={'status': 'ACTIVE'},
                              repair=False)
    plan = plan_cluster(CURRENT, desired, found=read_cluster_ops(client, CURRENT, desired))
    assert plan.changed is True
    assert plan.diff.diff()['after']['operation'] == {'name': 'abandon', 'nodes': 1}
    converge_cluster(client, CURRENT if check_mode else apply_cluster(client, CURRENT, plan), plan, desired,
                     check_mode=check_mode)
    if check_mode:
        assert writes(proxy) == []
    else:
        assert writes(proxy) == [('POST', '/clusters/%s/ops' % CID)]
        assert proxy.calls[-2][2] == {'abandon': {'params': {'x': 1}, 'filters': {'status': 'ACTIVE'}}}
        assert [a['name'] for a in client.actions] == ['CLUSTER_OPERATION']


# -- replace_nodes --------------------------------------------------------------------------------

def node(ident, name, cluster_id='', status='ACTIVE', profile_id=PID, reason=None):
    return dict(id=ident, name=name, cluster_id=cluster_id, status=status, profile_id=profile_id,
                status_reason=reason)


def replace_routes(old, new, other_type=None, extra=None):
    routes = ops_routes({
        ('GET', '/nodes/%s' % OLD): FakeResponse(200, {'node': old}),
        ('GET', '/nodes/%s' % NEW): FakeResponse(200, {'node': new}),
        ('GET', '/nodes?name=old'): FakeResponse(200, {'nodes': [old]}),
        ('GET', '/nodes?name=new'): FakeResponse(200, {'nodes': [new]}),
        ('GET', '/nodes?name=gone'): FakeResponse(200, {'nodes': []}),
        ('GET', '/profiles/other'): FakeResponse(200, {'profile': {'id': 'other', 'type': other_type}}),
    })
    routes.update(extra or {})
    return routes


@pytest.mark.parametrize('old, new, pairs, message', [
    (node(OLD, 'old', CID), node(NEW, 'new'), {'gone': 'new'}, "Node 'gone' does not exist."),
    (node(OLD, 'old', CID), node(NEW, 'new'), {'old': 'gone'}, "Node 'gone' does not exist."),
    (node(OLD, 'old'), node(NEW, 'new'), {'old': 'new'}, "replace_nodes: node 'old' is not a member of cluster 'web'."),
    (node(OLD, 'old', OTHER), node(NEW, 'new'), {'old': 'new'},
     "replace_nodes: node 'old' is not a member of cluster 'web' (it is in cluster %s)." % OTHER),
    (node(OLD, 'old', CID), node(NEW, 'new', OTHER), {'old': 'new'},
     "replace_nodes: node 'new' (replacing 'old') is already a member of cluster %s; a replacement must be in no "
     "cluster." % OTHER),
    (node(OLD, 'old', CID), node(NEW, 'new', status='ERROR', reason='boom'), {'old': 'new'},
     "replace_nodes: node 'new' (replacing 'old') is ERROR, not ACTIVE: boom."),
    (node(OLD, 'old', CID), node(NEW, 'new', profile_id='other'), {'old': 'new'},
     "replace_nodes: node 'new' has profile type os.nova.server-1.0, cluster 'web' has os.heat.stack-1.0 (they must "
     "match)."),
    (node(OLD, 'old', CID), node(NEW, 'new'), {'old': 'new', OLD: 'new'}, "replace_nodes: node 'new' replaces both"),
])
def test_replace_nodes_refused_before_any_write(clock, old, new, pairs, message):
    proxy = FakeProxy(replace_routes(old, new, other_type='os.nova.server-1.0'))
    with pytest.raises((InvalidInput, NotFound)) as err:
        read_cluster_ops(client_for(clock, proxy), CURRENT, desired_cluster(replace_nodes=pairs))
    assert err.value.msg.startswith(message)
    assert writes(proxy) == []


def test_replace_nodes_done_is_idempotent(clock):
    proxy = FakeProxy(replace_routes(node(OLD, 'old'), node(NEW, 'new', CID)))
    desired = desired_cluster(replace_nodes={'old': 'new'})
    plan = plan_cluster(CURRENT, desired, found=read_cluster_ops(client_for(clock, proxy), CURRENT, desired))
    assert plan.changed is False
    assert plan.replace == {}


def replace_plan(clock, proxy, current):
    desired = desired_cluster(replace_nodes={'old': 'new'})
    client = client_for(clock, proxy)
    return client, plan_cluster(current, desired, found=read_cluster_ops(client, current, desired))


def test_replace_nodes_success(clock):
    current = dict(CURRENT, nodes=[OLD, 'n2'])
    after = dict(current, nodes=[NEW, 'n2'])
    proxy = FakeProxy(replace_routes(node(OLD, 'old', CID), node(NEW, 'new'), extra={
        ('POST', '/clusters/%s/actions' % CID): FakeResponse(202, {'action': 'rep'}),
        # read once, after the action
        ('GET', '/nodes/%s' % OLD): FakeResponse(200, {'node': node(OLD, 'old')}),
        ('GET', '/nodes/%s' % NEW): FakeResponse(200, {'node': node(NEW, 'new', CID)}),
        ('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': after}),
    }), {'rep': [FakeAction('SUCCEEDED', name='CLUSTER_REPLACE_NODES')]})
    client, plan = replace_plan(clock, proxy, current)
    assert plan.changed is True
    assert plan.diff.diff()['after']['replace_nodes'] == {'old': 'new'}
    assert plan.predicted['nodes'] == [NEW, 'n2']
    result = apply_cluster(client, current, plan)
    assert result['nodes'] == [NEW, 'n2']
    assert writes(proxy) == [('POST', '/clusters/%s/actions' % CID)]
    assert [c[2] for c in proxy.calls if c[0] == 'POST'] == [{'replace_nodes': {'nodes': {OLD: NEW}}}]


def test_replace_nodes_failure_names_the_nodes(clock):
    current = dict(CURRENT, nodes=[OLD, 'n2'])
    proxy = FakeProxy(replace_routes(node(OLD, 'old', CID), node(NEW, 'new'), extra={
        ('POST', '/clusters/%s/actions' % CID): FakeResponse(202, {'action': 'rep'}),
        ('GET', '/nodes/%s' % NEW): FakeResponse(200, {'node': node(
            NEW, 'new', status='ERROR', reason='Failed in updating stack: No template specified')}),
        ('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': current}),
        ('GET', '/nodes?cluster_id=%s' % CID): FakeResponse(200, {'nodes': []}),
        # Senlin 16 does not link the node actions to the cluster action: the newest join/leave of each node
        ('GET', '/actions?target=%s&sort=created_at:desc&limit=5' % NEW): FakeResponse(200, {'actions': [
            dict(action='NODE_OPERATION', status='FAILED', status_reason='older'),
            dict(action='NODE_JOIN', status='FAILED', status_reason='Node failed in joining cluster.')]}),
        ('GET', '/actions?target=%s&sort=created_at:desc&limit=5' % OLD): FakeResponse(200, {'actions': [
            dict(action='NODE_LEAVE', status='SUCCEEDED', status_reason='done')]}),
    }), {'rep': [FakeAction('FAILED', 'Action execution failed', name='CLUSTER_REPLACE_NODES')]})
    client, plan = replace_plan(clock, proxy, current)
    with pytest.raises(ResourceFailed) as err:
        apply_cluster(client, current, plan)
    msg = err.value.msg
    assert 'node old (%s) is still a member: ACTIVE; ' % OLD in msg
    assert ('node new (%s) is in no cluster: ERROR: Failed in updating stack: No template specified, NODE_JOIN FAILED: '
            'Node failed in joining cluster.]' % NEW) in msg
    assert 'Cluster web: ACTIVE, desired_capacity 2, 2 node(s).' in msg
    assert 'cannot be replaced' in msg


def test_replace_nodes_reported_success_but_not_moved(clock):
    current = dict(CURRENT, nodes=[OLD, 'n2'])
    proxy = FakeProxy(replace_routes(node(OLD, 'old', CID), node(NEW, 'new'), extra={
        ('POST', '/clusters/%s/actions' % CID): FakeResponse(202, {'action': 'rep'}),
        ('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': current}),
    }), {'rep': [FakeAction('SUCCEEDED', name='CLUSTER_REPLACE_NODES')]})
    client, plan = replace_plan(clock, proxy, current)
    with pytest.raises(ResourceFailed) as err:
        apply_cluster(client, current, plan)
    assert err.value.msg.startswith('CLUSTER_REPLACE_NODES reported success but the nodes did not move. [node old')


# -- delete ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('status', ['CREATING', 'UPDATING', 'DELETING', 'RECOVERING'])
def test_delete_of_a_busy_cluster_needs_force(status):
    with pytest.raises(InvalidInput) as err:
        plan_cluster(dict(CURRENT, status=status, status_reason='Creation in progress'), desired_cluster(state='absent'))
    assert err.value.msg.startswith("Cluster 'web' is %s (Creation in progress): Senlin deletes" % status)
    assert 'use force: true' in err.value.msg


@pytest.mark.parametrize('status, force, path', [
    ('CREATING', True, '/clusters/%s?force=true' % CID),
    ('ACTIVE', True, '/clusters/%s?force=true' % CID),
    ('ACTIVE', False, '/clusters/%s' % CID),
])
def test_delete_path(clock, status, force, path):
    current = dict(CURRENT, status=status)
    proxy = FakeProxy({('DELETE', path): FakeResponse(202, None, {'Location': '/v1/actions/d'})},
                      {'d': [FakeAction('SUCCEEDED', name='CLUSTER_DELETE')]})
    plan = plan_cluster(current, desired_cluster(state='absent', force=force))
    assert plan.changed is True and plan.predicted is None
    client = client_for(clock, proxy, wait=False)
    assert apply_cluster(client, current, plan) is None
    assert writes(proxy) == [('DELETE', path)]
