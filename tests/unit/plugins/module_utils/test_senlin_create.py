# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creates without duplicates (issue 10 #8): a fake Senlin that keeps its objects and can lose the answer to a POST
after it made the object (a reset, a read timeout, a 5xx), or refuse the POST before; re-runs that find the
duplicates an interrupted create left behind."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from urllib.parse import parse_qsl

import pytest
from module_args import patch_module_args
from keystoneauth1 import exceptions as ksa_exceptions

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import Ambiguous, ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.cluster import (
    DesiredCluster, apply_cluster, plan_cluster)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import MARKER_KEY, remove_orphans
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.node import (
    DesiredNode, NodeState, apply_node, plan_node)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.policy import (
    DesiredPolicy, PolicyState, apply_policy, plan_policy)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.profile import (
    DesiredProfile, apply_profile, create_profile, plan_profile)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.receiver import (
    DesiredReceiver, apply_receiver, plan_receiver)
from ansible_collections.cloudrise.openstack.plugins.modules import cluster_profile
from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import (
    FakeAction, FakeConn, FakeResponse, client_for, heat_spec)

KINDS = {'clusters': 'cluster', 'nodes': 'node', 'profiles': 'profile', 'policies': 'policy', 'receivers': 'receiver'}
ACTION_OF = {'clusters': 'CLUSTER_CREATE', 'nodes': 'NODE_CREATE'}


class FakeSenlin(object):
    """A Senlin that keeps its objects. ``lose[(method, path)]``: a list of faults for the next such requests,
    each ``'reset-after'`` / ``'timeout-after'`` / ``'503-after'`` (the object is made, the answer lost) or
    ``'refused'`` / ``'503-before'`` (nothing is made)."""

    def __init__(self):
        self.objects = dict((many, []) for many in KINDS)
        self.bindings = {}
        self.actions = []
        self.lose = {}
        self.calls = []
        self.tick = 0

    # -- the service ---------------------------------------------------------------------------------
    def add(self, many, **obj):
        self.tick += 1
        obj.setdefault('id', '%s-%d' % (KINDS[many], self.tick))
        obj.setdefault('init_at', '2024-01-01T00:00:%02dZ' % self.tick)
        obj.setdefault('metadata', {})
        if many == 'nodes' and obj.get('cluster_id'):
            obj['name'] = 'node-%08d' % self.tick    # Senlin names a node made in a cluster itself
        self.objects[many].append(obj)
        return obj

    def named(self, many, name=None):
        return [o for o in self.objects[many] if name is None or o.get('name') == name]

    def request(self, path, method, json=None, **kwargs):
        self.calls.append((method, path, json))
        faults = self.lose.get((method, path)) or []
        fault = faults.pop(0) if faults else None
        if fault in ('refused', '503-before'):
            return self._fail(fault)
        response = self._answer(method, path, json)
        if fault:
            return self._fail(fault)
        return response

    def _fail(self, fault):
        if fault == 'refused':
            raise ksa_exceptions.ConnectFailure('Connection refused')
        if fault == 'reset-after':
            raise ksa_exceptions.ConnectFailure('Connection reset by peer')
        if fault == 'timeout-after':
            raise ksa_exceptions.ConnectTimeout('Read timed out')
        return FakeResponse(503, {'error': {'message': 'Service Unavailable'}})

    def _answer(self, method, path, body):
        route, _sep, query = path.partition('?')
        parts = route.strip('/').split('/')
        query = dict(parse_qsl(query))
        many = parts[0]
        if method == 'POST' and len(parts) == 1 and many in KINDS:
            one = KINDS[many]
            obj = self.add(many, **dict(body[one], status='INIT' if many in ACTION_OF else 'ACTIVE'))
            if many in ACTION_OF:
                self.tick += 1
                action = dict(id='act-%d' % self.tick, target=obj['id'], action=ACTION_OF[many],
                              created_at='t%d' % self.tick)
                self.actions.append(action)
                return FakeResponse(202, {one: dict(obj)}, headers={'Location': '/v1/actions/%s' % action['id']})
            return FakeResponse(201, {one: dict(obj)})
        if method == 'GET' and many == 'actions':
            found = [a for a in self.actions if a['target'] == query.get('target') and a['action'] == query.get('action')]
            return FakeResponse(200, {'actions': found})
        if method == 'GET' and many == 'clusters' and len(parts) == 3 and parts[2] == 'policies':
            return FakeResponse(200, {'cluster_policies': self.bindings.get(parts[1], [])})
        if method == 'GET' and len(parts) == 1:
            found = [o for o in self.objects[many]
                     if all(o.get(k) == v for k, v in query.items() if k in ('name', 'cluster_id'))]
            return FakeResponse(200, {many: [dict(o) for o in found]})
        matches = [o for o in self.objects.get(many, []) if len(parts) > 1 and o['id'] == parts[1]]
        if not matches:
            return FakeResponse(404, {'error': {'message': 'not found'}})
        obj = matches[0]
        if method == 'GET':
            return FakeResponse(200, {KINDS[many]: dict(obj)})
        if method == 'PATCH':
            obj.update(body[KINDS[many]])
            return FakeResponse(200, {KINDS[many]: dict(obj)})
        if method == 'DELETE':
            self.objects[many].remove(obj)
            return FakeResponse(204)
        return FakeResponse(405, {'error': {'message': 'unexpected %s %s' % (method, path)}})

    def get_action(self, action_id):
        return FakeAction('SUCCEEDED', name='CREATE')

    def posts(self, path):
        return [c for c in self.calls if c[0] == 'POST' and c[1] == path]


@pytest.fixture
def senlin():
    return FakeSenlin()


def profile_plan(name='web', spec=None, metadata=None):
    desired = DesiredProfile.from_params(dict(name=name, spec=spec or heat_spec(), metadata=metadata, state='present'))
    return plan_profile(None, desired)


# -- a lost answer: looked up, never a duplicate --------------------------------------------------------

@pytest.mark.parametrize('fault', ['reset-after', 'timeout-after', '503-after'])
def test_profile_create_whose_answer_is_lost_is_found_not_duplicated(senlin, clock, fault):
    senlin.lose[('POST', '/profiles')] = [fault]
    client = client_for(clock, senlin)
    profile = apply_profile(client, None, profile_plan(metadata={'team': 'a'}))
    assert len(senlin.named('profiles', 'web')) == 1
    assert len(senlin.posts('/profiles')) == 1
    assert profile['id'] == senlin.named('profiles', 'web')[0]['id']
    assert profile['metadata'] == {'team': 'a'}          # the token is not shown


@pytest.mark.parametrize('fault', ['refused', '503-before'])
def test_profile_create_that_never_arrived_is_sent_again_once(senlin, clock, fault):
    senlin.lose[('POST', '/profiles')] = [fault]
    client = client_for(clock, senlin)
    profile = apply_profile(client, None, profile_plan())
    assert [o['id'] for o in senlin.named('profiles', 'web')] == [profile['id']]
    posts = senlin.posts('/profiles')
    assert len(posts) == 2
    assert posts[0][2]['profile']['metadata'][MARKER_KEY] == posts[1][2]['profile']['metadata'][MARKER_KEY]


def test_profile_create_lost_twice_without_an_object_fails_clearly(senlin, clock):
    senlin.lose[('POST', '/profiles')] = ['refused', 'refused']
    with pytest.raises(ResourceFailed) as err:
        create_profile(client_for(clock, senlin), 'web', heat_spec())
    assert "Creating profile 'web' got no answer (ConnectFailure)" in err.value.msg
    assert 'nothing was created (the request was sent 2 times). Run the task again.' in err.value.msg
    assert senlin.named('profiles') == []


def test_each_create_has_its_own_token_and_reads_hide_it(senlin, clock):
    client = client_for(clock, senlin)
    one = create_profile(client, 'a', heat_spec(), {'k': 'v'})
    two = create_profile(client, 'b', heat_spec())
    tokens = [o['metadata'][MARKER_KEY] for o in senlin.objects['profiles']]
    assert len(set(tokens)) == 2 and all(len(t) == 32 for t in tokens)
    assert one['metadata'] == {'k': 'v'} and two['metadata'] == {}
    assert client.get('profile', one['id'])['metadata'] == {'k': 'v'}
    assert client.find('profile', 'a')['metadata'] == {'k': 'v'}
    # the hidden token is no metadata change
    desired = DesiredProfile.from_params(dict(name='a', metadata={'k': 'v'}, state='present'))
    assert not plan_profile(client.find('profile', 'a'), desired).changed


def test_cluster_create_whose_answer_is_lost_waits_on_its_action(senlin, clock):
    senlin.add('profiles', name='p', spec=heat_spec())
    senlin.lose[('POST', '/clusters')] = ['timeout-after']
    client = client_for(clock, senlin)
    desired = DesiredCluster.from_params(dict(name='web', state='present', profile='p', desired_capacity=1))
    plan = plan_cluster(None, desired, wanted_profile=senlin.named('profiles', 'p')[0])
    cluster = apply_cluster(client, None, plan)
    assert [o['id'] for o in senlin.named('clusters', 'web')] == [cluster['id']]
    assert len(senlin.posts('/clusters')) == 1
    assert client.actions == [dict(id=senlin.actions[0]['id'], name='CLUSTER_CREATE', target=cluster['id'],
                                   status='SUCCEEDED')]


def test_cluster_create_with_profile_spec_loses_both_answers(senlin, clock):
    senlin.lose[('POST', '/profiles')] = ['reset-after']
    senlin.lose[('POST', '/clusters')] = ['503-after']
    client = client_for(clock, senlin)
    desired = DesiredCluster.from_params(dict(name='web', state='present', profile_spec=heat_spec(), desired_capacity=1))
    cluster = apply_cluster(client, None, plan_cluster(None, desired))
    assert len(senlin.named('clusters', 'web')) == 1 and len(senlin.named('profiles', 'web')) == 1
    assert cluster['profile_id'] == senlin.named('profiles', 'web')[0]['id']


def test_node_made_in_a_cluster_is_found_by_its_token_although_senlin_renamed_it(senlin, clock):
    senlin.add('clusters', name='c', status='ACTIVE')
    senlin.add('nodes', name='other', cluster_id='cluster-1', status='ACTIVE')
    senlin.lose[('POST', '/nodes')] = ['reset-after']
    client = client_for(clock, senlin)
    desired = DesiredNode.from_params(dict(name='n1', state='present', profile='p', cluster='c'))
    plan = plan_node(NodeState(None, profile={'id': 'p', 'name': 'p'}, cluster=senlin.named('clusters', 'c')[0]), desired)
    node = apply_node(client, NodeState(None), plan)
    assert node['name'] == 'n1'
    assert len(senlin.objects['nodes']) == 2
    assert len(senlin.posts('/nodes')) == 1


def test_receiver_whose_answer_is_lost_is_found_by_its_content(senlin, clock):
    senlin.lose[('POST', '/receivers')] = ['reset-after']
    client = client_for(clock, senlin)
    desired = DesiredReceiver.from_params(dict(name='hook', action='CLUSTER_SCALE_OUT', params={'count': 1},
                                               state='present', hide_url=True))
    receiver = apply_receiver(client, None, plan_receiver(None, desired, {'id': 'cluster-9', 'name': 'c'}))
    assert [o['id'] for o in senlin.named('receivers', 'hook')] == [receiver['id']]
    assert len(senlin.posts('/receivers')) == 1


def test_receiver_or_policy_create_that_never_arrived_is_not_sent_again(senlin, clock):
    senlin.lose[('POST', '/receivers')] = ['503-before']
    client = client_for(clock, senlin)
    desired = DesiredReceiver.from_params(dict(name='hook', action='CLUSTER_SCALE_OUT', state='present'))
    with pytest.raises(ResourceFailed) as err:
        apply_receiver(client, None, plan_receiver(None, desired, {'id': 'cluster-9', 'name': 'c'}))
    assert "Creating receiver 'hook' got no answer (503 HttpException)" in err.value.msg
    assert len(senlin.posts('/receivers')) == 1 and senlin.named('receivers') == []


def test_policy_whose_answer_is_lost_is_found_by_its_spec(senlin, clock):
    spec = {'type': 'senlin.policy.deletion', 'version': '1.1', 'properties': {'criteria': 'OLDEST_FIRST'}}
    senlin.add('policies', name='del', spec=dict(spec, properties={'criteria': 'YOUNGEST_FIRST'}))  # not ours
    senlin.lose[('POST', '/policies')] = ['timeout-after']
    client = client_for(clock, senlin)
    desired = DesiredPolicy.from_params(dict(name='del', spec=spec, state='present', clusters=[]))
    plan = plan_policy(PolicyState(None, {}, {}, {}), desired)
    policy = apply_policy(client, PolicyState(None, {}, {}, {}), plan)
    assert policy['spec'] == spec
    assert len(senlin.posts('/policies')) == 1


# -- a re-run converges ------------------------------------------------------------------------------------

def two_profiles(senlin, newer_metadata):
    old = senlin.add('profiles', name='web', spec=heat_spec(), metadata={MARKER_KEY: 'a'})
    new = senlin.add('profiles', name='web', spec=heat_spec(), metadata=newer_metadata)
    return old, new


def test_rerun_keeps_the_oldest_and_deletes_our_unused_orphan(senlin, clock):
    old, new = two_profiles(senlin, {MARKER_KEY: 'b'})
    client = client_for(clock, senlin)
    assert client.find('profile', 'web')['id'] == old['id']
    diff = Difference()
    remove_orphans(client, diff, check_mode=True)
    assert diff.diff() == {'before': {'duplicates_removed': []}, 'after': {'duplicates_removed': ['profile %s' % new['id']]}}
    assert len(senlin.named('profiles', 'web')) == 2          # check mode deletes nothing
    client.find('profile', 'web')
    remove_orphans(client, Difference(), check_mode=False)
    assert [o['id'] for o in senlin.named('profiles', 'web')] == [old['id']]
    assert client.find('profile', 'web')['id'] == old['id'] and client.orphans == []


@pytest.mark.parametrize('newer_metadata, used', [({}, False), ({'team': 'x'}, False), ({MARKER_KEY: 'b'}, True)])
def test_duplicates_made_by_hand_or_in_use_stay_ambiguous(senlin, clock, newer_metadata, used):
    old, new = two_profiles(senlin, newer_metadata)
    if used:
        senlin.add('clusters', name='c', profile_id=new['id'])
    with pytest.raises(Ambiguous):
        client_for(clock, senlin).find('profile', 'web')
    assert len(senlin.named('profiles', 'web')) == 2


def test_cluster_orphan_with_a_receiver_or_policy_is_in_use(senlin, clock):
    senlin.add('clusters', name='web', metadata={MARKER_KEY: 'a'})
    new = senlin.add('clusters', name='web', metadata={MARKER_KEY: 'b'})
    senlin.bindings[new['id']] = [{'policy_id': 'p'}]
    with pytest.raises(Ambiguous):
        client_for(clock, senlin).find('cluster', 'web')
    senlin.bindings = {}
    assert client_for(clock, senlin).find('cluster', 'web')['name'] == 'web'


def run_profile_module(monkeypatch, capsys, client, **args):
    monkeypatch.setattr(cluster_profile, 'SenlinClient', lambda *a, **kw: client)
    monkeypatch.setattr(cluster_profile.ClusterProfileModule, 'conn', object())
    monkeypatch.setattr(cluster_profile.ClusterProfileModule, 'warn', lambda self, msg: None)
    params = dict(name='web', _ansible_diff=True)
    params.update(args)
    with patch_module_args(params):
        with pytest.raises(SystemExit):
            cluster_profile.ClusterProfileModule()()
    return json.loads(capsys.readouterr().out)


def test_module_rerun_after_a_lost_create_converges(senlin, clock, monkeypatch, capsys):
    old, new = two_profiles(senlin, {MARKER_KEY: 'b'})
    checked = run_profile_module(monkeypatch, capsys, client_for(clock, senlin), spec=heat_spec(), _ansible_check_mode=True)
    assert checked['changed'] is True and checked['profile']['id'] == old['id']
    first = run_profile_module(monkeypatch, capsys, client_for(clock, senlin), spec=heat_spec())
    assert first['changed'] is True, first
    assert first['diff']['after'] == {'duplicates_removed': ['profile %s' % new['id']]}
    assert first['profile']['id'] == old['id']
    again = run_profile_module(monkeypatch, capsys, client_for(clock, senlin), spec=heat_spec())
    assert again['changed'] is False and again['profile']['id'] == old['id']
    assert [o['id'] for o in senlin.named('profiles', 'web')] == [old['id']]


def test_fake_conn_is_the_senlin_proxy(senlin):
    assert FakeConn(senlin).clustering is senlin
