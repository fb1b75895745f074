# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node health of a cluster: which nodes are broken, which stacks are orphans, failure messages, the repair."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.health import (
    NodeProblem, assess_nodes, converge_health, describe_problem)

from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import CID, FakeAction, FakeProxy, FakeResponse, client_for


def node(nid, status='ACTIVE', physical_id=None, reason='', index=1):
    return dict(id=nid, name='node-' + nid, status=status, physical_id=physical_id, status_reason=reason,
                index=index, cluster_id=CID)


def stack(sid, node_id, status='CREATE_COMPLETE', created='2026-01-01T00:00:00Z', reason=''):
    return dict(id=sid, stack_name='st-' + sid, stack_status=status, stack_status_reason=reason,
                creation_time=created, tags=['cluster_node_id=%s' % node_id, 'cluster_id=%s' % CID])


@pytest.mark.parametrize('nodes, stacks, heat, broken, orphans', [
    # all fine
    ([node('a', physical_id='s1'), node('b', physical_id='s2')], [stack('s1', 'a'), stack('s2', 'b')], True, {}, []),
    # Senlin says ERROR, no stack recorded, the failed stack found by its node tag; it is also an orphan
    ([node('a', 'ERROR', reason='Failed in creating stack: Timeout'), node('b', physical_id='s2', index=2)],
     [stack('s1', 'a', 'CREATE_FAILED'), stack('s2', 'b')], True,
     {'node-a': ('ERROR: Failed in creating stack: Timeout', 's1')}, ['s1']),
    # ACTIVE for Senlin, but its stack was deleted out of band
    ([node('a', physical_id='gone'), node('b', physical_id='s2', index=2)], [stack('s2', 'b')], True,
     {'node-a': ('its Heat stack gone is gone', None)}, []),
    # ACTIVE for Senlin, stack failed (e.g. a later update)
    ([node('a', physical_id='s1')], [stack('s1', 'a', 'UPDATE_FAILED')], True,
     {'node-a': ('its Heat stack st-s1 is UPDATE_FAILED', 's1')}, []),
    # not a Heat profile: only Senlin's status counts, and no stack is looked at
    ([node('a', physical_id='srv1'), node('b', 'ERROR', physical_id='srv2', reason='boom', index=2)], [], False,
     {'node-b': ('ERROR: boom', None)}, []),
    # a node in transition is neither broken nor are its stacks orphans
    ([node('a', 'RECOVERING', physical_id='s1')], [stack('s1', 'a', 'DELETE_IN_PROGRESS'), stack('s9', 'a')], True,
     {}, []),
    # an orphan that is being deleted already is not listed; one no node knows is
    ([node('a', physical_id='s1')],
     [stack('s1', 'a'), stack('s7', 'x', 'DELETE_IN_PROGRESS'), stack('s8', 'x', 'CREATE_FAILED')], True, {}, ['s8']),
])
def test_assess_nodes(nodes, stacks, heat, broken, orphans):
    problems, orphan_stacks = assess_nodes(nodes, stacks, heat)
    assert dict((p.name, (p.why, (p.stack or {}).get('id'))) for p in problems) == broken
    assert [s['id'] for s in orphan_stacks] == orphans


def test_describe_problem_with_heat_reason():
    problem = NodeProblem(node('a', 'ERROR', reason='Failed in creating stack: Timeout'), 'ERROR: x',
                          stack('s1', 'a', 'CREATE_FAILED'))
    problem.stack_failure = 'CREATE_FAILED: Resource CREATE failed: ValueError: Test Resource failed'
    assert describe_problem(problem) == (
        'node node-a (stack s1): CREATE_FAILED: Resource CREATE failed: ValueError: Test Resource failed; '
        'Senlin: ERROR: x')
    assert describe_problem(NodeProblem(node('b'), 'it has no Heat stack')) == \
        'node node-b: it has no Heat stack'


class FakeHeat(object):
    """The HeatApi calls the health code makes: stacks by tag, failure details, delete, get."""

    def __init__(self, stacks, resources=None, by_id=None):
        self.stacks = stacks          # list, or a list of lists (one per call)
        self.by_id = by_id or {}      # stacks found only by id (their tags were dropped)
        self.gets = []
        self.resource_map = resources or {}
        self.deleted = []
        self.queries = []

    def list_stacks(self, query=None):
        self.queries.append(query)
        if self.stacks and isinstance(self.stacks[0], list):
            return self.stacks.pop(0) if len(self.stacks) > 1 else self.stacks[0]
        return self.stacks

    def resources(self, stack, nested_depth=0):
        return self.resource_map.get(stack["id"], [])

    def events(self, stack, query=''):
        return []

    def find_stack(self, name_or_id, resolve_outputs=True, include_deleted=False):
        self.gets.append(name_or_id)
        return self.by_id.get(name_or_id)

    def delete_stack(self, stack):
        self.deleted.append(stack['id'])

    def get_stack(self, stack, resolve_outputs=True, include_deleted=False):
        return None if stack['id'] in self.deleted else stack


def health_client(clock, nodes_pages, heat, actions=None, wait=True, extra_routes=None):
    routes = {('GET', '/nodes?cluster_id=%s' % CID): [FakeResponse(200, {'nodes': page}) for page in nodes_pages],
              ('POST', '/nodes/a/actions'): FakeResponse(202, {'action': 'ra'})}
    routes.update(extra_routes or {})
    proxy = FakeProxy(routes, actions or {'ra': [FakeAction('RUNNING'), FakeAction('SUCCEEDED')]})
    client = client_for(clock, proxy, wait=wait)
    client._heat = heat
    return client, proxy


CLUSTER = dict(id=CID, name='web')


def test_converge_health_check_mode_predicts_without_writes(clock):
    heat = FakeHeat([stack('s1', 'a', 'CREATE_FAILED', reason='Resource CREATE failed: boom'), stack('s2', 'b')])
    client, proxy = health_client(clock, [[node('a', 'ERROR', reason='Timeout'), node('b', physical_id='s2', index=2)]],
                                  heat)
    diff = Difference()
    report = converge_health(client, CLUSTER, diff, True, check_mode=True)
    assert [m for m, _p, _b in proxy.calls if m != 'GET'] == [] and heat.deleted == []
    assert diff.diff() == {'before': {'nodes': {'node-a': 'ERROR: Timeout'}, 'failed_stacks': ['st-s1']},
                           'after': {'nodes': {'node-a': 'ACTIVE (recreated)'}, 'failed_stacks': []}}
    result = report.result()
    assert [n['name'] for n in result['repaired_nodes']] == ['node-a']
    assert [s['id'] for s in result['removed_stacks']] == ['s1']


def test_converge_health_recreates_and_removes_the_failed_stack(clock):
    before = [node('a', 'ERROR', reason='Timeout'), node('b', physical_id='s2', index=2)]
    after = [node('a', physical_id='s3'), node('b', physical_id='s2', index=2)]
    heat = FakeHeat([[stack('s1', 'a', 'CREATE_FAILED', reason='Resource CREATE failed: boom'), stack('s2', 'b')],
                     [stack('s1', 'a', 'CREATE_FAILED'), stack('s2', 'b'), stack('s3', 'a', created='2026-02')]])
    client, proxy = health_client(clock, [before, after], heat)
    diff = Difference()
    report = converge_health(client, CLUSTER, diff, True)
    assert ('POST', '/nodes/a/actions', {'recover': {'operation': 'RECREATE'}}) in proxy.calls
    assert client.actions == [dict(id='ra', name='NODE_RECOVER', target='a', status='SUCCEEDED')]
    assert heat.deleted == ['s1']
    assert report.repaired[0].stack_failure == 'CREATE_FAILED: Resource CREATE failed: boom'
    assert diff.changed


def test_converge_health_fails_with_every_reason_when_the_recreated_node_fails_again(clock):
    broken = [node('a', 'ERROR', reason='Failed in creating stack: Timeout waiting for Stack')]
    heat = FakeHeat([stack('s1', 'a', 'CREATE_FAILED', reason='Resource CREATE failed: ValueError: Test Resource')])
    client, proxy = health_client(clock, [broken, broken], heat,
                                  actions={'ra': [FakeAction('FAILED', 'Node recover failed.', name='NODE_RECOVER',
                                                             target_id='a')]})
    with pytest.raises(ResourceFailed) as err:
        converge_health(client, CLUSTER, Difference(), True)
    msg = err.value.msg
    assert msg.startswith("Cluster 'web' could not be made healthy")
    assert 'node node-a (stack s1): CREATE_FAILED: Resource CREATE failed: ValueError: Test Resource' in msg
    assert 'Senlin: ERROR: Failed in creating stack: Timeout waiting for Stack' in msg
    assert err.value.details['failed_nodes'][0]['stack_status'] == 'CREATE_FAILED'
    assert heat.deleted == ['s1']   # the failed stack is not left behind


def test_converge_health_keep_failed_lists_instead_of_deleting(clock):
    heat = FakeHeat([stack('s1', 'x', 'CREATE_FAILED'), stack('s2', 'b')])
    client, _proxy = health_client(clock, [[node('b', physical_id='s2')]], heat)
    diff = Difference()
    report = converge_health(client, CLUSTER, diff, True, keep_failed=True)
    assert heat.deleted == [] and not diff.changed
    assert [s['id'] for s in report.result()['failed_stacks']] == ['s1']


def test_converge_health_repair_false_fails_without_writes(clock):
    heat = FakeHeat([stack('s2', 'b')])
    client, proxy = health_client(clock, [[node('a', physical_id='gone'), node('b', physical_id='s2', index=2)]], heat)
    with pytest.raises(ResourceFailed) as err:
        converge_health(client, CLUSTER, Difference(), True, repair=False)
    assert err.value.msg == "Cluster 'web' has broken nodes (repair=false): node node-a: its Heat stack gone is gone"
    assert [m for m, _p, _b in proxy.calls if m != 'GET'] == []


def test_failed_cluster_action_names_nodes_with_heat_reasons(clock):
    """Senlin 16 leaves depends_on empty: the failed nodes come from the cluster's node list and Heat."""
    heat = FakeHeat([stack('s1', 'a', 'CREATE_FAILED', reason='Resource CREATE failed: ValueError: Test Resource'),
                     stack('s2', 'b')])
    client, _proxy = health_client(
        clock, [[node('a', 'ERROR', reason='Failed in creating stack: Timeout'), node('b', physical_id='s2', index=2)]],
        heat, actions={'c1': [FakeAction('FAILED', 'Failed in creating nodes.', name='CLUSTER_CREATE')]},
        extra_routes={('POST', '/clusters'): FakeResponse(202, {'cluster': {'id': CID}, 'action': 'c1'}),
                      ('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': dict(CLUSTER)})})
    with pytest.raises(ResourceFailed) as err:
        client.write('POST', '/clusters', {'cluster': {}}, 'CLUSTER_CREATE', CID)
    assert err.value.msg == (
        'CLUSTER_CREATE (action c1) failed: FAILED: Failed in creating nodes. [failed: node node-a (stack s1): '
        'CREATE_FAILED: Resource CREATE failed: ValueError: Test Resource; Senlin: ERROR: Failed in creating stack: '
        'Timeout]')
    assert heat.queries == [{'tags': 'cluster_id=%s' % CID}]


def test_stacks_whose_tags_senlin_dropped_are_found_by_id(clock):
    """After a profile update Senlin 16 updates the stacks without their tags: not a reason to recreate."""
    untagged = dict(stack('s1', 'a', 'UPDATE_COMPLETE'), tags=[])
    heat = FakeHeat([stack('s2', 'b')], by_id={'s1': untagged})
    client, proxy = health_client(clock, [[node('a', physical_id='s1'), node('b', physical_id='s2', index=2),
                                           node('c', physical_id='gone', index=3)]], heat)
    problems, orphans = client.cluster_health(CLUSTER, True)
    assert [p.name for p in problems] == ['node-c'] and orphans == []
    assert heat.gets == ['s1', 'gone']
