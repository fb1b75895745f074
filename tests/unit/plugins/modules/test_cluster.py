# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster module's run(): a create whose action fails on a node heals in the same run (a transient failure,
as the local cloud's Keystone race was), and fails with the reasons when nothing can be recreated."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from module_args import patch_module_args

from ansible_collections.cloudrise.openstack.plugins.modules import cluster
from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import (
    CID, FakeAction, FakeProxy, FakeResponse, client_for, heat_spec)
from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin_health import (
    FakeHeat, node, stack)

PROFILE = dict(id='p1', name='web', type='os.heat.stack-1.0', spec=heat_spec())
CLUSTER = dict(id=CID, name='web', status='WARNING', profile_id='p1', nodes=['a', 'b'], desired_capacity=2,
               min_size=0, max_size=-1, metadata={})


def run_cluster(clock, monkeypatch, capsys, proxy, heat, **args):
    """The module's JSON result, with the warnings it gave under ``_warned``."""
    client = client_for(clock, proxy)
    client._heat = heat
    warned = []
    monkeypatch.setattr(cluster, 'SenlinClient', lambda *a, **kw: client)
    monkeypatch.setattr(cluster.ClusterModule, 'conn', object())
    monkeypatch.setattr(cluster.ClusterModule, 'warn', lambda self, msg: warned.append(msg))
    params = dict(name='web', profile_spec=heat_spec(), desired_capacity=2, _ansible_diff=True)
    params.update(args)
    with patch_module_args(params):
        module = cluster.ClusterModule()
        with pytest.raises(SystemExit):
            module()
    return dict(json.loads(capsys.readouterr().out), _warned=warned)


def create_routes(nodes_pages, recover_action):
    return {
        ('GET', '/clusters?name=web'): [FakeResponse(200, {'clusters': []}),
                                        FakeResponse(200, {'clusters': [dict(CLUSTER)]})],
        ('GET', '/profiles?name=web'): FakeResponse(200, {'profiles': []}),
        ('POST', '/profiles/validate'): FakeResponse(200, {'profile': {}}),
        ('POST', '/profiles'): FakeResponse(201, {'profile': PROFILE}),
        ('GET', '/profiles/p1'): FakeResponse(200, {'profile': PROFILE}),
        ('POST', '/clusters'): FakeResponse(202, {'cluster': {'id': CID}, 'action': 'c1'}),
        ('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': dict(CLUSTER)}),
        ('GET', '/nodes?cluster_id=%s' % CID): [FakeResponse(200, {'nodes': page}) for page in nodes_pages],
        ('POST', '/nodes/a/actions'): FakeResponse(202, {'action': recover_action}),
    }


BROKEN = [node('a', 'ERROR', reason='Failed in creating stack: ForbiddenException: 403'),
          node('b', physical_id='s2', index=2)]
HEALED = [node('a', physical_id='s3'), node('b', physical_id='s2', index=2)]


def test_create_that_failed_on_a_node_is_healed_in_the_same_run(monkeypatch, capsys, clock):
    proxy = FakeProxy(create_routes([BROKEN, BROKEN, HEALED], 'r1'),
                      {'c1': [FakeAction('FAILED', 'Failed in creating nodes.', name='CLUSTER_CREATE')],
                       'r1': [FakeAction('SUCCEEDED', name='NODE_RECOVER', target_id='a')]})
    heat = FakeHeat([[stack('s2', 'b')], [stack('s2', 'b')], [stack('s2', 'b'), stack('s3', 'a')]])
    result = run_cluster(clock, monkeypatch, capsys, proxy, heat)
    assert result.get('failed') is not True, result
    assert result['changed'] is True
    assert [a['name'] for a in result['actions']] == ['CLUSTER_CREATE', 'NODE_RECOVER']
    assert [a['status'] for a in result['actions']] == ['FAILED', 'SUCCEEDED']
    assert [n['name'] for n in result['repaired_nodes']] == ['node-a']
    assert 'ForbiddenException: 403' in result['repaired_nodes'][0]['reason']
    assert len(result['_warned']) == 1
    assert 'CLUSTER_CREATE (action c1) failed' in result['_warned'][0]
    assert result['_warned'][0].endswith('The module recreated the failed nodes: node-a.')
    assert result['diff']['after']['nodes'] == {'node-a': 'ACTIVE (recreated)'}


def test_create_that_failed_with_every_node_fine_still_fails(monkeypatch, capsys, clock):
    fine = [node('a', physical_id='s1'), node('b', physical_id='s2', index=2)]
    proxy = FakeProxy(create_routes([fine, fine], 'r1'),
                      {'c1': [FakeAction('FAILED', 'Cluster timeout.', name='CLUSTER_CREATE')]})
    heat = FakeHeat([stack('s1', 'a'), stack('s2', 'b')])
    result = run_cluster(clock, monkeypatch, capsys, proxy, heat)
    assert result['failed'] is True
    assert result['msg'].startswith('CLUSTER_CREATE (action c1) failed: FAILED: Cluster timeout.')
    assert not [c for c in proxy.calls if c[1] == '/nodes/a/actions']
