# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the Senlin planning and action handling, with a fake clustering proxy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED, looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, InvalidInput, NotFound, ResourceFailed, WaitTimeout)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import (
    ACTION_BACKOFF, SenlinClient, action_id_of, in_parallel)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.cluster import (
    DesiredCluster, apply_cluster, effective_sizes, plan_cluster, predicted_cluster, resize_body)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import spec_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.node import (
    DesiredNode, NodeState, plan_node, change_membership, check_can_join, check_can_leave)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.policy import (
    DesiredPolicy, PolicyState, plan_policy, apply_bindings, normalize_bindings, plan_bindings)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.profile import (
    DesiredProfile, plan_profile, MANAGED_KEY, delete_profile_if_unused, heat_parameter_only_change)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.receiver import (
    DesiredReceiver, apply_receiver, plan_receiver, receiver_url, redact_receiver)

CID = '11111111-2222-3333-4444-555555555555'
PID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'

HEAT_T1 = {'heat_template_version': '2016-10-14', 'resources': {'r': {'type': 'OS::Heat::RandomString'}}}
HEAT_T2 = {'heat_template_version': '2016-10-14', 'resources': {'r': {'type': 'OS::Heat::None'}}}


def heat_spec(template=None, **props):
    properties = dict(template=template or HEAT_T1)
    properties.update(props)
    return {'type': 'os.heat.stack', 'version': '1.0', 'properties': properties}


# -- fakes ------------------------------------------------------------------------------------------

class FakeResponse(object):
    def __init__(self, status=200, body=None, headers=None):
        self.status_code = status
        self._body = body
        self.headers = headers or {'content-type': 'application/json'}
        self.headers.setdefault('content-type', 'application/json')
        self.text = json.dumps(body) if body is not None else ''
        self.content = self.text.encode()
        self.reason = 'reason'
        self.url = 'http://senlin/v1'
        self.request = None

    def json(self):
        return self._body


class FakeAction(object):
    def __init__(self, status, reason=None, depends_on=None, name='CLUSTER_RESIZE', target_id=CID):
        self.status, self.status_reason, self.depends_on = status, reason, depends_on or []
        self.name, self.action, self.target_id = name, name, target_id


class FakeProxy(object):
    """Answers request(path, method) from a table; get_action from a list of states per action id."""

    def __init__(self, routes=None, actions=None):
        self.routes = routes or {}
        self.actions = dict((k, list(v)) for k, v in (actions or {}).items())
        self.calls = []

    def request(self, path, method, json=None, **kwargs):
        self.calls.append((method, path, json))
        answer = self.routes.get((method, path))
        if answer is None:
            return FakeResponse(404, {'error': {'message': 'not found: %s %s' % (method, path)}})
        if isinstance(answer, list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    def get_action(self, action_id):
        states = self.actions[action_id]
        return states.pop(0) if len(states) > 1 else states[0]


class FakeConn(object):
    def __init__(self, proxy):
        self.clustering = proxy


def client_for(clock, proxy, wait=True, timeout=60):
    """A SenlinClient on the fake proxy whose task deadline runs on the test's fake ``clock``."""
    return SenlinClient(FakeConn(proxy), wait=wait, deadline=clock.deadline(timeout))


def writes(proxy):
    return [(m, p) for m, p, _b in proxy.calls if m != 'GET']


# -- sizes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('desired, current, expected', [
    ({}, None, dict(min_size=0, max_size=-1, desired_capacity=0)),
    (dict(min_size=1), None, dict(min_size=1, max_size=-1, desired_capacity=1)),
    (dict(min_size=1, max_size=3, desired_capacity=2), None, dict(min_size=1, max_size=3, desired_capacity=2)),
    (dict(desired_capacity=3), dict(min_size=1, max_size=3, desired_capacity=1),
     dict(min_size=1, max_size=3, desired_capacity=3)),
    (dict(max_size=-1, desired_capacity=10), dict(min_size=1, max_size=3, desired_capacity=1),
     dict(min_size=1, max_size=-1, desired_capacity=10)),
    (dict(desired_capacity=0, min_size=0), dict(min_size=1, max_size=3, desired_capacity=1),
     dict(min_size=0, max_size=3, desired_capacity=0)),
])
def test_effective_sizes(desired, current, expected):
    assert effective_sizes(desired, current) == expected


@pytest.mark.parametrize('desired, current, message', [
    (dict(min_size=3, max_size=1), None, 'min_size (3) is greater than max_size (1).'),
    (dict(min_size=1, max_size=3, desired_capacity=5), None, 'desired_capacity (5) is outside [min_size 1, max_size 3]'),
    (dict(min_size=2, desired_capacity=1), None, 'desired_capacity (1) is outside [min_size 2, max_size unlimited]'),
    (dict(desired_capacity=0), dict(min_size=1, max_size=3, desired_capacity=1),
     "the others are the cluster's current values"),
    (dict(max_size=1), dict(min_size=0, max_size=3, desired_capacity=2), 'desired_capacity (2) is outside'),
    (dict(min_size=-1), None, 'min_size must be >= 0'),
    (dict(max_size=-2), None, 'max_size must be >= 0, or -1'),
])
def test_effective_sizes_errors(desired, current, message):
    with pytest.raises(InvalidInput) as err:
        effective_sizes(desired, current)
    assert message in err.value.msg


@pytest.mark.parametrize('eff, current, strict, expected', [
    (dict(min_size=1, max_size=3, desired_capacity=2), dict(min_size=1, max_size=3, desired_capacity=2), None, None),
    (dict(min_size=1, max_size=3, desired_capacity=3), dict(min_size=1, max_size=3, desired_capacity=2), None,
     dict(adjustment_type='EXACT_CAPACITY', number=3)),
    (dict(min_size=0, max_size=3, desired_capacity=2), dict(min_size=1, max_size=3, desired_capacity=2), True,
     dict(min_size=0, strict=True)),
    (dict(min_size=1, max_size=5, desired_capacity=1), dict(min_size=1, max_size=3, desired_capacity=2), False,
     dict(adjustment_type='EXACT_CAPACITY', number=1, max_size=5, strict=False)),
])
def test_resize_body(eff, current, strict, expected):
    assert resize_body(eff, current, strict) == expected


# -- action ids -------------------------------------------------------------------------------------

@pytest.mark.parametrize('headers, body, expected', [
    ({'Location': 'http://h:8778/v1/actions/abc-123'}, {'cluster': {}}, 'abc-123'),
    ({'location': '/v1/actions/x/'}, None, 'x'),
    ({}, {'action': 'a-1'}, 'a-1'),
    ({'Location': '/v1/clusters/c-1'}, {}, None),
    ({}, {'location': '/actions/b-2'}, 'b-2'),
    (None, None, None),
])
def test_action_id_of(headers, body, expected):
    assert action_id_of(headers, body) == expected


# -- specs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('desired, actual, equal', [
    (heat_spec(), heat_spec(), True),
    (dict(heat_spec(), version=1.0), heat_spec(), True),
    (heat_spec(timeout=2), heat_spec(timeout='2'), True),
    (heat_spec(HEAT_T2), heat_spec(), False),
    (heat_spec(parameters={'a': 1}), heat_spec(), False),
    (heat_spec(), None, False),
])
def test_spec_equal(desired, actual, equal):
    assert spec_equal(desired, actual) is equal


@pytest.mark.parametrize('old, new, expected', [
    (heat_spec(), heat_spec(parameters={'length': 9}), True),
    (heat_spec(timeout=2), heat_spec(timeout=3), True),
    (heat_spec(), heat_spec(HEAT_T2, parameters={'length': 9}), False),
    (heat_spec(), heat_spec(), False),
    ({'type': 'os.nova.server', 'version': '1.0', 'properties': {'a': 1}},
     {'type': 'os.nova.server', 'version': '1.0', 'properties': {'a': 2}}, False),
    (None, heat_spec(), False),
])
def test_heat_parameter_only_change(old, new, expected):
    assert heat_parameter_only_change(old, new) is expected


# -- cluster planning -------------------------------------------------------------------------------

def desired_cluster(**kw):
    base = dict(name='web', new_name=None, state='present', profile=None, profile_spec=None, profile_name=None,
                profile_only=False, min_size=None, max_size=None, desired_capacity=None, strict=None,
                cluster_timeout=None, metadata=None, config=None)
    base.update(kw)
    return DesiredCluster.from_params(base)


CURRENT = dict(id=CID, name='web', profile_id=PID, profile_name='web', min_size=1, max_size=3, desired_capacity=2,
               metadata={'a': '1'}, config={}, timeout=300, nodes=['n1', 'n2'], status='ACTIVE')
MANAGED = dict(id=PID, name='web', spec=heat_spec(), metadata={MANAGED_KEY: 'cloudrise.openstack.cluster'})


@pytest.mark.parametrize('kw, expect', [
    (dict(desired_capacity=2, min_size=1, max_size=3, metadata={'a': '1'}), dict(changed=False)),
    (dict(desired_capacity=3), dict(resize=dict(adjustment_type='EXACT_CAPACITY', number=3), update={})),
    (dict(desired_capacity=1, strict=False), dict(resize=dict(adjustment_type='EXACT_CAPACITY', number=1, strict=False))),
    (dict(metadata={'a': '2'}), dict(update={'metadata': {'a': '2'}}, resize=None)),
    (dict(new_name='web2'), dict(update={'name': 'web2'})),
    (dict(cluster_timeout=300, config={}), dict(changed=False)),
    (dict(profile_spec=heat_spec()), dict(changed=False)),
    (dict(profile_spec=heat_spec(HEAT_T2)), dict(update={'profile_id': None}, old_profile_id=PID)),
    (dict(profile_spec=heat_spec(HEAT_T2), profile_only=True),
     dict(update={'profile_id': None, 'profile_only': True})),
    (dict(profile_spec=heat_spec(parameters={'x': 1}), profile_only=True),
     dict(update={'profile_id': None, 'profile_only': True})),
    (dict(state='absent'), dict(delete=True)),
])
def test_plan_cluster_update(kw, expect):
    plan = plan_cluster(CURRENT, desired_cluster(**kw), current_profile=MANAGED)
    assert plan.changed is expect.get('changed', True)
    for key in ('resize', 'update', 'old_profile_id', 'delete'):
        if key in expect:
            assert getattr(plan, key) == expect[key]


def test_plan_cluster_refuses_heat_parameter_only_change():
    with pytest.raises(InvalidInput) as err:
        plan_cluster(CURRENT, desired_cluster(profile_spec=heat_spec(parameters={'x': 1})), current_profile=MANAGED)
    assert 'No template specified' in err.value.msg and 'profile_only=true' in err.value.msg


def test_plan_cluster_parameter_only_change_allowed_without_nodes():
    plan = plan_cluster(dict(CURRENT, nodes=[], desired_capacity=0, min_size=0),
                        desired_cluster(profile_spec=heat_spec(parameters={'x': 1})), current_profile=MANAGED)
    assert plan.update == {'profile_id': None}


def test_plan_cluster_existing_profile_switch():
    other = dict(id='p2', name='other', spec=heat_spec(HEAT_T2))
    plan = plan_cluster(CURRENT, desired_cluster(profile='other'), wanted_profile=other)
    assert plan.update == {'profile_id': 'p2'} and plan.old_profile_id is None
    assert plan.diff.diff() == {'before': {'profile': 'web'}, 'after': {'profile': 'other'}}


@pytest.mark.parametrize('wanted, new_profile, profile_id, old', [
    (None, True, None, None),
    (MANAGED, False, PID, None),
    (dict(MANAGED, spec=heat_spec(HEAT_T2)), True, None, PID),
    (dict(MANAGED, spec=heat_spec(HEAT_T2), metadata={}), True, None, None),
])
def test_plan_cluster_create_with_spec(wanted, new_profile, profile_id, old):
    plan = plan_cluster(None, desired_cluster(profile_spec=heat_spec(), desired_capacity=2, max_size=3),
                        wanted_profile=wanted)
    assert plan.create['desired_capacity'] == 2 and plan.create['min_size'] == 0 and plan.create['max_size'] == 3
    assert bool(plan.new_profile) is new_profile
    assert plan.create.get('profile_id') == profile_id
    assert plan.old_profile_id == old
    assert plan.diff.diff()['before'] == {'state': 'absent', 'attributes': None}


def test_predicted_cluster():
    plan = plan_cluster(CURRENT, desired_cluster(desired_capacity=3, metadata={'b': 1}))
    predicted = predicted_cluster(CURRENT, plan)
    assert plan.predicted == predicted
    assert predicted['desired_capacity'] == 3 and predicted['metadata'] == {'b': 1}
    assert CURRENT['desired_capacity'] == 2


# -- bindings ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('items, expected', [
    (['a', {'cluster': 'b', 'enabled': False}], [dict(cluster='a', enabled=True), dict(cluster='b', enabled=False)]),
    ([{'cluster': 'c', 'enabled': 'no'}], [dict(cluster='c', enabled=False)]),
    ([{'cluster': 'c'}], [dict(cluster='c', enabled=True)]),
    (None, []),
])
def test_normalize_bindings(items, expected):
    assert normalize_bindings(items) == expected


@pytest.mark.parametrize('items', [[{'enabled': True}], [{'cluster': 'a', 'enable': True}], [{'cluster': 'a', 'enabled': 'maybe'}]])
def test_normalize_bindings_errors(items):
    with pytest.raises(InvalidInput):
        normalize_bindings(items)


@pytest.mark.parametrize('desired, actual, purge, expected', [
    ({'a': True}, {}, False, ({'a': True}, {}, [])),
    ({'a': True}, {'a': True}, False, ({}, {}, [])),
    ({'a': False}, {'a': True}, False, ({}, {'a': False}, [])),
    ({'a': True}, {'a': True, 'b': False}, False, ({}, {}, [])),
    ({'a': True}, {'a': True, 'b': False}, True, ({}, {}, ['b'])),
    ({}, {'b': True, 'a': True}, True, ({}, {}, ['a', 'b'])),
])
def test_plan_bindings(desired, actual, purge, expected):
    assert plan_bindings(desired, actual, purge) == expected


# -- receivers --------------------------------------------------------------------------------------

RECEIVER = dict(id='r1', name='hook', type='webhook', cluster_id=CID, action='CLUSTER_SCALE_OUT',
                params={'count': '1'}, channel={'alarm_url': 'http://senlin/v1/webhooks/r1/trigger?V=2&count=1'})


def desired_receiver(**kw):
    base = dict(name='hook', type='webhook', cluster=None, action=None, params=None, hide_url=False, state='present')
    base.update(kw)
    return DesiredReceiver.from_params(base)


def test_redact_receiver():
    redacted = redact_receiver(RECEIVER, True)
    assert redacted['channel']['alarm_url'] == REDACTED
    assert RECEIVER['channel']['alarm_url'].startswith('http')
    assert redact_receiver(RECEIVER, False) is RECEIVER
    assert redact_receiver(dict(RECEIVER, channel={'queue_name': 'q'}), True)['channel'] == {'queue_name': 'q'}


@pytest.mark.parametrize('kw, cluster, expect', [
    (dict(action='CLUSTER_SCALE_OUT', params={'count': 1}), {'id': CID}, dict(changed=False)),
    (dict(action='CLUSTER_SCALE_OUT', params={'count': 2}), {'id': CID}, dict(update={'params': {'count': 2}})),
    (dict(action='CLUSTER_SCALE_IN'), None, dict(update={'action': 'CLUSTER_SCALE_IN'})),
    (dict(action='CLUSTER_SCALE_OUT'), {'id': 'other', 'name': 'o'}, dict(delete=True, create=True)),
    (dict(type='message'), None, dict(delete=True, create=True)),
    (dict(state='absent'), None, dict(delete=True, create=False)),
])
def test_plan_receiver(kw, cluster, expect):
    plan = plan_receiver(RECEIVER, desired_receiver(**kw), cluster)
    assert plan.changed is expect.get('changed', True)
    if 'update' in expect:
        assert plan.update == expect['update'] and plan.create is None and not plan.delete
    if 'create' in expect:
        assert (plan.create is not None) is expect['create'] and plan.delete is expect['delete']


def test_plan_receiver_replace_redacts_url_in_diff():
    plan = plan_receiver(RECEIVER, desired_receiver(action='CLUSTER_SCALE_OUT', hide_url=True), {'id': 'other'})
    diff = plan.diff.diff()
    assert diff['before']['alarm_url'] == REDACTED and diff['after']['alarm_url'] == REDACTED
    assert 'webhooks' not in json.dumps(diff)


@pytest.mark.parametrize('kw, cluster', [(dict(action='CLUSTER_SCALE_OUT'), None), (dict(), {'id': CID})])
def test_plan_receiver_webhook_needs_cluster_and_action(kw, cluster):
    with pytest.raises(InvalidInput):
        plan_receiver(None, desired_receiver(**kw), cluster)


def test_plan_receiver_message_needs_no_cluster():
    plan = plan_receiver(None, desired_receiver(type='message', params={'a': 1}), None)
    assert plan.create == {'name': 'hook', 'type': 'message', 'params': {'a': 1}}


def test_apply_receiver_message_with_fake_zaqar(clock):
    created = dict(id='m1', name='hook', type='message', params={},
                   channel={'queue_name': 'senlin-receiver-m1', 'subscription': 'sub'})
    proxy = FakeProxy({('POST', '/receivers'): FakeResponse(201, {'receiver': created}),
                       ('GET', '/receivers?name=hook'): FakeResponse(200, {'receivers': [created]})})
    client = client_for(clock, proxy)
    plan = plan_receiver(None, desired_receiver(type='message'), None)
    result = apply_receiver(client, None, plan)
    assert result['channel']['queue_name'] == 'senlin-receiver-m1'
    assert receiver_url(result) is None
    # then looked for a twin of a concurrent run (issue 10 #10): none
    assert [c for c in proxy.calls if c[0] != 'GET'] == [
        ('POST', '/receivers', {'receiver': {'name': 'hook', 'type': 'message', 'params': {}}})]


# -- client: writes and action waiting --------------------------------------------------------------

def test_write_waits_on_action_from_location_header(clock):
    proxy = FakeProxy(
        {('POST', '/clusters/%s/actions' % CID): FakeResponse(
            202, {'action': 'a1'}, {'Location': 'http://x/v1/actions/a1'})},
        {'a1': [FakeAction('READY'), FakeAction('RUNNING'), FakeAction('SUCCEEDED')]})
    client = client_for(clock, proxy)
    client.write('POST', '/clusters/%s/actions' % CID, {'resize': {}}, 'CLUSTER_RESIZE', CID)
    assert client.actions == [dict(id='a1', name='CLUSTER_RESIZE', target=CID, status='SUCCEEDED')]


def test_write_without_wait_records_action_only(clock):
    proxy = FakeProxy({('DELETE', '/clusters/%s' % CID): FakeResponse(202, None, {'Location': '/v1/actions/a9'})})
    client = client_for(clock, proxy, wait=False)
    client.write('DELETE', '/clusters/%s' % CID, None, 'CLUSTER_DELETE', CID)
    assert client.actions == [dict(id='a9', name='CLUSTER_DELETE', target=CID, status=None)]


def test_failed_action_reports_reason_and_failed_children(clock):
    proxy = FakeProxy(
        {('POST', '/clusters/%s/actions' % CID): FakeResponse(202, {'action': 'a1'})},
        {'a1': [FakeAction('FAILED', 'Failed in creating nodes.', depends_on=['c1', 'c2'])],
         'c1': [FakeAction('SUCCEEDED', name='NODE_CREATE', target_id='n1')],
         'c2': [FakeAction('FAILED', 'Failed in creating stack: timeout', name='NODE_CREATE', target_id='n2')]})
    client = client_for(clock, proxy)
    with pytest.raises(ResourceFailed) as err:
        client.write('POST', '/clusters/%s/actions' % CID, {'resize': {}}, 'CLUSTER_RESIZE', CID)
    assert 'FAILED: Failed in creating nodes.' in err.value.msg
    assert 'NODE_CREATE on n2: Failed in creating stack: timeout' in err.value.msg
    assert 'n1' not in err.value.msg


def test_action_wait_times_out(clock):
    proxy = FakeProxy({('POST', '/nodes/n1/actions'): FakeResponse(202, {'action': 'a1'})},
                      {'a1': [FakeAction('RUNNING', 'still going')]})
    client = client_for(clock, proxy, timeout=5)
    with pytest.raises(WaitTimeout) as err:
        client.write('POST', '/nodes/n1/actions', {'check': {}}, 'NODE_CHECK', 'n1')
    assert 'action a1' in err.value.msg and 'RUNNING' in err.value.msg


def test_error_body_raises_instead_of_being_returned(clock):
    from openstack import exceptions
    proxy = FakeProxy({('POST', '/nodes/n1/ops'): FakeResponse(
        400, {'code': 400, 'error': {'code': 400, 'message': "The requested operation 'reboot' is not supported"}})})
    client = client_for(clock, proxy)
    with pytest.raises(exceptions.BadRequestException) as err:
        client.write('POST', '/nodes/n1/ops', {'reboot': {}}, 'NODE_OPERATION', 'n1')
    assert 'not supported' in err.value.details
    assert client.actions == []


def test_locked_409_is_retried_then_succeeds(clock):
    locked = FakeResponse(409, {'error': {'message': 'The cluster (c) is locked by action x'}})
    proxy = FakeProxy({('POST', '/clusters/c/actions'): [locked, locked, FakeResponse(202, {'action': 'a1'})]},
                      {'a1': [FakeAction('SUCCEEDED')]})
    client = client_for(clock, proxy)
    client.write('POST', '/clusters/c/actions', {'check': {}}, 'CLUSTER_CHECK', 'c')
    assert len(proxy.calls) == 3 and client.actions[0]['status'] == 'SUCCEEDED'


# -- client: finding --------------------------------------------------------------------------------

@pytest.mark.parametrize('routes, ident, expected', [
    ({('GET', '/clusters?name=web'): FakeResponse(200, {'clusters': [{'id': 'c1', 'name': 'web'}]})}, 'web', 'c1'),
    ({('GET', '/clusters?name=web'): FakeResponse(200, {'clusters': [{'id': 'c1', 'name': 'webx'}]})}, 'web', None),
    ({('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': {'id': CID, 'name': 'x'}})}, CID, CID),
    ({('GET', '/clusters?name=' + CID): FakeResponse(200, {'clusters': []})}, CID, None),
])
def test_find(routes, ident, expected, clock):
    client = client_for(clock, FakeProxy(routes))
    found = client.find('cluster', ident)
    assert (found or {}).get('id') == expected


def test_find_ambiguous_lists_ids(clock):
    client = client_for(clock, FakeProxy({('GET', '/policies?name=p'): FakeResponse(
        200, {'policies': [{'id': 'b', 'name': 'p'}, {'id': 'a', 'name': 'p'}]})}))
    with pytest.raises(Ambiguous) as err:
        client.find('policy', 'p')
    assert "More than one policy is named 'p': a, b" in err.value.msg


def test_find_required(clock):
    client = client_for(clock, FakeProxy({('GET', '/profiles?name=p'): FakeResponse(200, {'profiles': []})}))
    with pytest.raises(NotFound) as err:
        client.find('profile', 'p', required=True)
    assert err.value.msg == "Profile 'p' does not exist."


@pytest.mark.parametrize('status, body, message', [
    (404, {'error': {'message': "The profile_type 'os.nope-1.0' could not be found."}}, 'could not be found'),
    (400, {'error': {'message': "'x' is not a Map"}}, "'x' is not a Map"),
])
def test_validate_spec_errors(status, body, message, clock):
    client = client_for(clock, FakeProxy({('POST', '/profiles/validate'): FakeResponse(status, body)}))
    with pytest.raises(InvalidInput) as err:
        client.validate_spec('profile', {'type': 'os.nope', 'version': '1.0', 'properties': {}})
    assert message in err.value.msg and "fails Senlin's validation" in err.value.msg


def test_validate_spec_shape(clock):
    client = client_for(clock, FakeProxy())
    with pytest.raises(InvalidInput):
        client.validate_spec('policy', {'properties': {}})


# -- nodes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('cluster, ok', [
    (dict(name='c', min_size=1, desired_capacity=1), False),
    (dict(name='c', min_size=1, desired_capacity=2), True),
    (dict(name='c', min_size=0, desired_capacity=1), True),
    (None, True),
])
def test_check_can_leave(cluster, ok):
    if ok:
        check_can_leave(cluster, {'name': 'n'}, 'deleted')
    else:
        with pytest.raises(InvalidInput) as err:
            check_can_leave(cluster, {'name': 'n'}, 'deleted')
        assert 'below its min_size 1' in err.value.msg


@pytest.mark.parametrize('cluster, ok', [
    (dict(name='c', max_size=1, desired_capacity=1), False),
    (dict(name='c', max_size=-1, desired_capacity=100), True),
    (dict(name='c', max_size=2, desired_capacity=1), True),
])
def test_check_can_join(cluster, ok):
    if ok:
        check_can_join(cluster, 'n')
    else:
        with pytest.raises(InvalidInput) as err:
            check_can_join(cluster, 'n')
        assert 'above its max_size 1' in err.value.msg


# -- apply: profile replacement order and cleanup ---------------------------------------------------

def test_apply_cluster_profile_switch_creates_updates_then_deletes_old(clock):
    proxy = FakeProxy({
        ('POST', '/profiles'): FakeResponse(201, {'profile': {'id': 'p-new', 'name': 'web'}}),
        ('PATCH', '/clusters/%s' % CID): FakeResponse(202, {'cluster': {}}, {'Location': '/v1/actions/a1'}),
        ('DELETE', '/profiles/%s' % PID): FakeResponse(204, None),
        ('GET', '/clusters/%s' % CID): FakeResponse(200, {'cluster': dict(CURRENT, profile_id='p-new')}),
    }, {'a1': [FakeAction('SUCCEEDED')]})
    plan = plan_cluster(CURRENT, desired_cluster(profile_spec=heat_spec(HEAT_T2)), current_profile=MANAGED)
    result = apply_cluster(client_for(clock, proxy), CURRENT, plan)
    assert writes(proxy) == [('POST', '/profiles'), ('PATCH', '/clusters/%s' % CID), ('DELETE', '/profiles/%s' % PID)]
    assert proxy.calls[1][2] == {'cluster': {'profile_id': 'p-new'}}
    assert result['profile_id'] == 'p-new'


def test_apply_cluster_failed_update_removes_the_new_profile(clock):
    proxy = FakeProxy({
        ('POST', '/profiles'): FakeResponse(201, {'profile': {'id': 'p-new', 'name': 'web'}}),
        ('PATCH', '/clusters/%s' % CID): FakeResponse(202, {'cluster': {}}, {'Location': '/v1/actions/a1'}),
        ('DELETE', '/profiles/p-new'): FakeResponse(204, None),
    }, {'a1': [FakeAction('FAILED', 'boom')]})
    plan = plan_cluster(CURRENT, desired_cluster(profile_spec=heat_spec(HEAT_T2)), current_profile=MANAGED)
    with pytest.raises(ResourceFailed):
        apply_cluster(client_for(clock, proxy), CURRENT, plan)
    assert writes(proxy)[-1] == ('DELETE', '/profiles/p-new')


def test_delete_profile_in_use_is_kept_with_warning(clock):
    proxy = FakeProxy({('DELETE', '/profiles/p1'): FakeResponse(
        409, {'error': {'message': 'The profile (p1) is still in use.'}})})
    warnings = []
    assert delete_profile_if_unused(client_for(clock, proxy), 'p1', warnings.append) is False
    assert 'still in use' in warnings[0]


def test_apply_bindings_order(clock):
    proxy = FakeProxy(dict((('POST', '/clusters/%s/actions' % c), FakeResponse(202, {'action': 'a'}))
                           for c in ('c1', 'c2', 'c3')), {'a': [FakeAction('SUCCEEDED')]})
    client = client_for(clock, proxy)
    apply_bindings(client, 'pol', {'c3': True}, {'c2': False}, ['c1'])
    assert [b for _m, _p, b in proxy.calls] == [
        {'policy_detach': {'policy_id': 'pol'}},
        {'policy_update': {'policy_id': 'pol', 'enabled': False}},
        {'policy_attach': {'policy_id': 'pol', 'enabled': True}}]
    assert [a['name'] for a in client.actions] == ['CLUSTER_DETACH_POLICY', 'CLUSTER_UPDATE_POLICY',
                                                   'CLUSTER_ATTACH_POLICY']


def test_failed_join_restores_desired_capacity(clock):
    cluster = dict(id='c', name='a', nodes=[], desired_capacity=1, min_size=0, max_size=3)
    proxy = FakeProxy({
        ('POST', '/clusters/c/actions'): [FakeResponse(202, {'action': 'add'}), FakeResponse(202, {'action': 'fix'})],
        ('GET', '/clusters/c'): FakeResponse(200, {'cluster': cluster}),
    }, {'add': [FakeAction('FAILED', 'Action execution failed')], 'fix': [FakeAction('SUCCEEDED')]})
    client = client_for(clock, proxy)
    with pytest.raises(ResourceFailed) as err:
        change_membership(client, {'id': 'n', 'name': 'n'}, 'c', {'add_nodes': {'nodes': ['n']}},
                          'CLUSTER_ADD_NODES', True)
    assert 'No template specified' in err.value.msg
    assert 'desired_capacity 1 for 0 node(s); the module set it back to 0.' in err.value.msg
    assert proxy.calls[-1][2] == {'resize': {'adjustment_type': 'EXACT_CAPACITY', 'number': 0}}


def test_a_cluster_action_failed_by_its_child_is_waited_on_until_it_ends_itself(clock):
    # Senlin 16 marks the cluster action FAILED ('Action execution failed') when a node action fails, while the
    # cluster action still runs and only then updates the cluster and sets its own reason
    proxy = FakeProxy({}, {'del': [FakeAction('RUNNING'), FakeAction('FAILED', 'Action execution failed'),
                                   FakeAction('FAILED', 'Action execution failed'),
                                   FakeAction('FAILED', 'Failed in deleting nodes: node n1 failed leaving.')]})
    client = client_for(clock, proxy)
    polls = []
    original = proxy.get_action
    proxy.get_action = lambda aid: polls.append(aid) or original(aid)
    with pytest.raises(ResourceFailed) as err:
        client.wait_action('del', 'CLUSTER_DEL_NODES')
    assert 'Failed in deleting nodes: node n1 failed leaving.' in err.value.msg
    assert len(polls) == 4


@pytest.mark.parametrize('running, longest', [
    (5, 0.25),     # a short action: 0.1, 0.15, 0.225, then every 0.25 s
    (200, 0.25),   # still 0.25 s at 50 s
    (400, 1.0),    # after a minute: every second, never _wait.DEFAULT_BACKOFF's 5 s
])
def test_action_polls_stay_short_so_the_answer_follows_the_end_closely(clock, running, longest):
    proxy = FakeProxy({}, {'a': [FakeAction('RUNNING')] * running + [FakeAction('SUCCEEDED')]})
    client = client_for(clock, proxy, timeout=3600)
    assert client.wait_action('a', 'CLUSTER_RESIZE').status == 'SUCCEEDED'
    assert [round(pause, 3) for pause in clock.sleeps[:3]] == [0.1, 0.15, 0.225] and max(clock.sleeps) == longest
    assert all(pause <= 0.25 for pause, at in zip(clock.sleeps, _elapsed(clock.sleeps)) if at < 60)


def _elapsed(pauses):
    """The time each pause starts at."""
    at, starts = 0.0, []
    for pause in pauses:
        starts.append(at)
        at += pause
    return starts


def test_action_backoff_caps(clock):
    gen = ACTION_BACKOFF.intervals(clock)
    assert [round(next(gen), 3) for dummy in range(5)] == [0.1, 0.15, 0.225, 0.25, 0.25]
    clock.now = 61
    assert [next(gen) for dummy in range(3)] == [0.375, 0.5625, 0.84375] and next(gen) == next(gen) == 1.0


def no_first_item():
    raise IndexError('first')


@pytest.mark.parametrize('first, second, expected', [
    (lambda: 1, lambda: 2, (1, 2)),
    (lambda: 1, lambda: {}['second'], KeyError),
    (no_first_item, lambda: 2, IndexError),
    (no_first_item, lambda: {}['second'], IndexError),   # both failed: the first's error
])
def test_in_parallel_returns_both_or_raises(first, second, expected):
    if isinstance(expected, tuple):
        assert in_parallel(first, second) == expected
    else:
        with pytest.raises(expected):
            in_parallel(first, second)


def test_in_parallel_runs_the_second_while_the_first_runs():
    import threading
    started = threading.Event()

    def first():   # returns only once the second has started: not one after the other
        assert started.wait(5)
        return 'nodes'
    assert in_parallel(first, lambda: started.set() or 'stacks') == ('nodes', 'stacks')


def test_a_cascaded_failure_that_never_gets_its_own_reason_is_reported_after_the_grace(clock):
    proxy = FakeProxy({}, {'del': [FakeAction('FAILED', 'Action execution failed')]})
    client = client_for(clock, proxy, timeout=600)
    start = clock()
    with pytest.raises(ResourceFailed) as err:
        client.wait_action('del', 'CLUSTER_DEL_NODES')
    assert 'FAILED: Action execution failed' in err.value.msg and 'Timed out' not in err.value.msg
    assert 20 <= clock() - start < 30


def test_join_reported_succeeded_but_node_not_member(clock):
    proxy = FakeProxy({
        ('POST', '/clusters/c/actions'): FakeResponse(202, {'action': 'add'}),
        ('GET', '/nodes/n'): FakeResponse(200, {'node': {'id': 'n', 'cluster_id': ''}}),
        ('GET', '/clusters/c'): FakeResponse(200, {'cluster': dict(id='c', name='a', nodes=[], desired_capacity=0)}),
    }, {'add': [FakeAction('SUCCEEDED')]})
    with pytest.raises(ResourceFailed) as err:
        change_membership(client_for(clock, proxy), {'id': 'n', 'name': 'n'}, 'c', {'add_nodes': {'nodes': ['n']}},
                          'CLUSTER_ADD_NODES', False)
    assert err.value.msg == 'CLUSTER_ADD_NODES reported success but node n is in no cluster.'


# -- the plans of cluster_profile, cluster_policy, cluster_node -------------------------------------

@pytest.mark.parametrize('value, expected', [(CID, True), (CID.replace('-', ''), True), ('web', False), (None, False),
                                             ('', False)])
def test_looks_like_id(value, expected):
    assert looks_like_id(value) is expected


PROFILE = dict(id=PID, name='web', spec=heat_spec(), metadata={'a': '1'})


@pytest.mark.parametrize('kw, current, users, expect', [
    (dict(spec=heat_spec()), PROFILE, [], dict(changed=False, predicted=PROFILE)),
    (dict(metadata={'a': '2'}), PROFILE, [], dict(update={'metadata': {'a': '2'}}, delete=False, create=None)),
    (dict(spec=heat_spec(HEAT_T2)), PROFILE, [],
     dict(delete=True, create=dict(name='web', spec=heat_spec(HEAT_T2), metadata=None))),
    (dict(spec=heat_spec()), None, [], dict(delete=False, diff_before={'state': 'absent', 'attributes': None})),
    (dict(state='absent'), PROFILE, [], dict(delete=True, create=None, predicted=None)),
    (dict(state='absent'), None, [], dict(changed=False)),
])
def test_plan_profile(kw, current, users, expect):
    desired = DesiredProfile.from_params(dict(dict(name='web', spec=None, metadata=None, state='present'), **kw))
    plan = plan_profile(current, desired, users)
    assert plan.changed is expect.get('changed', True)
    for key in ('update', 'delete', 'create', 'predicted'):
        if key in expect:
            assert getattr(plan, key) == expect[key]
    if 'diff_before' in expect:
        assert plan.diff.diff()['before'] == expect['diff_before']


def test_plan_profile_in_use_cannot_be_replaced():
    desired = DesiredProfile.from_params(dict(name='web', spec=heat_spec(HEAT_T2), state='present'))
    with pytest.raises(InvalidInput) as err:
        plan_profile(PROFILE, desired, ['cluster c1'])
    assert 'in use by: cluster c1' in err.value.msg


POLICY = dict(id='pol', name='lb', spec={'type': 'senlin.policy.deletion', 'version': '1.1', 'properties': {}})


def policy_plan(policy, bindings, wanted, **kw):
    desired = DesiredPolicy.from_params(dict(dict(name='lb', spec=POLICY['spec'], clusters=None, enabled=True,
                                                  purge_clusters=False, state='present'), **kw))
    return plan_policy(PolicyState(policy, bindings, wanted, {'c1': 'one', 'c2': 'two'}), desired)


def test_plan_policy_bindings_only():
    plan = policy_plan(POLICY, {'c1': True}, {'c1': False, 'c2': True})
    assert (plan.delete, plan.create, plan.attach, plan.update, plan.detach) == (
        False, None, {'c2': True}, {'c1': False}, [])
    assert plan.predicted is POLICY
    assert plan.diff.diff() == {'before': {'bindings': {'one': True}}, 'after': {'bindings': {'one': False, 'two': True}}}
    assert [b['cluster_name'] for b in plan.bindings] == ['one', 'two']


def test_plan_policy_replace_detaches_deletes_creates_attaches():
    spec = dict(POLICY['spec'], properties={'criteria': 'OLDEST_FIRST'})
    plan = policy_plan(POLICY, {'c1': True}, {}, spec=spec)
    assert plan.delete and plan.detach_first == ['c1'] and plan.create == dict(name='lb', spec=spec)
    assert plan.attach == {'c1': True} and plan.update == {}
    assert plan.predicted == dict(name='lb', spec=spec, type='senlin.policy.deletion-1.1')


def test_plan_policy_absent_detaches_everywhere():
    plan = policy_plan(POLICY, {'c2': True, 'c1': False}, {}, state='absent')
    assert plan.delete and plan.detach_first == ['c1', 'c2'] and plan.create is None and plan.bindings == []
    assert plan.diff.diff()['after'] == {'state': 'absent', 'bindings': {}}


NODE = dict(id='n1', name='n', profile_id=PID, profile_name='web', role=None, metadata={}, cluster_id='c1')


def node_plan(node, profile=None, found_cluster=None, old_cluster=None, **kw):
    desired = DesiredNode.from_params(dict(dict(name='n', state='present'), **kw))
    return plan_node(NodeState(node, profile, found_cluster, old_cluster), desired)


def test_plan_node_create_in_a_cluster():
    plan = node_plan(None, PROFILE, dict(id='c2', name='two', max_size=-1, desired_capacity=1), role='db')
    assert plan.create == dict(name='n', profile_id=PID, role='db', cluster_id='c2')
    assert plan.predicted == dict(plan.create, status='ACTIVE')


def test_plan_node_move_checks_both_clusters():
    plan = node_plan(NODE, found_cluster=dict(id='c2', name='two', max_size=-1, desired_capacity=1),
                     old_cluster=dict(id='c1', name='one', min_size=0, desired_capacity=1), cluster='two', check=True)
    assert plan.move and (plan.old_cluster_id, plan.new_cluster_id) == ('c1', 'c2')
    assert plan.diff.diff()['after'] == {'cluster': 'two', 'check': True}
    assert plan.actions == [('actions', {'check': {}}, 'NODE_CHECK')] and plan.predicted['cluster_id'] == 'c2'
    with pytest.raises(InvalidInput):
        node_plan(NODE, found_cluster=dict(id='c2', name='two', max_size=1, desired_capacity=1), cluster='two')


@pytest.mark.parametrize('kw, changed', [(dict(), False), (dict(cluster=''), True), (dict(metadata={'x': 1}), True)])
def test_plan_node_update(kw, changed):
    plan = node_plan(NODE, old_cluster=dict(id='c1', name='one', min_size=0, desired_capacity=2), **kw)
    assert plan.changed is changed and plan.create is None


def test_plan_node_absent_keeps_min_size():
    with pytest.raises(InvalidInput) as err:
        node_plan(NODE, old_cluster=dict(id='c1', name='one', min_size=1, desired_capacity=1), state='absent')
    assert 'below its min_size 1' in err.value.msg
