# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cluster_node's ``adopt`` (Senlin's node adopt API, the stack resolved through Heat, idempotent by the stack's
id) and ``destroy_after_deletion`` (a member deleted through its cluster's del_nodes), with a fake Senlin and
Heat: what is checked before any write, the requests sent, and the plans."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.node import (
    DesiredNode, NodeState, apply_node, plan_node, read_node)

from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import (
    FakeAction, FakeProxy, FakeResponse, client_for, writes)

STACK_ID = '0b65079c-7559-4e5c-85ce-58d1e0ec7f0b'
OTHER_ID = '9db0300b-15c9-4b66-84c5-1e22ff1df4b6'
PREVIEW = {'type': 'os.heat.stack', 'version': '1.0',
           'properties': {'template': {'heat_template_version': '2016-10-14'}, 'timeout': 3}}


class FakeHeat(object):
    def __init__(self, stacks):
        self.stacks = stacks
        self.asked = []

    def find_stack(self, name_or_id, resolve_outputs=True, include_deleted=False):
        self.asked.append(name_or_id)
        return self.stacks.get(name_or_id)

    def get_template(self, stack):
        return dict(HEAT_READ['template'])

    def get_environment(self, stack):
        return dict(HEAT_READ['environment'])

    def get_files(self, stack):
        return dict(HEAT_READ['files'])


# the stack's parts as Heat gives them: the module sends them as overrides (Senlin's own copies carry the SDK's
# id/name/location keys, which Heat refuses)
HEAT_READ = dict(template={'heat_template_version': '2016-10-14', 'resources': {}},
                 environment={'parameters': {}, 'resource_registry': {'resources': {}}}, files={})


def senlin(nodes=(), routes=None, actions=None):
    table = {('GET', '/nodes'): FakeResponse(200, {'nodes': list(nodes)}),
             ('GET', '/nodes?name=n1'): FakeResponse(200, {'nodes': [n for n in nodes if n['name'] == 'n1']}),
             # as Senlin 16 answers it: the spec under node_profile.node_preview
             ('POST', '/nodes/adopt-preview'): FakeResponse(200, {'node_profile': {'node_preview': PREVIEW}})}
    table.update(routes or {})
    return FakeProxy(table, actions or {})


def client(clock, proxy, stacks=None):
    client = client_for(clock, proxy)
    client._heat = FakeHeat(stacks if stacks is not None else {'app': {'id': STACK_ID, 'stack_name': 'app'}})
    return client


def desired(**kw):
    params = dict(name='n1', state='present')
    params.update(kw)
    return DesiredNode.from_params(params)


ADOPT = dict(identity='app', type='os.heat.stack-1.0', overrides=None, snapshot=False)


def test_adopt_previews_then_adopts_the_stack_by_its_id_and_sets_the_role(clock):
    node = dict(id='nid', name='n1', physical_id=STACK_ID, cluster_id='', role='', metadata={'o': 'ops'})
    proxy = senlin(routes={
        ('POST', '/nodes/adopt'): FakeResponse(200, {'node': node}),
        ('PATCH', '/nodes/nid'): FakeResponse(202, {'action': 'upd'}),
        ('GET', '/nodes/nid'): FakeResponse(200, {'node': dict(node, role='legacy')})},
        actions={'upd': [FakeAction('SUCCEEDED', name='NODE_UPDATE')]})
    cl = client(clock, proxy)
    want = desired(adopt=dict(ADOPT, overrides={'timeout': 3}), role='legacy', metadata={'o': 'ops'})
    current = read_node(cl, want)
    assert writes(proxy) == [('POST', '/nodes/adopt-preview')]  # a preview, no write
    assert proxy.calls[-1][2] == dict(identity=STACK_ID, type='os.heat.stack-1.0', snapshot=False,
                                      overrides=dict(HEAT_READ, timeout=3))
    plan = plan_node(current, want)
    assert plan.changed and plan.preview == PREVIEW
    assert plan.predicted['physical_id'] == STACK_ID and plan.predicted['role'] == 'legacy'
    result = apply_node(cl, current, plan)
    assert writes(proxy)[1:] == [('POST', '/nodes/adopt'), ('PATCH', '/nodes/nid')]
    adopt_body = [b for m, p, b in proxy.calls if p == '/nodes/adopt'][0]
    assert adopt_body == dict(identity=STACK_ID, type='os.heat.stack-1.0', name='n1', snapshot=False,
                              overrides=dict(HEAT_READ, timeout=3), metadata={'o': 'ops'})
    assert [b for m, p, b in proxy.calls if m == 'PATCH'] == [{'node': {'role': 'legacy'}}]
    assert result['role'] == 'legacy'


def test_adopt_sends_overrides_even_when_not_given(clock):
    # Senlin 16 fails a request without overrides: "Cannot load 'overrides' in the base class"; for a Heat stack
    # they hold the stack's template, environment and files as Heat gives them
    proxy = senlin()
    cl = client(clock, proxy)
    want = desired(adopt=dict(ADOPT))
    current = read_node(cl, want)
    assert proxy.calls[-1][2]['overrides'] == HEAT_READ
    assert plan_node(current, want).adopt['overrides'] == HEAT_READ


def test_adopt_user_overrides_come_over_the_stack_read_from_heat(clock):
    proxy = senlin()
    cl = client(clock, proxy)
    mine = {'heat_template_version': '2018-08-31', 'resources': {'x': {'type': 'OS::Heat::None'}}}
    want = desired(adopt=dict(ADOPT, overrides={'template': mine}))
    current = read_node(cl, want)
    assert plan_node(current, want).adopt['overrides'] == dict(HEAT_READ, template=mine)


def test_adopt_without_role_sends_no_update(clock):
    node = dict(id='nid', name='n1', physical_id=STACK_ID, cluster_id='', role='')
    proxy = senlin(routes={('POST', '/nodes/adopt'): FakeResponse(200, {'node': node})})
    cl = client(clock, proxy)
    want = desired(adopt=dict(ADOPT))
    current = read_node(cl, want)
    assert apply_node(cl, current, plan_node(current, want)) == node
    assert writes(proxy) == [('POST', '/nodes/adopt-preview'), ('POST', '/nodes/adopt')]


def test_the_node_that_manages_the_stack_is_no_change(clock):
    node = dict(id='nid', name='n1', physical_id=STACK_ID, cluster_id='', role='legacy', metadata={})
    proxy = senlin(nodes=[node])
    cl = client(clock, proxy)
    want = desired(adopt=dict(ADOPT), role='legacy')
    current = read_node(cl, want)
    plan = plan_node(current, want)
    assert not plan.changed and plan.preview is None
    assert writes(proxy) == []


@pytest.mark.parametrize('nodes, stacks, message', [
    ([], {}, "The stack 'app' to adopt does not exist."),
    ([dict(id='x', name='n1', physical_id=OTHER_ID)], None,
     "Node 'n1' exists with physical id %s, not the stack app (%s) to adopt" % (OTHER_ID, STACK_ID)),
    ([dict(id='x', name='n1', physical_id=None)], None, "Node 'n1' exists with physical id (none)"),
    ([dict(id='o', name='other', physical_id=STACK_ID)], None,
     "The stack app (%s) is already managed by node 'other' (o): a stack can be adopted by one node only." % STACK_ID),
])
def test_adopt_refusals_before_any_write(clock, nodes, stacks, message):
    proxy = senlin(nodes=nodes)
    with pytest.raises(InvalidInput) as info:
        read_node(client(clock, proxy, stacks), desired(adopt=dict(ADOPT)))
    assert message in info.value.msg
    assert writes(proxy) == []


def test_senlin_sdk_failure_is_explained(clock):
    proxy = senlin(routes={('POST', '/nodes/adopt-preview'): FakeResponse(
        500, {'code': 500, 'error': {'message': "'stack_name'", 'type': 'ProfileOperationFailed'}})})
    with pytest.raises(InvalidInput) as info:
        read_node(client(clock, proxy), desired(adopt=dict(ADOPT)))
    assert info.value.msg.startswith("Senlin cannot adopt app (%s) as a node of type os.heat.stack-1.0: " % STACK_ID)
    assert "openstacksdk 1.5.1" in info.value.msg and info.value.msg.endswith('Nothing was written.')
    assert writes(proxy) == [('POST', '/nodes/adopt-preview')]


def test_a_non_heat_type_is_not_looked_up_in_heat(clock):
    proxy = senlin()
    cl = client(clock, proxy, stacks={})
    current = read_node(cl, desired(adopt=dict(ADOPT, identity='server-uuid', type='os.nova.server-1.0')))
    assert cl.heat.asked == [] and current.physical_id == 'server-uuid'


@pytest.mark.parametrize('kw, message', [
    (dict(adopt=dict(ADOPT), cluster='web'), 'adopt cannot put the node in a cluster'),
    (dict(adopt=dict(ADOPT), profile='p'), 'adopt and profile are mutually exclusive'),
    (dict(adopt=dict(ADOPT, identity='')), 'adopt needs identity'),
    (dict(destroy_after_deletion=True, cluster=''), 'destroy_after_deletion=true deletes the node'),
    (dict(destroy_after_deletion=False, state='absent'), 'destroy_after_deletion=false keeps a node'),
])
def test_option_refusals(kw, message):
    with pytest.raises(InvalidInput, match=message):
        desired(**kw)


def test_adopt_is_ignored_when_absent():
    assert desired(adopt=dict(ADOPT), cluster='web', state='absent').adopt == ADOPT


# -- destroy_after_deletion -------------------------------------------------------------------------

MEMBER = dict(id='nid', name='n1', cluster_id='cid', physical_id=STACK_ID)
CLUSTER = dict(id='cid', name='web', desired_capacity=2, min_size=0, max_size=-1, nodes=['nid', 'n2'])


@pytest.mark.parametrize('destroy, expected', [
    (None, [('DELETE', '/nodes/nid', None)]),
    (True, [('POST', '/clusters/cid/actions', {'del_nodes': {'nodes': ['nid'], 'destroy_after_deletion': True}})]),
])
def test_a_member_is_deleted_directly_or_through_its_cluster(clock, destroy, expected):
    proxy = FakeProxy({('DELETE', '/nodes/nid'): FakeResponse(202, {'action': 'a'}),
                       ('POST', '/clusters/cid/actions'): FakeResponse(202, {'action': 'a'})},
                      {'a': [FakeAction('SUCCEEDED')]})
    want = desired(state='absent', destroy_after_deletion=destroy)
    current = NodeState(MEMBER, old_cluster=CLUSTER)
    plan = plan_node(current, want)
    assert plan.changed
    assert apply_node(client_for(clock, proxy), current, plan) is None
    assert [c for c in proxy.calls if c[0] != 'GET'] == expected


def test_destroy_after_deletion_applies_to_members_only(clock):
    proxy = FakeProxy({('DELETE', '/nodes/nid'): FakeResponse(202, {'action': 'a'})}, {'a': [FakeAction('SUCCEEDED')]})
    standalone = dict(MEMBER, cluster_id='')
    plan = plan_node(NodeState(standalone), desired(state='absent', destroy_after_deletion=True))
    apply_node(client_for(clock, proxy), NodeState(standalone), plan)
    assert writes(proxy) == [('DELETE', '/nodes/nid')]


def test_delete_through_the_cluster_keeps_min_size():
    with pytest.raises(InvalidInput, match='below its min_size 2'):
        plan_node(NodeState(MEMBER, old_cluster=dict(CLUSTER, min_size=2)),
                  desired(state='absent', destroy_after_deletion=True))


@pytest.mark.parametrize('destroy, leave', [
    (None, {'nodes': ['nid']}),
    (False, {'nodes': ['nid'], 'destroy_after_deletion': False}),
])
def test_a_member_leaving_is_kept(clock, destroy, leave):
    proxy = FakeProxy({('POST', '/clusters/cid/actions'): FakeResponse(202, {'action': 'a'}),
                       ('GET', '/nodes/nid'): FakeResponse(200, {'node': dict(MEMBER, cluster_id='')}),
                       ('GET', '/profiles/p'): FakeResponse(200, {'profile': {'id': 'p', 'type': 'os.heat.stack-1.0'}})},
                      {'a': [FakeAction('SUCCEEDED')]})
    current = NodeState(dict(MEMBER, profile_id='p'), old_cluster=CLUSTER)
    plan = plan_node(current, desired(cluster='', destroy_after_deletion=destroy))
    apply_node(client_for(clock, proxy), current, plan)
    assert [b for m, p, b in proxy.calls if m == 'POST'] == [{'del_nodes': leave}]


def test_an_operation_on_the_adopted_node_is_checked_before_any_write(clock):
    node = dict(id='nid', name='n1', physical_id=STACK_ID, cluster_id='', profile_id='p')
    proxy = senlin(nodes=[node], routes={
        ('GET', '/profiles/p'): FakeResponse(200, {'profile': {'id': 'p', 'type': 'os.heat.stack-1.0'}}),
        ('GET', '/profile-types/os.heat.stack-1.0/ops'): FakeResponse(200, {'operations': {}})})
    with pytest.raises(InvalidInput, match="Operation 'reboot' is not offered by profile type os.heat.stack-1.0"):
        read_node(client(clock, proxy), desired(adopt=dict(ADOPT), operation='reboot'))
    assert writes(proxy) == []


def test_a_failed_leave_of_a_heat_node_says_how_to_remove_it(clock):
    proxy = FakeProxy({('POST', '/clusters/cid/actions'): FakeResponse(202, {'action': 'a'}),
                       ('GET', '/clusters/cid'): FakeResponse(200, {'cluster': dict(CLUSTER, desired_capacity=2)}),
                       ('GET', '/profiles/p'): FakeResponse(200, {'profile': {'id': 'p', 'type': 'os.heat.stack-1.0'}})},
                      {'a': [FakeAction('FAILED', 'CLUSTER_DEL_NODES [a] failed', name='CLUSTER_DEL_NODES')]})
    current = NodeState(dict(MEMBER, profile_id='p'), old_cluster=CLUSTER)
    plan = plan_node(current, desired(cluster='', destroy_after_deletion=False))
    with pytest.raises(ResourceFailed) as info:
        apply_node(client_for(clock, proxy), current, plan)
    assert 'failed. Senlin 16 with os.heat.stack nodes' in info.value.msg
    assert 'destroy_after_deletion=true deletes it through its cluster' in info.value.msg
