# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Senlin info queries: the pager, the filters, cluster collect, actions, events and types, on a fake Senlin."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.history import (
    list_actions, list_events, parse_time)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.info import (
    collect, collect_request, list_policies, list_profiles, list_receivers)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.listing import (
    check_sort, find_all, list_pages, query_string)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.schemas import list_types
from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import (
    CID, FakeAction, FakeProxy, FakeResponse, client_for)

NID1 = '00000000-0000-0000-0000-000000000001'
NID2 = '00000000-0000-0000-0000-000000000002'
NID3 = '00000000-0000-0000-0000-000000000003'
RID = '99999999-8888-7777-6666-555555555555'


def ok(body):
    return FakeResponse(200, body)


def uid(n):
    return '%08d-0000-0000-0000-000000000000' % n


class CountingProxy(FakeProxy):
    """A FakeProxy that gives up after ``most`` requests (a pager that never stops fails instead of hanging)."""

    def __init__(self, routes=None, most=10, default=None):
        super(CountingProxy, self).__init__(routes)
        self.most = most
        self.default = default

    def request(self, path, method, json=None, **kwargs):
        if len(self.calls) >= self.most:
            raise AssertionError('more than %d requests: %s' % (self.most, self.calls[-3:]))
        if self.default is not None and (method, path) not in self.routes:
            self.calls.append((method, path, json))
            return self.default(path)
        return super(CountingProxy, self).request(path, method, json=json, **kwargs)


def paths(proxy):
    return [p for _m, p, _b in proxy.calls]


# -- the pager ---------------------------------------------------------------------------------------

def test_pager_follows_the_marker_until_a_short_page(clock):
    items = [dict(id=uid(n), name='c%d' % n) for n in range(5)]
    proxy = CountingProxy({
        ('GET', '/clusters?limit=2'): ok({'clusters': items[:2]}),
        ('GET', '/clusters?limit=2&marker=%s' % uid(1)): ok({'clusters': items[2:4]}),
        ('GET', '/clusters?limit=2&marker=%s' % uid(3)): ok({'clusters': items[4:]}),
    })
    assert client_for(clock, proxy).list('cluster', limit=2) == items
    assert len(proxy.calls) == 3


def test_pager_stops_when_the_server_ignores_the_marker(clock):
    """A server that answers every marker with the first page again: the old pager asked for ever."""
    page = [dict(id=uid(n)) for n in range(2)]
    proxy = CountingProxy(default=lambda path: ok({'clusters': list(page)}))
    assert client_for(clock, proxy).list('cluster', limit=2) == page
    assert len(proxy.calls) == 2


def test_pager_stops_when_the_server_ignores_the_limit(clock):
    """A longer page than asked is everything: no second request, no duplicates."""
    items = [dict(id=uid(n)) for n in range(3)]
    proxy = CountingProxy(default=lambda path: ok({'clusters': list(items)}))
    assert client_for(clock, proxy).list('cluster', limit=2) == items
    assert len(proxy.calls) == 1


def test_pager_without_page_size_sends_one_request(clock):
    proxy = CountingProxy({('GET', '/clusters?name=web'): ok({'clusters': [{'id': CID, 'name': 'web'}]})})
    assert client_for(clock, proxy).list('cluster', name='web') == [{'id': CID, 'name': 'web'}]
    assert paths(proxy) == ['/clusters?name=web']


def test_list_filter_with_several_values_repeats_the_key(clock):
    """Senlin's "mixed" filters take a key once per value (status=ACTIVE&status=ERROR)."""
    proxy = CountingProxy({('GET', '/clusters?status=ACTIVE&status=ERROR'): ok({'clusters': [{'id': CID}]})})
    assert client_for(clock, proxy).list('cluster', status=['ACTIVE', 'ERROR']) == [{'id': CID}]


@pytest.mark.parametrize('params, expected', [
    ({}, ''),
    ({'name': 'a b', 'limit': None}, '?name=a%20b'),
    ({'status': ['A', 'B'], 'action': 'X'}, '?action=X&status=A&status=B'),
])
def test_query_string(params, expected):
    assert query_string(params) == expected


def test_pager_limit_and_keep_and_stop():
    pages = {None: [dict(id=uid(n), v=n) for n in range(3)], uid(2): [dict(id=uid(n), v=n) for n in range(3, 6)],
             uid(5): [dict(id=uid(6), v=6)]}
    asked = []

    def get_json(url):
        asked.append(url)
        marker = url.split('marker=')[1].split('&')[0] if 'marker=' in url else None
        return {'things': pages[marker]}

    everything = list_pages(get_json, '/t', 'things', page_size=3)
    assert [i['v'] for i in everything] == list(range(7)) and len(asked) == 3
    del asked[:]
    assert [i['v'] for i in list_pages(get_json, '/t', 'things', page_size=3, limit=4)] == [0, 1, 2, 3]
    assert len(asked) == 2
    del asked[:]
    odd = list_pages(get_json, '/t', 'things', page_size=3, keep=lambda i: i['v'] % 2)
    assert [i['v'] for i in odd] == [1, 3, 5]
    del asked[:]
    assert [i['v'] for i in list_pages(get_json, '/t', 'things', page_size=3, stop=lambda i: i['v'] >= 2)] == [0, 1]
    assert len(asked) == 1
    with pytest.raises(InvalidInput, match='limit must be 1 or more'):
        list_pages(get_json, '/t', 'things', limit=0)


# -- filters -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('kind, sort, good', [
    ('profile', 'name', True),
    ('profile', 'created_at:desc,name:asc', True),
    ('profile', 'status', False),
    ('event', 'timestamp:down', False),
    ('action', 'created_at:desc', True),
    ('receiver', None, True),
])
def test_check_sort(kind, sort, good):
    if good:
        assert check_sort(kind, sort) == sort
    else:
        with pytest.raises(InvalidInput, match='Senlin sorts %s lists by' % kind):
            check_sort(kind, sort)


def test_find_all_by_id_by_name_and_nothing(clock):
    prof = dict(id=NID1, name='p', type='os.heat.stack-1.0')
    proxy = FakeProxy({('GET', '/profiles/%s' % NID1): ok({'profile': prof}),
                       ('GET', '/profiles?name=p&sort=name'): ok({'profiles': [prof, dict(prof, id=NID2, name='px')]}),
                       ('GET', '/profiles?name=none&sort=name'): ok({'profiles': []})})
    client = client_for(clock, proxy)
    assert find_all(client, 'profile', NID1, sort='name') == [prof]
    assert find_all(client, 'profile', 'p', sort='name') == [prof]
    assert find_all(client, 'profile', 'none', sort='name') == []
    assert find_all(client, 'profile', NID1, sort='name', type='os.nova.server-1.0') == []


def test_type_without_version_is_matched_here_with_version_by_senlin(clock):
    profiles = [dict(id=NID1, type='os.heat.stack-1.0'), dict(id=NID2, type='os.nova.server-1.0'),
                dict(id=NID3, type='os.heat.stacks-1.0')]
    proxy = FakeProxy({('GET', '/profiles?sort=name'): ok({'profiles': profiles}),
                       ('GET', '/profiles?sort=name&type=os.heat.stack-1.0'): ok({'profiles': profiles[:1]})})
    client = client_for(clock, proxy)
    assert [p['id'] for p in list_profiles(client, profile_type='os.heat.stack', sort='name')] == [NID1]
    assert [p['id'] for p in list_profiles(client, profile_type='os.heat.stack-1.0', sort='name')] == [NID1]
    assert paths(proxy) == ['/profiles?sort=name', '/profiles?sort=name&type=os.heat.stack-1.0']


def test_policies_with_the_clusters_they_are_attached_to(clock):
    pols = [dict(id=NID1, name='del', type='senlin.policy.deletion-1.1'), dict(id=NID2, name='hp', type='x-1.0')]
    proxy = FakeProxy({
        ('GET', '/policies?sort=name'): ok({'policies': [dict(p) for p in pols]}),
        ('GET', '/clusters?sort=name'): ok({'clusters': [dict(id=CID, name='a'), dict(id=NID3, name='b')]}),
        ('GET', '/clusters/%s/policies' % CID): ok({'cluster_policies': [
            dict(policy_id=NID1, enabled=False, priority=0, cluster_id=CID)]}),
        ('GET', '/clusters/%s/policies' % NID3): ok({'cluster_policies': [dict(policy_id=NID1, enabled=True)]}),
    })
    found = list_policies(client_for(clock, proxy), sort='name', with_clusters=True)
    assert found[0]['clusters'] == [dict(cluster_id=CID, cluster_name='a', enabled=False, priority=0),
                                    dict(cluster_id=NID3, cluster_name='b', enabled=True, priority=None)]
    assert found[1]['clusters'] == []
    proxy = FakeProxy({('GET', '/policies?sort=name'): ok({'policies': [dict(p) for p in pols]})})
    assert 'clusters' not in list_policies(client_for(clock, proxy), sort='name')[0]
    assert paths(proxy) == ['/policies?sort=name']


def test_receivers_of_a_cluster_hidden_and_of_no_cluster(clock):
    hook = dict(id=RID, name='hook', type='webhook', cluster_id=CID, action='CLUSTER_SCALE_OUT',
                channel={'alarm_url': 'http://senlin/v1/webhooks/%s/trigger?V=2' % RID})
    proxy = FakeProxy({('GET', '/clusters?name=web'): ok({'clusters': [dict(id=CID, name='web')]}),
                       ('GET', '/clusters?name=gone'): ok({'clusters': []}),
                       ('GET', '/receivers?cluster_id=%s&sort=name' % CID): ok({'receivers': [hook]})})
    secrets = set()
    found = list_receivers(client_for(clock, proxy), cluster='web', sort='name', hide_urls=True, secrets=secrets)
    assert found[0]['id'] == REDACTED and found[0]['channel']['alarm_url'] == REDACTED
    assert secrets == set([RID, hook['channel']['alarm_url']])
    shown = list_receivers(client_for(clock, proxy), cluster='web', sort='name', hide_urls=False)
    assert shown == [hook]
    proxy.calls[:] = []
    assert list_receivers(client_for(clock, proxy), cluster='gone') == []
    assert paths(proxy) == ['/clusters?name=gone']


# -- actions and events ------------------------------------------------------------------------------

def test_actions_by_target_name_with_the_reasons_of_failed_ones(clock):
    failed = dict(id=NID1, action='CLUSTER_SCALE_OUT', status='FAILED', status_reason='too big', depends_on=[NID3])
    done = dict(id=NID2, action='CLUSTER_CREATE', status='SUCCEEDED', status_reason='ok', depends_on=[])
    proxy = FakeProxy({
        ('GET', '/clusters?name=web'): ok({'clusters': []}),
        ('GET', '/nodes?name=web'): ok({'nodes': [dict(id=NID2, name='web')]}),
        ('GET', '/actions?action=CLUSTER_SCALE_OUT&limit=100&sort=created_at%%3Adesc&status=FAILED&status=CANCELLED'
                '&target=%s' % NID2): ok({'actions': [failed, done]}),
    }, actions={NID3: [FakeAction('FAILED', 'Heat said no', name='NODE_CREATE', target_id=NID2)]})
    found = list_actions(client_for(clock, proxy), target='web', action=['cluster_scale_out'],
                         status=['failed', 'CANCELLED'])
    assert found[0]['reasons'] == ['too big', 'NODE_CREATE on %s: Heat said no' % NID2]
    assert 'reasons' not in found[1]


def test_actions_of_a_target_that_does_not_exist_are_none(clock):
    proxy = FakeProxy({('GET', '/clusters?name=x'): ok({'clusters': []}), ('GET', '/nodes?name=x'): ok({'nodes': []})})
    assert list_actions(client_for(clock, proxy), target='x') == []
    assert not [p for p in paths(proxy) if p.startswith('/actions')]


def event(n, minute):
    return dict(id=uid(n), timestamp='2026-12-01T10:%02d:00+00:00' % minute)


def test_events_since_stop_at_the_first_older_page(clock):
    """Newest first: the page with the first event before ``since`` is the last one read."""
    first = [event(1, 50), event(2, 40)]
    second = [event(3, 30), event(4, 20)]
    proxy = CountingProxy({
        ('GET', '/events?cluster_id=web&limit=100&sort=timestamp%3Adesc'): ok({'events': first + second + [
            event(5, 10)] * 96}),
        ('GET', '/events?level=ERROR&limit=100&oid=%s&sort=timestamp%%3Adesc' % NID1): ok({'events': first}),
        ('GET', '/events?limit=100&oname=n1&sort=level'): ok({'events': [event(6, 5), event(7, 55)]}),
    })
    found = list_events(client_for(clock, proxy), cluster='web', since='2026-12-01T10:30:00Z')
    assert [e['id'] for e in found] == [uid(1), uid(2), uid(3)]
    assert len(proxy.calls) == 1   # a full page, but its end is older than since: no next page
    assert len(list_events(client_for(clock, proxy), node=NID1, level=['error'])) == 2
    found = list_events(client_for(clock, proxy), node='n1', sort='level', since='2026-12-01 10:30')
    assert [e['id'] for e in found] == [uid(7)]   # another order: filtered, not stopped


@pytest.mark.parametrize('text, expected', [
    ('2026-12-01T10:00:00Z', datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.timezone.utc)),
    ('2026-12-01 10:00', datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.timezone.utc)),
    ('2026-12-01T12:00:00+02:00', datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.timezone.utc)),
])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_bad_since_and_level_fail_before_any_request(clock):
    proxy = FakeProxy()
    with pytest.raises(InvalidInput, match="since 'yesterday' is not an ISO 8601 time"):
        list_events(client_for(clock, proxy), since='yesterday')
    with pytest.raises(InvalidInput, match='level must be among'):
        list_events(client_for(clock, proxy), level=['LOUD'])
    assert proxy.calls == []


# -- collect -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('path, expected', [
    ('details.outputs.address', ('details.outputs', 'address')),
    (' details.outputs.my-key ', ('details.outputs', 'my-key')),
    ('details.outputs', ('details.outputs', None)),
    ('details.outputs[0].output_value', ('details.outputs[0].output_value', None)),
    ('details.outputs.a.b', ('details.outputs.a.b', None)),
    ('name', ('name', None)),
])
def test_collect_request(path, expected):
    assert collect_request(path) == expected


def outputs(**values):
    return [dict(output_key=k, output_value=v, description='d') for k, v in sorted(values.items())]


NODES = [dict(id=NID2, name='n2', index=2), dict(id=NID1, name='n1', index=1), dict(id=NID3, name='n3', index=3)]


def collect_proxy(attributes, status=200):
    body = {'cluster_attributes': attributes} if status == 200 else {'error': {'message': attributes}}
    return FakeProxy({('GET', '/nodes?cluster_id=%s' % CID): ok({'nodes': [dict(n) for n in NODES]}),
                      ('GET', '/clusters/%s/attrs/details.outputs' % CID): FakeResponse(status, body),
                      ('GET', '/clusters/%s/attrs/name%%5D' % CID): FakeResponse(status, body)})


def test_collect_picks_the_heat_output_in_node_index_order(clock):
    proxy = collect_proxy([dict(id=NID2, value=outputs(ip='10.0.0.2', other=1)),
                           dict(id=NID1, value=outputs(ip='10.0.0.1')), dict(id=NID3, value=outputs(other=3))])
    clusters = collect(client_for(clock, proxy), [dict(id=CID, name='web')], 'details.outputs.ip')
    assert clusters[0]['collected'] == [dict(node_id=NID1, node_name='n1', node_index=1, value='10.0.0.1'),
                                        dict(node_id=NID2, node_name='n2', node_index=2, value='10.0.0.2')]


def test_collect_uses_the_nodes_already_read(clock):
    proxy = collect_proxy([dict(id=NID1, value=outputs(ip=None))])
    cluster = dict(id=CID, name='web', nodes=[dict(id=NID1, name='n1', index=1)])
    assert collect(client_for(clock, proxy), [cluster], 'details.outputs.ip')[0]['collected'][0]['value'] is None
    assert paths(proxy) == ['/clusters/%s/attrs/details.outputs' % CID]


def test_collect_that_matches_nothing_fails_naming_the_outputs(clock):
    proxy = collect_proxy([dict(id=NID1, value=outputs(ip='a', name='b'))])
    with pytest.raises(InvalidInput, match=r"matches nothing on the 3 node\(s\) of cluster\(s\) web\. "
                                           r"The nodes' Heat stacks have the outputs: ip, name\."):
        collect(client_for(clock, proxy), [dict(id=CID, name='web')], 'details.outputs.address')


def test_collect_on_an_empty_cluster_is_an_empty_list(clock):
    proxy = FakeProxy({('GET', '/nodes?cluster_id=%s' % CID): ok({'nodes': []}),
                       ('GET', '/clusters/%s/attrs/name' % CID): ok({'cluster_attributes': []})})
    assert collect(client_for(clock, proxy), [dict(id=CID, name='web')], 'name')[0]['collected'] == []


@pytest.mark.parametrize('status, message, match', [
    (400, 'Invalid attribute path - 4 near token ]', "Senlin refuses the path 'name]': Invalid attribute path"),
    (500, 'list index out of range', "Senlin refuses the path 'name]': it cannot parse it"),
])
def test_collect_path_senlin_refuses(clock, status, message, match):
    with pytest.raises(InvalidInput, match=match):
        collect(client_for(clock, collect_proxy(message, status)), [dict(id=CID, name='web')], 'name]')


def test_collect_empty_path():
    with pytest.raises(InvalidInput, match='collect needs an attribute path'):
        collect_request('  ')


# -- types -------------------------------------------------------------------------------------------

def types_proxy():
    listed = [dict(name='senlin.policy.health', version='1.1', support_status={}),
              dict(name='senlin.policy.deletion', version='1.1', support_status={}),
              dict(name='senlin.policy.deletion', version='1.0', support_status={})]
    return FakeProxy({
        ('GET', '/policy-types'): ok({'policy_types': listed}),
        ('GET', '/policy-types/senlin.policy.deletion-1.0'): ok({'policy_type': {'schema': {'criteria': {}}}}),
        ('GET', '/policy-types/senlin.policy.deletion-1.1'): ok({'policy_type': {'schema': {'hooks': {}}}}),
        ('GET', '/profile-types'): ok({'profile_types': [dict(name='os.heat.stack', version='1.0')]}),
        ('GET', '/profile-types/os.heat.stack-1.0'): ok({'profile_type': {'schema': {'template': {}}}}),
        ('GET', '/profile-types/os.heat.stack-1.0/ops'): ok({'operations': {'abandon': {}}}),
    })


def test_types_all_one_and_every_version(clock):
    client = client_for(clock, types_proxy())
    assert [t['type'] for t in list_types(client, 'policy')] == [
        'senlin.policy.deletion-1.0', 'senlin.policy.deletion-1.1', 'senlin.policy.health-1.1']
    both = list_types(client, 'policy', 'senlin.policy.deletion')
    assert [(t['type'], t['schema']) for t in both] == [('senlin.policy.deletion-1.0', {'criteria': {}}),
                                                        ('senlin.policy.deletion-1.1', {'hooks': {}})]
    assert [t['version'] for t in list_types(client, 'policy', 'senlin.policy.deletion-1.1')] == ['1.1']
    heat = list_types(client, 'profile', 'os.heat.stack-1.0')
    assert heat[0]['schema'] == {'template': {}} and heat[0]['operations'] == {'abandon': {}}


def test_unknown_type_names_the_known_ones(clock):
    with pytest.raises(InvalidInput, match="Senlin has no policy type 'senlin.policy.nope'. Its policy types are: "
                                           "senlin.policy.deletion-1.0, senlin.policy.deletion-1.1"):
        list_types(client_for(clock, types_proxy()), 'policy', 'senlin.policy.nope')


# -- through the modules -----------------------------------------------------------------------------

def test_receiver_info_module_masks_webhook_ids_everywhere(monkeypatch, capsys, clock):
    """The id is the secret part of a webhook URL: hidden in the receiver and wherever else it appears."""
    from ansible_collections.cloudrise.openstack.plugins.modules import cluster_receiver_info
    from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin_secrets import run
    hook = dict(id=RID, name='hook', type='webhook', cluster_id=CID, action='CLUSTER_SCALE_OUT',
                params={'note': 'see %s' % RID}, channel={'alarm_url': 'http://senlin/v1/webhooks/%s/trigger' % RID})
    routes = {('GET', '/receivers?name=hook&sort=name'): ok({'receivers': [hook]})}
    out = run(cluster_receiver_info, cluster_receiver_info.ClusterReceiverInfoModule, monkeypatch, capsys,
              client_for(clock, FakeProxy(routes)), name='hook', _ansible_check_mode=True)
    assert RID not in out and 'webhooks/' not in out
    assert '"changed": false' in out


def test_cluster_info_module_collects(monkeypatch, capsys, clock):
    import json
    from ansible_collections.cloudrise.openstack.plugins.modules import cluster_info
    from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin_secrets import run
    proxy = collect_proxy([dict(id=NID1, value=outputs(ip='10.0.0.1'))])
    proxy.routes[('GET', '/clusters?name=web')] = ok({'clusters': [dict(id=CID, name='web')]})
    out = json.loads(run(cluster_info, cluster_info.ClusterInfoModule, monkeypatch, capsys, client_for(clock, proxy),
                         name='web', collect='details.outputs.ip'))
    assert out['changed'] is False
    assert out['clusters'][0]['collected'] == [dict(node_id=NID1, node_name='n1', node_index=1, value='10.0.0.1')]
