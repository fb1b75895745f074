"""stack_info's queries (plugins/module_utils/_heat/info.py) with a fake Heat that filters as the real one does."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest
from openstack import exceptions as sdk_exceptions

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import api as heat_api
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import info as heat_info

A = '11111111-1111-4111-8111-111111111111'
B = '22222222-2222-4222-8222-222222222222'
CHILD = '33333333-3333-4333-8333-333333333333'
P1, P2 = 'a' * 32, 'b' * 32

# openstack.cloud.stack_info's expected_fields (ci/roles/stack/defaults/main.yaml), every one returned
SDK_KEYS = ['added', 'capabilities', 'created_at', 'deleted', 'deleted_at', 'description', 'environment',
            'environment_files', 'files', 'files_container', 'id', 'is_rollback_disabled', 'links', 'name',
            'notification_topics', 'outputs', 'owner_id', 'parameters', 'parent_id', 'replaced', 'status',
            'status_reason', 'tags', 'template', 'template_description', 'template_url', 'timeout_mins',
            'unchanged', 'updated', 'updated_at', 'user_project_id']


def listed(name, sid, status='CREATE_COMPLETE', tags=None, project=P1, parent=None):
    """A stack as Heat's list shows it (no parameters, outputs, timeout)."""
    return {'stack_name': name, 'id': sid, 'stack_status': status, 'stack_status_reason': 'ok', 'tags': tags,
            'creation_time': '2026-01-01T00:00:00Z', 'updated_time': None, 'deletion_time': None,
            'description': '', 'stack_owner': 'admin', 'parent': parent, 'project': project,
            'stack_user_project_id': 'u', 'links': [{'href': 'http://h/%s/%s' % (name, sid), 'rel': 'self'}]}


class FakeHeat(object):
    """Filters the way Heat 27 does, and records every request."""

    def __init__(self, stacks):
        self.stacks = stacks
        self.requests = []

    def _visible(self, query):
        show_nested = query.get('show_nested')
        for stack in self.stacks:
            if stack['parent'] and not show_nested:
                continue
            tags = set(stack['tags'] or [])
            checks = [('name', stack['stack_name']), ('id', stack['id']), ('status', stack['stack_status']),
                      ('tenant', stack['project']), ('owner_id', stack['parent'])]
            if any(key in query and query[key] != value for key, value in checks):
                continue
            if 'tags' in query and not set(query['tags'].split(',')) <= tags:
                continue
            if 'tags_any' in query and not set(query['tags_any'].split(',')) & tags:
                continue
            if 'not_tags' in query and set(query['not_tags'].split(',')) <= tags:
                continue
            if 'not_tags_any' in query and set(query['not_tags_any'].split(',')) & tags:
                continue
            yield stack

    def list_stacks(self, query=None):
        query = dict(query or {})
        if 'tags' in query and any(key in query for key in heat_info.EXACT_FILTERS):
            raise AssertionError('Heat answers 500 to tags with %s' % sorted(query))
        self.requests.append(('list', query))
        return [dict(s) for s in self._visible(query)]

    def find_stack(self, name_or_id, resolve_outputs=True):
        self.requests.append(('find', name_or_id))
        return next((dict(s) for s in self.stacks if name_or_id in (s['id'], s['stack_name'])
                     and s['project'] == P1), None)

    def get_stack(self, stack, resolve_outputs=True):
        self.requests.append(('get', stack['stack_name'], resolve_outputs))
        found = dict(stack, parameters={'OS::stack_name': stack['stack_name']}, timeout_mins=5,
                     disable_rollback=True, template_description='t')
        if resolve_outputs:  # Heat leaves the outputs out with resolve_outputs=False
            found['outputs'] = [{'output_key': 'o', 'description': 'd', 'output_value': stack['stack_name'].upper()}]
        return found

    def _detail(self, what, stack):
        self.requests.append((what, stack['stack_name']))
        return {'of': stack['stack_name'], 'what': what}

    def get_template(self, stack):
        return self._detail('template', stack)

    def get_environment(self, stack):
        return self._detail('environment', stack)

    def get_files(self, stack):
        return self._detail('files', stack)

    def stack_snapshots(self, stack):
        return [dict(self._detail('snapshots', stack), data={'environment': {'parameters': {'pw': 'secret'}}})]

    def resources(self, stack, nested_depth=0):
        return [self._detail('resources:%d' % nested_depth, stack)]

    def events(self, stack, query=''):
        return [self._detail('events' + query, stack)]


def heat():
    return FakeHeat([listed('a', A, tags=['x', 'y']),
                     listed('b', B, status='CREATE_FAILED', tags=['x'], project=P2),
                     listed('a-child', CHILD, tags=['x', 'y'], parent=A)])


def projects(value):
    return {'admin': P1, 'demo': P2, P1: P1, P2: P2}.get(value)


def run(api, outputs=False, **filters):
    return heat_info.stack_info(api, heat_info.StackFilters(**filters), heat_info.StackDetails(outputs=outputs),
                                projects)


@pytest.mark.parametrize('filters, names, sent', [
    (dict(), ['a', 'b'], [{}]),
    (dict(name='a'), ['a'], [{'name': 'a'}]),
    (dict(name=B), ['b'], [{'id': B, 'show_nested': True}]),
    (dict(name=CHILD), ['a-child'], [{'id': CHILD, 'show_nested': True}]),
    (dict(name='nope'), [], [{'name': 'nope'}]),
    # a name shaped like an id: by id first, then by name
    (dict(name='44444444-4444-4444-8444-444444444444'), [],
     [{'id': '44444444-4444-4444-8444-444444444444', 'show_nested': True},
      {'name': '44444444-4444-4444-8444-444444444444'}]),
    (dict(status='create_failed'), ['b'], [{'status': 'CREATE_FAILED'}]),
    (dict(tags='y,x'), ['a'], [{'tags': 'x,y'}]),
    (dict(tags=['x'], tags_mode='any'), ['a', 'b'], [{'tags_any': 'x'}]),
    (dict(not_tags='x,y'), ['b'], [{'not_tags': 'x,y'}]),
    (dict(not_tags_any=['y', 'z']), ['b'], [{'not_tags_any': 'y,z'}]),
    (dict(show_nested=True, tags=['y']), ['a', 'a-child'], [{'show_nested': True, 'tags': 'y'}]),
    (dict(show_hidden=True), ['a', 'b'], [{'show_hidden': True}]),
    (dict(all_projects=True), ['a', 'b'], [{'global_tenant': True}]),
    # Heat's tenant filter: the project by name or id
    (dict(project='demo'), ['b'], [{'tenant': P2}]),
    (dict(project=P1), ['a'], [{'tenant': P1}]),
    # tags (all) with an exact filter: Heat answers 500, so tags_any and the rest checked here
    (dict(status='CREATE_COMPLETE', tags=['x', 'y']), ['a'], [{'status': 'CREATE_COMPLETE', 'tags_any': 'x,y'}]),
    (dict(name='b', tags=['x', 'y']), [], [{'name': 'b', 'tags_any': 'x,y'}]),
    (dict(project='demo', tags='x'), ['b'], [{'tenant': P2, 'tags_any': 'x'}]),
])
def test_stack_info_filters_are_sent_to_heat(filters, names, sent):
    api = heat()
    result = run(api, **filters)
    assert [s['name'] for s in result] == names
    assert [r[1] for r in api.requests if r[0] == 'list'] == sent


def test_owner_by_name_or_id_lists_its_nested_stacks():
    for owner in ('a', A):
        api = heat()
        assert [s['name'] for s in run(api, owner=owner)] == ['a-child']
        assert api.requests == [('find', owner), ('list', {'owner_id': A, 'show_nested': True})]


@pytest.mark.parametrize('filters', [dict(owner='nope'), dict(project='nope')])
def test_an_owner_or_project_that_does_not_exist_gives_an_empty_list_without_listing(filters):
    api = heat()
    assert run(api, **filters) == []
    assert [r for r in api.requests if r[0] == 'list'] == []


def test_each_stack_has_the_keys_of_openstack_cloud_and_the_old_ones():
    [item] = run(heat(), name='a', outputs=True)
    assert [k for k in SDK_KEYS if k not in item] == []
    want = dict(name='a', status='CREATE_COMPLETE', created_at='2026-01-01T00:00:00Z', tags=['x', 'y'],
                owner_id='admin', parent_id=None, is_rollback_disabled=True, timeout_mins=5, stack_name='a',
                stack_status='CREATE_COMPLETE', creation_time='2026-01-01T00:00:00Z')
    assert dict((key, item[key]) for key in want) == want
    assert item['outputs'] == [{'output_key': 'o', 'description': 'd', 'output_value': 'A'}]
    assert item['outputs_dict'] == {'o': 'A'}


class PagingProxy(object):
    """Heat's GET /stacks behind the real HeatApi: marker pagination, every request recorded."""

    def __init__(self, count):
        self.items = [listed('s%d' % i, 'id-%d' % i) for i in range(count)]
        self.requests = []

    def get(self, url, params=None, **kwargs):
        self.requests.append(('GET', url))
        start = 0
        if params.get('marker'):
            start = [i['id'] for i in self.items].index(params['marker']) + 1
        body = {'stacks': self.items[start:start + params['limit']]}
        return type('Response', (), {'status_code': 200, 'content': b'x', 'headers': {}, 'json': lambda r: body})()


@pytest.mark.parametrize('count, requests', [(0, 1), (99, 1), (100, 2), (250, 3), (300, 4)])
def test_listing_without_outputs_costs_one_request_per_page(count, requests, monkeypatch):
    proxy = PagingProxy(count)
    monkeypatch.setattr(heat_api.sdk_exceptions, 'raise_from_response', lambda response: None)
    api = heat_api.HeatApi(type('Conn', (), {'orchestration': proxy})())
    result = heat_info.stack_info(api, heat_info.StackFilters(), heat_info.StackDetails(outputs=False), projects)
    assert len(result) == count and all(s['outputs'] is None and s['parameters'] is None for s in result)
    assert proxy.requests == [('GET', '/stacks')] * requests


def test_outputs_cost_one_get_per_stack():
    api = FakeHeat([listed('s%d' % i, 'id-%d' % i) for i in range(3)])
    result = run(api, outputs=True)
    assert [r[0] for r in api.requests] == ['list', 'get', 'get', 'get']
    assert [s['outputs_dict'] for s in result] == [{'o': 'S0'}, {'o': 'S1'}, {'o': 'S2'}]


class SlowHeat(FakeHeat):
    """A Heat whose first GETs wait until DETAIL_WORKERS of them are in flight (a barrier: whatever the machine's
    load, it passes only when that many run at once), counting how many are in flight at once."""

    def __init__(self, stacks, fail=None):
        super(SlowHeat, self).__init__(stacks)
        self.lock = threading.Lock()
        self.in_flight = self.most = self.calls = 0
        self.fail = fail
        self.barrier = threading.Barrier(heat_info.DETAIL_WORKERS, timeout=10)

    def get_stack(self, stack, resolve_outputs=True):
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            first = self.calls <= heat_info.DETAIL_WORKERS
            self.most = max(self.most, self.in_flight)
        if first and len(self.stacks) >= heat_info.DETAIL_WORKERS:
            self.barrier.wait()   # BrokenBarrierError when fewer run at once
        time.sleep(0.005)
        with self.lock:
            self.in_flight -= 1
        if stack['stack_name'] == self.fail:
            raise sdk_exceptions.HttpException('Heat refused %s' % self.fail)
        return super(SlowHeat, self).get_stack(stack, resolve_outputs)


def test_many_stacks_are_read_a_few_at_a_time_and_come_back_in_the_listed_order():
    api = SlowHeat([listed('s%02d' % i, 'id-%d' % i) for i in range(12)])
    result = run(api, outputs=True)
    assert [s['name'] for s in result] == ['s%02d' % i for i in range(12)]
    assert [s['outputs_dict'] for s in result] == [{'o': 'S%02d' % i} for i in range(12)]
    assert api.most == heat_info.DETAIL_WORKERS
    assert sorted(r[0] for r in api.requests) == ['get'] * 12 + ['list']


def test_a_stack_that_cannot_be_read_fails_the_listing():
    api = SlowHeat([listed('s%02d' % i, 'id-%d' % i) for i in range(8)], fail='s05')
    with pytest.raises(sdk_exceptions.HttpException, match='Heat refused s05'):
        run(api, outputs=True)


def test_one_stack_or_a_cheap_listing_uses_no_thread(monkeypatch):
    monkeypatch.setattr(heat_info.futures, 'ThreadPoolExecutor', None)  # would fail if used
    assert [s['name'] for s in run(SlowHeat([listed('s', A)]), outputs=True)] == ['s']
    assert len(run(SlowHeat([listed('s%d' % i, 'id-%d' % i) for i in range(5)]), outputs=False)) == 5


def test_by_name_without_outputs_gets_the_stack_unresolved():
    api = heat()
    [item] = run(api, name='a')
    assert api.requests[-1] == ('get', 'a', False)
    assert item['parameters'] == {'OS::stack_name': 'a'} and item['outputs'] is None
    assert 'outputs_dict' not in item


def test_details_on_request_one_get_each():
    api = heat()
    details = heat_info.StackDetails(outputs=False, template=True, environment=True, files=True, snapshots=True,
                                     resources=True, events=True, nested_depth=2)
    [item] = heat_info.stack_info(api, heat_info.StackFilters(tags='y'), details, projects)
    assert item['template'] == {'of': 'a', 'what': 'template'}
    assert item['environment'] == {'of': 'a', 'what': 'environment'}
    assert item['files'] == {'of': 'a', 'what': 'files'}
    assert item['snapshots'] == [{'of': 'a', 'what': 'snapshots'}]
    assert item['resources'] == [{'of': 'a', 'what': 'resources:2'}]
    assert item['events'] == [{'of': 'a', 'what': 'events?nested_depth=2'}]
    assert [r[0] for r in api.requests] == ['list', 'template', 'environment', 'files', 'resources:2',
                                            'events?nested_depth=2', 'snapshots']


def test_details_not_asked_for_are_not_fetched():
    [item] = run(heat(), name='a')
    assert item['template'] is None and item['environment'] is None and item['files'] is None
    assert 'snapshots' not in item and 'resources' not in item and 'events' not in item


@pytest.mark.parametrize('kwargs, match', [
    (dict(tags=['a,b']), "A stack tag cannot contain a comma: 'a,b'"),
    (dict(not_tags=['a,b']), "A stack tag cannot contain a comma: 'a,b'"),
])
def test_bad_filters(kwargs, match):
    with pytest.raises(InvalidInput, match=match):
        heat_info.StackFilters(**kwargs)


def test_bad_nested_depth():
    with pytest.raises(InvalidInput, match='nested_depth must be 0 or more, got -1.'):
        heat_info.StackDetails(nested_depth=-1)


def test_from_params_takes_the_module_options():
    params = dict(name='a', status=None, tags='x', tags_mode='any', not_tags=None, not_tags_any='z', project='p',
                  owner=None, show_nested=True, show_hidden=False, all_projects=False, outputs=False,
                  template=True, environment=False, files=False, snapshots=True, resources=False, events=False,
                  nested_depth=0, cloud='c')
    filters = heat_info.StackFilters.from_params(params)
    assert (filters.name, filters.tags, filters.tags_mode, filters.not_tags_any, filters.project,
            filters.show_nested) == ('a', ['x'], 'any', ['z'], 'p', True)
    details = heat_info.StackDetails.from_params(params)
    assert (details.outputs, details.template, details.snapshots) == (False, True, True)


class FakeAccess(object):
    project_id, project_name = P1, 'admin'


class FakeConn(object):
    def __init__(self):
        self.looked_up = []
        conn = self

        class Auth(object):
            def get_access(self, session):
                return FakeAccess()

        class Session(object):
            auth = Auth()

        class Identity(object):
            def find_project(self, name, ignore_missing=True):
                conn.looked_up.append(name)
                if name == 'secret':
                    raise sdk_exceptions.ForbiddenException(
                        details='You are not authorized to perform the requested action: identity:list_projects.')
                return type('Project', (), {'id': P2})() if name == 'demo' else None

        self.session, self.identity = Session(), Identity()


@pytest.mark.parametrize('value, expected, looked_up', [
    ('admin', P1, []),          # the token's project by name: no request
    (P1, P1, []),
    (P2, P2, []),               # an id: no request (an unknown one lists nothing)
    ('demo', P2, ['demo']),     # another project's name: Keystone
    ('nope', None, ['nope']),
])
def test_project_id_of(value, expected, looked_up):
    conn = FakeConn()
    assert heat_info.project_id_of(conn, value) == expected
    assert conn.looked_up == looked_up


def test_project_lookup_refused_by_keystone_asks_for_the_id():
    with pytest.raises(InvalidInput, match=r"^Cannot look up the project 'secret' by name \(Keystone: You are not "
                       r"authorized to perform the requested action: identity:list_projects\)\. Give the project's "
                       r"id instead\.$"):
        heat_info.project_id_of(FakeConn(), 'secret')
