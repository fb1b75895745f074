# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two runs at once (issue 10 #10): both found nothing and both create; the fake Senlin holds the other run's
object (older, the same second, or newer) and each run must end on one object, deleting only its own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.cluster import (
    DesiredCluster, apply_cluster, plan_cluster)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import (
    MARKER_KEY, SETTLE_SECONDS, report_twins)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.receiver import (
    DesiredReceiver, apply_receiver, plan_receiver)
from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import client_for, heat_spec
from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin_create import FakeSenlin

CLUSTER = {'id': 'cluster-9', 'name': 'c'}
HOOK = dict(name='hook', type='webhook', cluster_id='cluster-9', action='CLUSTER_SCALE_OUT', params={})


class RacingSenlin(FakeSenlin):
    """``on_list[n]``: a callable run before the n-th listing of receivers/clusters (another run's create
    landing while this run looks)."""

    def __init__(self):
        super(RacingSenlin, self).__init__()
        self.on_list = {}
        self.lists = 0

    def _answer(self, method, path, body):
        if method == 'GET' and '?name=' in path:
            self.lists += 1
            hook = self.on_list.pop(self.lists, None)
            if hook:
                hook()
        return super(RacingSenlin, self)._answer(method, path, body)


@pytest.fixture
def senlin():
    return RacingSenlin()


def create_receiver(client, **params):
    desired = DesiredReceiver.from_params(dict(name='hook', action='CLUSTER_SCALE_OUT', state='present', **params))
    return apply_receiver(client, None, plan_receiver(None, desired, CLUSTER))


def ids(senlin, many, name):
    return [o['id'] for o in senlin.named(many, name)]


# -- receivers: no metadata, same name + same content ----------------------------------------------------

def test_an_older_twin_receiver_is_adopted_and_ours_deleted(senlin, clock):
    theirs = senlin.add('receivers', **HOOK)          # the other run's create landed first
    client = client_for(clock, senlin)
    got = create_receiver(client)
    assert got['id'] == theirs['id']
    assert ids(senlin, 'receivers', 'hook') == [theirs['id']]
    assert [kind for kind, _obj in client.twins] == ['receiver']
    warnings = []
    report_twins(client, warnings.append)
    assert warnings == ["Another run created receiver 'hook' at the same time: this run deleted its own and uses the "
                        "older one."]          # a webhook's id is its secret: not named


def test_a_same_named_receiver_of_other_content_is_no_twin(senlin, clock):
    other = senlin.add('receivers', **dict(HOOK, action='CLUSTER_SCALE_IN'))
    got = create_receiver(client_for(clock, senlin))
    assert got['id'] != other['id'] and len(ids(senlin, 'receivers', 'hook')) == 2


def test_a_newer_twin_is_left_to_its_own_run(senlin, clock):
    senlin.on_list[1] = lambda: senlin.add('receivers', **HOOK)   # the other run's create landed after ours
    client = client_for(clock, senlin)
    got = create_receiver(client)
    assert len(ids(senlin, 'receivers', 'hook')) == 2 and got['id'] == ids(senlin, 'receivers', 'hook')[0]
    assert client.twins == []
    # the other run, looking now, finds ours older and deletes its own
    other = client_for(clock, senlin)
    assert create_receiver(other)['id'] == got['id']


def test_a_twin_of_the_same_second_stored_after_our_first_look_is_seen_at_the_last(senlin, clock):
    """Senlin's times have seconds only: a twin of the same second with a smaller id is older for both runs;
    it may be stored after this run's first look, so the last look is taken SETTLE_SECONDS after the create."""
    def twin():
        ours = senlin.named('receivers', 'hook')[0]
        senlin.objects['receivers'].append(dict(HOOK, id='receiver-0', init_at=ours['init_at'], metadata={}))
    senlin.on_list[2] = twin
    client = client_for(clock, senlin)
    got = create_receiver(client)
    assert got['id'] == 'receiver-0' and ids(senlin, 'receivers', 'hook') == ['receiver-0']
    assert sum(clock.sleeps) >= SETTLE_SECONDS


# -- clusters from a profile_spec: a token of this collection, the oldest stays ---------------------------

def cluster_plan():
    desired = DesiredCluster.from_params(dict(name='web', state='present', profile_spec=heat_spec(),
                                              desired_capacity=1))
    return plan_cluster(None, desired)


def their_cluster(senlin, profile_spec=None):
    profile = senlin.add('profiles', name='web', spec=profile_spec or heat_spec(), metadata={MARKER_KEY: 'theirs'})
    cluster = senlin.add('clusters', name='web', profile_id=profile['id'], status='CREATING',
                         metadata={MARKER_KEY: 'theirs'})
    senlin.actions.append(dict(id='act-theirs', target=cluster['id'], action='CLUSTER_CREATE', created_at='t0'))
    return profile, cluster


def test_an_older_twin_cluster_and_profile_are_adopted(senlin, clock):
    profile, cluster = their_cluster(senlin)
    client = client_for(clock, senlin)
    got = apply_cluster(client, None, cluster_plan())
    assert got['id'] == cluster['id'] and got['profile_id'] == profile['id']
    assert ids(senlin, 'clusters', 'web') == [cluster['id']]
    assert ids(senlin, 'profiles', 'web') == [profile['id']]
    assert [kind for kind, _obj in client.twins] == ['profile', 'cluster']
    # the run waited on the adopted cluster's create (and on its own before deleting it), not reported as its own
    assert [(a['id'], a['status']) for a in client.actions] == [('act-theirs', 'SUCCEEDED')]


def test_the_run_whose_cluster_goes_deletes_its_own_profile_too(senlin, clock):
    """Both runs kept their profile (the other's was not seen yet): the adopted cluster uses the other one."""
    other_spec = heat_spec()
    profile, cluster = their_cluster(senlin)
    profile['spec'] = dict(other_spec, version='1.1')   # not seen as a twin of ours
    client = client_for(clock, senlin)
    got = apply_cluster(client, None, cluster_plan())
    assert got['id'] == cluster['id']
    assert ids(senlin, 'clusters', 'web') == [cluster['id']]
    assert ids(senlin, 'profiles', 'web') == [profile['id']]


def test_a_cluster_made_by_hand_is_never_touched(senlin, clock):
    by_hand = senlin.add('clusters', name='web', status='ACTIVE')
    got = apply_cluster(client_for(clock, senlin), None, cluster_plan())
    assert got['id'] != by_hand['id'] and by_hand['id'] in ids(senlin, 'clusters', 'web')


# -- a 5xx that is Senlin's own answer is no lost answer --------------------------------------------------

def test_senlin_own_500_is_raised_as_is_not_as_a_lost_answer(clock):
    """A message receiver without Zaqar: Senlin answers 500 EResourceCreation (its error body); the task fails
    with Senlin's message, not with "got no answer" (the receiver target checks 'message service')."""
    from openstack import exceptions as sdk_exceptions
    from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import (
        FakeProxy, FakeResponse)
    error = {'code': 500, 'error': {'code': 500, 'type': 'EResourceCreation', 'message':
                                    'Failed in creating queue: public endpoint for message service not found.'}}
    proxy = FakeProxy({('POST', '/receivers'): FakeResponse(500, error)})
    desired = DesiredReceiver.from_params(dict(name='m', type='message', state='present'))
    with pytest.raises(sdk_exceptions.HttpException) as err:
        apply_receiver(client_for(clock, proxy), None, plan_receiver(None, desired, None))
    assert 'message service' in str(err.value.details)
    assert [c[0] for c in proxy.calls] == ['POST']
