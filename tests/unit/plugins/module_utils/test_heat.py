"""Table-driven tests of the Heat service logic (plugins/module_utils/_heat/) with a fake Heat API."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import itertools
import json

import pytest
from openstack import exceptions as sdk_exceptions

from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import api as heat_api
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import deployment as heat_deployment
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import info as heat_info
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import reader as heat_reader
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import runner as heat_runner
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import software as heat_software
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import stack as heat_stack
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import template as heat_template
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, CloudModuleError, InvalidInput, NotFound, ResourceFailed, WaitTimeout)

HOT = {'heat_template_version': '2018-08-31',
       'parameters': {'p': {'type': 'string', 'default': 'a'},
                      'pw': {'type': 'string', 'hidden': True, 'default': 'x'}},
       'resources': {'v': {'type': 'OS::Heat::Value', 'properties': {'value': {'get_param': 'p'}}}},
       'outputs': {'o': {'value': {'get_attr': ['v', 'value']}}}}


# -- pure helpers -------------------------------------------------------------------------------------

@pytest.mark.parametrize('given, expected', [
    (None, None),
    ('', []),
    ('b,a', ['a', 'b']),
    (' b , a ,, ', ['a', 'b']),
    (['b', 'a', 'b'], ['a', 'b']),
    ([], []),
    ([1, 'x'], ['1', 'x']),
])
def test_normalize_tags(given, expected):
    assert heat_template.normalize_tags(given) == expected


def test_normalize_tags_rejects_comma_inside_a_list_item():
    with pytest.raises(InvalidInput, match='comma'):
        heat_template.normalize_tags(['a,b'])


@pytest.mark.parametrize('stored, expected', [
    ({'resource_registry': {'resources': {}}, 'parameters': {}, 'parameter_defaults': {}, 'event_sinks': [],
      'encrypted_param_names': []}, {}),
    ({'resource_registry': {'file:///n.yaml': 'file:///n.yaml', 'My::T': 'file:///t.yaml', 'resources': {}}},
     {'resource_registry': {'My::T': 'file:///t.yaml'}}),
    ({'parameter_defaults': {heat_template.HIDDEN_DIGEST_KEY: 'x', 'a': 1}}, {'parameter_defaults': {'a': 1}}),
    ({'parameter_defaults': {heat_template.HIDDEN_DIGEST_KEY: 'x'}}, {}),
    ({'parameters': {'a': 1}}, {'parameters': {'a': 1}}),
])
def test_normalize_environment(stored, expected):
    original = copy.deepcopy(stored)
    assert heat_template.normalize_environment(stored) == expected
    assert stored == original  # not modified in place


@pytest.mark.parametrize('template, expected', [
    (HOT, {'pw'}),
    ({'heat_template_version': '2018-08-31'}, set()),
    ({'HeatTemplateFormatVersion': '2012-12-12',
      'Parameters': {'K': {'Type': 'String', 'NoEcho': 'true'}, 'L': {'Type': 'String'}}}, {'K'}),
    ({'parameters': {'h': {'type': 'string', 'hidden': 'True'}}}, {'h'}),
    (None, set()),
])
def test_hidden_parameter_names(template, expected):
    assert heat_template.hidden_parameter_names(template) == expected


def test_digest_round_trip_and_mismatch():
    digest = heat_template.make_digest({'parameters.pw': 's1'}, iterations=1000)
    assert digest.startswith('pbkdf2-sha256$1000$')
    assert heat_template.digest_matches({'parameters.pw': 's1'}, digest)
    assert not heat_template.digest_matches({'parameters.pw': 's2'}, digest)
    assert not heat_template.digest_matches({'parameters.other': 's1'}, digest)
    assert 's1' not in digest
    # a fresh salt per digest: the same values give different digests that both verify
    other = heat_template.make_digest({'parameters.pw': 's1'}, iterations=1000)
    assert other != digest and heat_template.digest_matches({'parameters.pw': 's1'}, other)


@pytest.mark.parametrize('stored', [None, '', 'garbage', 'md5$1$a$b', 'pbkdf2-sha256$x$a$b', 'pbkdf2-sha256$1$a$b'])
def test_digest_matches_rejects_malformed(stored):
    assert not heat_template.digest_matches({'a': 1}, stored)


@pytest.mark.parametrize('timeout, minutes', [(1, 1), (59, 1), (60, 1), (61, 2), (3600, 60), (3601, 61)])
def test_timeout_minutes(timeout, minutes):
    assert heat_template.timeout_minutes(timeout) == minutes


@pytest.mark.parametrize('body, expected', [
    ({'resource_changes': {'added': [{'resource_name': 'b'}, {'resource_name': 'a'}], 'updated': [],
                           'unchanged': [{'resource_name': 'c'}]}},
     {'added': ['a', 'b'], 'updated': [], 'replaced': [], 'deleted': [], 'unchanged': ['c']}),
    ({'added': [{'resource_name': 'x'}], 'deleted': ['y']},  # flat (the SDK's unit-test shape)
     {'added': ['x'], 'updated': [], 'replaced': [], 'deleted': ['y'], 'unchanged': []}),
    ({}, dict((k, []) for k in heat_stack.CHANGE_KINDS)),
    (None, dict((k, []) for k in heat_stack.CHANGE_KINDS)),
])
def test_parse_update_preview(body, expected):
    assert heat_stack.parse_update_preview(body) == expected


def test_parse_create_preview_flattens_nested_stacks():
    body = {'stack': {'resources': [
        {'resource_name': 'a', 'resource_type': 'OS::Heat::None'},
        [{'resource_name': 'inner', 'resource_type': 'OS::Heat::Value'}, [{'resource_name': 'deep',
                                                                           'resource_type': 'T'}]]]}}
    assert heat_stack.parse_create_preview(body) == [
        {'name': 'a', 'type': 'OS::Heat::None'}, {'name': 'inner', 'type': 'OS::Heat::Value'},
        {'name': 'deep', 'type': 'T'}]
    assert heat_stack.parse_create_preview({}) == []


@pytest.mark.parametrize('failed, expected', [
    ([], "Stack 's' is CREATE_FAILED: boom"),
    ([{'name': 'r', 'type': 'OS::Heat::TestResource', 'reason': 'bad'}],
     "Stack 's' is CREATE_FAILED: boom. Failed resources: r (OS::Heat::TestResource): bad"),
    ([{'name': 'r', 'type': None, 'reason': None}, {'name': 'q', 'type': 'T', 'reason': 'x'}],
     "Stack 's' is CREATE_FAILED: boom. Failed resources: r: no reason given; q (T): x"),
])
def test_failure_message(failed, expected):
    assert heat_stack.failure_message('s', 'CREATE_FAILED', 'boom', failed) == expected


@pytest.mark.parametrize('status, failed, in_progress', [
    ('CREATE_FAILED', True, False), ('UPDATE_FAILED', True, False), ('ROLLBACK_COMPLETE', True, False),
    ('DELETE_FAILED', True, False), ('CREATE_COMPLETE', False, False), ('SUSPEND_COMPLETE', False, False),
    ('UPDATE_IN_PROGRESS', False, True), (None, False, False),
])
def test_status_classes(status, failed, in_progress):
    assert heat_stack.is_failed_status(status) is failed
    assert heat_stack.is_in_progress(status) is in_progress


# -- reading templates and environments (openstacksdk template_utils) ---------------------------------------

@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'data.txt').write_text('file data\n')
    (tmp_path / 'nested.yaml').write_text('heat_template_version: 2018-08-31\nresources: {}\n')
    (tmp_path / 'main.yaml').write_text(
        'heat_template_version: 2018-08-31\n'
        'resources:\n'
        '  d: {type: OS::Heat::Value, properties: {value: {get_file: data.txt}}}\n'
        '  n: {type: nested.yaml}\n')
    (tmp_path / 'bad.yaml').write_text('heat_template_version: 2018-08-31\nresources:\n  a: [unbalanced\n')
    (tmp_path / 'noref.yaml').write_text(
        'heat_template_version: 2018-08-31\nresources:\n  d: {type: OS::Heat::Value, '
        'properties: {value: {get_file: missing.txt}}}\n')
    (tmp_path / 'env.yaml').write_text('parameters: {p: from-file}\nresource_registry: {"My::T": nested.yaml}\n')
    return tmp_path


def test_load_template_file_resolves_get_file_and_nested(tree):
    template, files = heat_template.load_template(template=str(tree / 'main.yaml'))
    data_url = 'file://%s/data.txt' % tree
    nested_url = 'file://%s/nested.yaml' % tree
    assert template['resources']['d']['properties']['value'] == {'get_file': data_url}
    assert template['resources']['n']['type'] == nested_url
    assert files[data_url] == 'file data\n'
    assert json.loads(files[nested_url]) == {'heat_template_version': '2018-08-31', 'resources': {}}


def test_load_template_files_option_overrides_reads(tree):
    template, files = heat_template.load_template(template=str(tree / 'noref.yaml'), files={'missing.txt': 'given'})
    assert files == {'file://%s/missing.txt' % tree: 'given'}


@pytest.mark.parametrize('kwargs, match', [
    (dict(template='/nonexistent/x.yaml'), 'Template file not found: /nonexistent/x.yaml'),
    (dict(template='BAD'), 'Cannot parse the template'),
    (dict(template='NOREF'), 'Cannot read the template or a file it references'),
    (dict(template_content='a: [unbalanced'), 'Cannot parse the template'),
    (dict(template_content='resources: {}'), 'Template format version not found'),
    (dict(template_content={'resources': {}}), 'no heat_template_version'),
    (dict(template_content=42), 'must be a dict'),
    (dict(template_content={'heat_template_version': '2018-08-31',
                            'resources': {'a': {'type': 'OS::Heat::Value',
                                                'properties': {'value': {'get_file': 'nope.txt'}}}}}),
     'Cannot read the template or a file it references'),
])
def test_load_template_errors(tree, kwargs, match):
    if kwargs.get('template') == 'BAD':
        kwargs['template'] = str(tree / 'bad.yaml')
    if kwargs.get('template') == 'NOREF':
        kwargs['template'] = str(tree / 'noref.yaml')
    with pytest.raises(InvalidInput, match=match):
        heat_template.load_template(cwd=str(tree), **kwargs)


@pytest.mark.parametrize('content', [
    {'heat_template_version': '2018-08-31', 'resources': {'a': {'type': 'OS::Heat::Value',
                                                                'properties': {'value': {'get_file': 'n.txt'}}}}},
    'heat_template_version: 2018-08-31\nresources:\n  a: {type: OS::Heat::Value, properties: {value: {get_file: n.txt}}}\n',
])
def test_load_template_inline_dict_and_string_are_equal(tmp_path, content):
    template, files = heat_template.load_template(template_content=content, files={'n.txt': 'note'}, cwd=str(tmp_path))
    url = 'file://%s/n.txt' % tmp_path
    assert template['heat_template_version'] == '2018-08-31'
    assert template['resources']['a']['properties']['value'] == {'get_file': url}
    assert files == {url: 'note'}


def test_load_environment_merges_files_then_inline(tree):
    env, files = heat_template.load_environment([str(tree / 'env.yaml')], {'parameters': {'q': 1}}, cwd=str(tree))
    assert env['parameters'] == {'p': 'from-file', 'q': 1}
    assert env['resource_registry'] == {'My::T': 'file://%s/nested.yaml' % tree}
    assert 'file://%s/nested.yaml' % tree in files
    env2, dummy = heat_template.load_environment(None, 'parameters:\n  p: inline\n')
    assert env2 == {'parameters': {'p': 'inline'}}


@pytest.mark.parametrize('paths, content, match', [
    (['/nonexistent/env.yaml'], None, 'Environment file not found'),
    (None, {'nonsense': {}}, 'unknown section'),
    (None, 'nonsense: {}', 'wrong section'),
    (None, 'a: [', 'Cannot parse environment_content'),
    (None, 3, 'must be a dict'),
])
def test_load_environment_errors(paths, content, match):
    with pytest.raises(InvalidInput, match=match):
        heat_template.load_environment(paths, content)


# -- DesiredStack and the plan ----------------------------------------------------------------------------

def desired(**kwargs):
    values = dict(name='s', template=copy.deepcopy(HOT), parameters={'p': 'b'}, tags=['t1'])
    values.update(kwargs)
    return heat_stack.DesiredStack(**values)


def test_desired_body_sends_everything_and_a_digest_of_hidden_values():
    want = desired(parameters={'p': 'b', 'pw': 'secret'}, timeout=61, rollback=True)
    body = want.body()
    assert body['stack_name'] == 's'
    assert body['parameters'] == {'p': 'b', 'pw': 'secret'}
    assert body['timeout_mins'] == 2 and body['disable_rollback'] is False
    assert body['tags'] == 't1'
    digest = body['environment']['parameter_defaults'][heat_template.HIDDEN_DIGEST_KEY]
    assert heat_template.digest_matches({'parameters.pw': 'secret'}, digest)
    assert want.secret_values() == ['secret']


@pytest.mark.parametrize('tags, existing, expected', [
    (['a', 'b'], ['x'], 'a,b'),
    (None, ['x', 'y'], 'x,y'),   # not set: the stack's tags are kept (a PUT without tags clears them)
    (None, [], None),
    ([], ['x'], None),          # set to empty: cleared
])
def test_desired_body_tags(tags, existing, expected):
    body = desired(tags=tags).body(existing_tags=existing, with_name=False)
    assert body.get('tags') == expected
    assert 'stack_name' not in body


def stored_env(params, digest_values=None, defaults=None):
    env = {'resource_registry': {'resources': {}}, 'parameters': params, 'parameter_defaults': dict(defaults or {}),
           'event_sinks': [], 'encrypted_param_names': []}
    if digest_values is not None:
        env['parameter_defaults'][heat_template.HIDDEN_DIGEST_KEY] = heat_template.make_digest(digest_values, iterations=1000)
    return env


STACK = {'stack_name': 's', 'id': 'i', 'tags': ['t1'], 'stack_status': 'CREATE_COMPLETE'}

PLAN_CASES = [
    # (name, desired kwargs, stored template, stored env, stored stack, expected changed keys)
    ('identical', {}, HOT, stored_env({'p': 'b'}), STACK, []),
    ('template', {}, dict(HOT, description='x'), stored_env({'p': 'b'}), STACK, ['template']),
    ('parameter value', {'parameters': {'p': 'c'}}, HOT, stored_env({'p': 'b'}), STACK, ['parameters']),
    ('parameter removed', {'parameters': {}}, HOT, stored_env({'p': 'b'}), STACK, ['parameters']),
    ('number vs string', {'parameters': {'p': 3}}, HOT, stored_env({'p': '3'}), STACK, []),
    ('tags', {'tags': ['t2']}, HOT, stored_env({'p': 'b'}), STACK, ['tags']),
    ('tags order', {'tags': ['b', 'a']}, HOT, stored_env({'p': 'b'}), dict(STACK, tags=['a', 'b']), []),
    ('tags not set', {'tags': None}, HOT, stored_env({'p': 'b'}), dict(STACK, tags=['z']), []),
    ('hidden same', {'parameters': {'p': 'b', 'pw': 's1'}}, HOT,
     stored_env({'p': 'b', 'pw': '******'}, {'parameters.pw': 's1'}), STACK, []),
    ('hidden changed', {'parameters': {'p': 'b', 'pw': 's2'}}, HOT,
     stored_env({'p': 'b', 'pw': '******'}, {'parameters.pw': 's1'}), STACK, ['parameters']),
    ('hidden without digest', {'parameters': {'p': 'b', 'pw': 's1'}}, HOT,
     stored_env({'p': 'b', 'pw': '******'}), STACK, ['parameters']),
    ('hidden added', {'parameters': {'p': 'b', 'pw': 's1'}}, HOT, stored_env({'p': 'b'}), STACK, ['parameters']),
    ('hidden removed', {'parameters': {'p': 'b'}}, HOT,
     stored_env({'p': 'b', 'pw': '******'}, {'parameters.pw': 's1'}), STACK, ['parameters']),
    ('env registry', {'environment': {'resource_registry': {'My::T': 'file:///t.yaml'}}}, HOT,
     stored_env({'p': 'b'}), STACK, ['environment']),
    ('env parameter_defaults', {'environment': {'parameter_defaults': {'x': 1}}}, HOT,
     stored_env({'p': 'b'}, defaults={'x': 2}), STACK, ['parameter_defaults']),
    ('env file params fold into parameters', {'environment': {'parameters': {'p': 'b'}}, 'parameters': {}}, HOT,
     stored_env({'p': 'b'}), STACK, []),
]


@pytest.mark.parametrize('name, kwargs, template, env, stack, expected', PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
def test_plan_stack_update(name, kwargs, template, env, stack, expected):
    diff = heat_stack.plan_stack_update(desired(**kwargs), stack, template, env)
    assert sorted(diff.keys) == sorted(expected)
    rendered = json.dumps(diff.diff())
    assert 's1' not in rendered and 's2' not in rendered


def test_plan_redacts_hidden_values_and_marks_hidden_changes():
    diff = heat_stack.plan_stack_update(desired(parameters={'p': 'c', 'pw': 's2'}), STACK, HOT,
                                        stored_env({'p': 'b', 'pw': '******'}, {'parameters.pw': 's1'}))
    assert diff.diff() == {'before': {'parameters': {'p': 'b', 'pw': REDACTED}},
                           'after': {'parameters': {'p': 'c', 'pw': REDACTED + ' (changed)'}}}


def test_plan_compares_files_when_fetched():
    want = desired(files={'file:///a.txt': 'new'})
    diff = heat_stack.plan_stack_update(want, STACK, HOT, stored_env({'p': 'b'}), files={'file:///a.txt': 'old'})
    assert diff.diff() == {'before': {'files': {'file:///a.txt': heat_stack.opaque('old')}},
                           'after': {'files': {'file:///a.txt': heat_stack.opaque('new')}}}  # issue 10 #3: redacted
    same = heat_stack.plan_stack_update(want, STACK, HOT, stored_env({'p': 'b'}), files={'file:///a.txt': 'new'})
    assert not same.changed


# -- StackRunner with a fake Heat ------------------------------------------------------------------------------

class FakeHeat(object):
    """A tiny in-memory Heat: stacks finish their actions after ``steps`` polls."""

    def __init__(self, steps=1, fail_action=None, never_finish=False):
        self.stacks = {}
        self.calls = []
        self.steps = steps
        self.fail_action = fail_action
        self.never_finish = never_finish
        self._ids = itertools.count(1)

    def _record(self, *call):
        self.calls.append(call)

    @property
    def writes(self):
        return [c for c in self.calls if c[0] in ('create', 'update', 'delete', 'action')]

    def _start(self, stack, action):
        stack['stack_status'] = '%s_IN_PROGRESS' % action
        stack['_pending'] = (action, self.steps)

    def _tick(self, stack):
        pending = stack.get('_pending')
        if not pending or self.never_finish:
            return
        action, left = pending
        if left > 0:
            stack['_pending'] = (action, left - 1)
            return
        del stack['_pending']
        if action == 'DELETE':
            del self.stacks[stack['stack_name']]
            return
        if action == self.fail_action:
            stack['stack_status'] = '%s_FAILED' % action
            stack['stack_status_reason'] = 'Resource %s failed: boom' % action
            stack['_failed'] = True
        else:
            stack['stack_status'] = '%s_COMPLETE' % action
            stack['stack_status_reason'] = 'ok'
            stack['_failed'] = False

    def _public(self, stack):
        return dict((k, copy.deepcopy(v)) for k, v in stack.items() if not k.startswith('_'))

    def find_stack(self, name, resolve_outputs=True, include_deleted=False):
        self._record('find', name)
        stack = self.stacks.get(name) or next((s for s in self.stacks.values() if s['id'] == name), None)
        return self._public(stack) if stack else None

    def get_stack(self, stack, resolve_outputs=True, include_deleted=False):
        self._record('get', stack['stack_name'])
        found = self.stacks.get(stack['stack_name'])
        if found is None:
            return None
        self._tick(found)
        found = self.stacks.get(stack['stack_name'])
        return self._public(found) if found else None

    def stack_gone(self, stack):
        return self.get_stack(stack)

    def list_stacks(self, query=None):
        self._record('list', (query or {}).get('name'))
        return [self._public(s) for s in self.stacks.values() if s['stack_name'] == (query or {}).get('name')]

    def get_template(self, stack):
        self._record('template', stack['stack_name'])
        return copy.deepcopy(self.stacks[stack['stack_name']]['_template'])

    def get_environment(self, stack):
        self._record('environment', stack['stack_name'])
        stored = self.stacks[stack['stack_name']]
        env = copy.deepcopy(stored['_environment'])
        env.setdefault('parameters', {}).update(stored['_parameters'])
        hidden = heat_template.hidden_parameter_names(stored['_template'])
        for section in ('parameters', 'parameter_defaults'):
            for key in env.get(section, {}):
                if key in hidden:
                    env[section][key] = '******'
        return env

    def get_files(self, stack):
        self._record('files', stack['stack_name'])
        return copy.deepcopy(self.stacks[stack['stack_name']]['_files'])

    def _store(self, stack, body):
        stack.update(_template=body['template'], _environment=body['environment'], _files=body['files'],
                     _parameters=body['parameters'], tags=body['tags'].split(',') if body.get('tags') else [],
                     outputs=[{'output_key': 'o', 'output_value': body['parameters'].get('p')}])

    def create_stack(self, body):
        self._record('create', body['stack_name'])
        if 'OS::Heat::Nope' in json.dumps(body['template']):
            raise sdk_exceptions.BadRequestException('The Resource Type (OS::Heat::Nope) could not be found.')
        stack = dict(stack_name=body['stack_name'], id='id-%d' % next(self._ids))
        self._store(stack, body)
        self._start(stack, 'CREATE')
        self.stacks[stack['stack_name']] = stack
        return dict(id=stack['id'])

    def preview_create(self, body):
        self._record('preview_create', body['stack_name'])
        return {'stack': {'resources': [{'resource_name': r, 'resource_type': d['type']}
                                        for r, d in body['template'].get('resources', {}).items()]}}

    def update_stack(self, stack, body):
        self._record('update', stack['stack_name'])
        stored = self.stacks[stack['stack_name']]
        self._store(stored, body)
        self._start(stored, 'UPDATE')

    def preview_update(self, stack, body):
        self._record('preview_update', stack['stack_name'])
        return {'resource_changes': {'updated': [{'resource_name': 'v'}], 'unchanged': [], 'added': [],
                                     'deleted': [], 'replaced': []}}

    def delete_stack(self, stack):
        self._record('delete', stack['stack_name'])
        stored = self.stacks.get(stack['stack_name'])
        if stored:
            self._start(stored, 'DELETE')

    def stack_action(self, stack, action):
        self._record('action', action)
        self._start(self.stacks[stack['stack_name']], action.upper())

    def resources(self, stack, nested_depth=0):
        stored = self.stacks.get(stack['stack_name'])
        if stored and stored.get('_failed'):
            return [{'resource_name': 'v', 'resource_type': 'OS::Heat::Value', 'resource_status': 'CREATE_FAILED',
                     'resource_status_reason': 'boom'}]
        return []

    def events(self, stack, query=''):
        return []


def make_runner(api, clock, timeout=60, **kwargs):
    return heat_runner.StackRunner(api, clock.deadline(timeout), **kwargs)


def run_stack(api, clock, want, check_mode=False, diff_mode=False, timeout=60, **kwargs):
    """The stack module's flow: read, plan, previews, then apply (or predict in check mode).

    Returns (diff, stack, extra); for state=absent the stack found (the module returns its id).
    """
    runner = make_runner(api, clock, timeout, **kwargs)
    plan = heat_stack.plan_stack(runner.read(want), want)
    runner.add_previews(plan, check_mode, diff_mode)
    try:
        stack = runner.apply(plan) if plan.changed and not check_mode else plan.predicted
    except heat_runner.StackTaken as taken:  # as the module: another run created it meanwhile, go on as for an existing one
        plan = heat_stack.plan_stack(runner.read(want, taken.stack), want)
        runner.add_previews(plan, check_mode, diff_mode)
        stack = runner.apply(plan) if plan.changed and not check_mode else plan.predicted
    if want.state == 'absent':
        stack = plan.current
    return plan.diff, stack, plan.extra


def test_create_then_idempotent_run_sends_no_write(clock):
    api = FakeHeat()
    diff, stack, extra = run_stack(api, clock, desired())
    assert diff.changed and stack['stack_status'] == 'CREATE_COMPLETE'
    assert [c[0] for c in api.writes] == ['create']
    api.calls = []
    diff, stack, extra = run_stack(api, clock, desired())
    assert not diff.changed and api.writes == []
    assert [c[0] for c in api.calls] == ['find', 'template', 'environment']
    assert heat_stack.stack_outputs(stack) == ({'o': 'b'}, [{'output_key': 'o', 'output_value': 'b'}])


class RacedHeat(FakeHeat):
    """Another run creates the stack (``body_of_other``) between this run's read and its create: Heat answers 409."""

    def __init__(self, body_of_other=None, **kwargs):
        super(RacedHeat, self).__init__(**kwargs)
        self.body_of_other = body_of_other

    def create_stack(self, body):
        if self.body_of_other is not None:
            other, self.body_of_other = self.body_of_other, None
            FakeHeat.create_stack(self, dict(body, **other))
            self._record('conflict', body['stack_name'])
            raise sdk_exceptions.ConflictException('The Stack (%s) already exists.' % body['stack_name'])
        return FakeHeat.create_stack(self, body)


def test_create_that_meets_another_runs_stack_waits_for_it_and_compares(clock):
    """Issue 10 #10: two runs at once; the second POST /stacks gets 409. Before: the task failed on the 409."""
    api = RacedHeat(body_of_other={}, steps=2)
    runner = make_runner(api, clock)
    plan = heat_stack.plan_stack(runner.read(desired()), desired())
    with pytest.raises(heat_runner.StackTaken):
        runner.apply(plan)
    api = RacedHeat(body_of_other={}, steps=2)
    diff, stack, extra = run_stack(api, clock, desired())
    assert not diff.changed and stack['id'] == 'id-1' and stack['stack_status'] == 'CREATE_COMPLETE'
    assert [c[0] for c in api.writes] == ['create']  # the other run's: nothing deleted, nothing created twice


def test_create_that_meets_another_runs_different_stack_updates_it_and_never_deletes_it(clock):
    api = RacedHeat(body_of_other={'parameters': {'p': 'other'}}, fail_action='CREATE')
    diff, stack, extra = run_stack(api, clock, desired())   # the other run's create failed: recovered, not deleted
    assert [c[0] for c in api.writes] == ['create', 'update'] and stack['stack_status'] == 'UPDATE_COMPLETE'
    assert diff.diff()['before']['status'] == 'CREATE_FAILED'
    api = RacedHeat(body_of_other={'parameters': {'p': 'other'}})
    diff, stack, extra = run_stack(api, clock, desired())
    assert diff.changed and diff.keys == ['parameters'] and [c[0] for c in api.writes] == ['create', 'update']


class TwinHeat(FakeHeat):
    """Heat's name check is not atomic: another run's stack (``other_id``) got stored with the same name."""

    def __init__(self, other_id, **kwargs):
        super(TwinHeat, self).__init__(**kwargs)
        self.other_id = other_id

    def list_stacks(self, query=None):
        same = [dict(s, creation_time='2026-01-01T00:00:00Z') for s in FakeHeat.list_stacks(self, query)]
        return same + [dict(stack_name=query['name'], id=self.other_id, stack_status='CREATE_IN_PROGRESS',
                            creation_time='2026-01-01T00:00:00Z')]


def test_create_that_finds_an_older_twin_deletes_its_own_stack_only(clock):
    """Issue 10 #10: both creates got through. Before: two stacks with the name were left."""
    api = TwinHeat('id-0')   # older (same second, smaller id): this run's own stack goes
    runner = make_runner(api, clock)
    with pytest.raises(heat_runner.StackTaken) as taken:
        runner.create(desired())
    assert taken.value.stack['id'] == 'id-0' and api.stacks == {}
    assert api.writes == [('create', 's'), ('delete', 's')]
    api = TwinHeat('id-9')   # newer: this run's stays, the other run yields
    stack = make_runner(api, clock).create(desired())
    assert stack['id'] == 'id-1' and stack['stack_status'] == 'CREATE_COMPLETE' and api.writes == [('create', 's')]
    assert [c for c in api.calls if c[0] == 'list'] == [('list', 's')] * 2   # after the create and after the wait


def test_check_mode_create_previews_and_writes_nothing(clock):
    api = FakeHeat()
    diff, stack, extra = run_stack(api, clock, desired(parameters={'p': 'b', 'pw': 'hush'}),
                                   check_mode=True, diff_mode=True)
    assert diff.changed and api.writes == []
    assert extra['preview'] == {'resources': [{'name': 'v', 'type': 'OS::Heat::Value'}]}
    assert stack['id'] is None and stack['parameters'] == {'p': 'b', 'pw': REDACTED}
    assert diff.diff()['after']['preview'] == extra['preview']


def test_update_with_check_mode_and_diff(clock):
    api = FakeHeat()
    run_stack(api, clock, desired())
    api.calls = []
    diff, stack, extra = run_stack(api, clock, desired(parameters={'p': 'c'}), check_mode=True, diff_mode=True)
    assert diff.changed and api.writes == []
    assert extra['resource_changes']['updated'] == ['v']
    assert diff.diff()['after']['resource_changes'] == {'added': [], 'updated': ['v'], 'replaced': [], 'deleted': []}
    diff, stack, extra = run_stack(api, clock, desired(parameters={'p': 'c'}))
    assert [c[0] for c in api.writes] == ['update'] and stack['stack_status'] == 'UPDATE_COMPLETE'
    assert 'resource_changes' not in extra  # the preview runs only in check or diff mode
    assert stack['outputs'][0]['output_value'] == 'c'


def test_failed_create_is_deleted_and_reported(clock):
    api = FakeHeat(fail_action='CREATE')
    with pytest.raises(ResourceFailed) as err:
        run_stack(api, clock, desired())
    assert "Stack 's' is CREATE_FAILED: Resource CREATE failed: boom" in err.value.msg
    assert 'v (OS::Heat::Value): boom' in err.value.msg
    assert 'The failed stack was deleted' in err.value.msg
    assert err.value.details['failed_resources'][0]['name'] == 'v'
    assert api.stacks == {}


def test_failed_create_kept_on_request(clock):
    api = FakeHeat(fail_action='CREATE')
    with pytest.raises(ResourceFailed) as err:
        run_stack(api, clock, desired(), keep_failed=True)
    assert 'deleted' not in err.value.msg
    assert api.stacks['s']['stack_status'] == 'CREATE_FAILED'


def test_failed_stack_is_updated_or_recreated(clock):
    api = FakeHeat(fail_action='CREATE')
    with pytest.raises(ResourceFailed):
        run_stack(api, clock, desired(), keep_failed=True)
    api.fail_action = None
    old_id = api.stacks['s']['id']
    diff, stack, extra = run_stack(api, clock, desired())  # identical definition, but FAILED: update
    assert diff.diff()['before']['status'] == 'CREATE_FAILED'
    assert stack['stack_status'] == 'UPDATE_COMPLETE' and stack['id'] == old_id

    api.fail_action = 'UPDATE'
    with pytest.raises(ResourceFailed, match='UPDATE_FAILED'):
        run_stack(api, clock, desired(parameters={'p': 'z'}))
    assert api.stacks['s']['stack_status'] == 'UPDATE_FAILED'  # an update failure keeps the stack
    api.fail_action = None
    diff, stack, extra = run_stack(api, clock, desired(recreate_failed=True))
    assert diff.diff()['after']['status'] == 'recreated'
    assert stack['stack_status'] == 'CREATE_COMPLETE' and stack['id'] != old_id


def test_create_timeout_deletes_the_unfinished_stack(clock):
    api = FakeHeat(never_finish=True)
    with pytest.raises(WaitTimeout) as err:
        run_stack(api, clock, desired(), timeout=3)
    assert 'Timed out after 3s' in err.value.msg and 'CREATE_IN_PROGRESS' in err.value.msg
    assert 'could not be deleted' in err.value.msg  # the fake never finishes the delete either


def test_bad_request_is_reported_clearly(clock):
    api = FakeHeat()
    template = dict(HOT, resources={'x': {'type': 'OS::Heat::Nope'}})
    with pytest.raises(InvalidInput, match=r"Heat rejected the stack 's': .*OS::Heat::Nope"):
        run_stack(api, clock, desired(template=template))
    assert api.stacks == {}


def test_suspend_resume_and_delete(clock):
    api = FakeHeat()
    run_stack(api, clock, desired())
    diff, stack, extra = run_stack(api, clock, heat_stack.DesiredStack('s', state='suspended'))
    assert diff.changed and stack['stack_status'] == 'SUSPEND_COMPLETE'
    diff, stack, extra = run_stack(api, clock, heat_stack.DesiredStack('s', state='suspended'))
    assert not diff.changed
    diff, stack, extra = run_stack(api, clock, desired(), check_mode=True)
    assert diff.diff()['after']['status'] == 'RESUME_COMPLETE' and stack['stack_status'] == 'SUSPEND_COMPLETE'
    diff, stack, extra = run_stack(api, clock, desired())
    assert stack['stack_status'] == 'RESUME_COMPLETE'
    diff, stack, extra = run_stack(api, clock, heat_stack.DesiredStack('s', state='absent'), check_mode=True)
    assert diff.changed and 's' in api.stacks
    diff, stack, extra = run_stack(api, clock, heat_stack.DesiredStack('s', state='absent'))
    assert diff.changed and api.stacks == {}
    diff, stack, extra = run_stack(api, clock, heat_stack.DesiredStack('s', state='absent'))
    assert not diff.changed and stack is None


def test_absent_desired_stack_reads_nothing():
    want = heat_stack.DesiredStack.from_params(dict(name='not a valid name', state='absent', template='/nonexistent'))
    assert want.state == 'absent' and want.template is None


def test_plan_is_decided_before_any_write(clock):
    api = FakeHeat(fail_action='CREATE')
    with pytest.raises(ResourceFailed):
        run_stack(api, clock, desired(), keep_failed=True)
    api.calls = []
    current = make_runner(api, clock).read(desired())
    plan = heat_stack.plan_stack(current, desired(recreate_failed=True))
    assert [name for name, data in plan.steps] == ['delete', 'create'] and api.writes == []
    with pytest.raises(NotFound, match='no template'):  # nothing deleted that could not be created again
        heat_stack.plan_stack(current, heat_stack.DesiredStack('s', state='suspended', recreate_failed=True))


def test_one_deadline_for_the_whole_task(clock):
    api = FakeHeat(steps=30)
    run_stack(api, clock, desired(), wait=False)
    with pytest.raises(WaitTimeout, match='Timed out after 5s'):  # settling the create uses up the budget
        run_stack(api, clock, desired(parameters={'p': 'new'}), timeout=5)
    assert [c[0] for c in api.writes] == ['create']


def test_missing_stack_without_template_is_not_found(clock):
    with pytest.raises(NotFound):
        run_stack(FakeHeat(), clock, heat_stack.DesiredStack('s', state='suspended'))


def test_stack_found_in_progress_is_waited_for(clock):
    api = FakeHeat(steps=3)
    run_stack(api, clock, desired(), wait=False)
    assert api.stacks['s']['stack_status'] == 'CREATE_IN_PROGRESS'
    diff, stack, extra = run_stack(api, clock, desired())
    assert not diff.changed and stack['stack_status'] == 'CREATE_COMPLETE'


def test_stale_failure_status_is_ignored_until_the_action_starts(clock):
    api = FakeHeat()
    stack = {'stack_name': 's', 'id': 'i', 'stack_status': 'DELETE_FAILED'}
    api.stacks['s'] = dict(stack, _pending=('DELETE', 0))
    api.stacks['s']['stack_status'] = 'DELETE_FAILED'
    make_runner(api, clock).wait_for_action(stack, 'DELETE', prior_status='DELETE_FAILED')
    assert api.stacks == {}


# -- software configs and deployments ----------------------------------------------------------------------

class FakeConfigs(object):
    def __init__(self):
        self.configs = {}
        self.deployments = {}
        self.calls = []
        self._ids = itertools.count(1)

    def _id(self):
        return '00000000-0000-0000-0000-%012d' % next(self._ids)

    @property
    def writes(self):
        return [c for c in self.calls if c[0].startswith(('create', 'update', 'delete'))]

    def list_configs(self):
        return [dict(id=c['id'], name=c['name'], group=c.get('group')) for c in self.configs.values()]

    def get_config(self, config_id):
        found = self.configs.get(config_id)
        return copy.deepcopy(found) if found else None

    def create_config(self, body):
        self.calls.append(('create_config', body['name']))
        stored = dict(body, id=self._id())
        stored['inputs'] = heat_software.normalize_io(body.get('inputs'))
        self.configs[stored['id']] = stored
        return copy.deepcopy(stored)

    def delete_config(self, config_id):
        self.calls.append(('delete_config', config_id))
        self.configs.pop(config_id, None)

    def list_deployments(self, server_id=None):
        return [copy.deepcopy(d) for d in self.deployments.values() if server_id in (None, d['server_id'])]

    def create_deployment(self, body):
        self.calls.append(('create_deployment', body['server_id']))
        stored = dict(body, id=self._id(), status_reason=body.get('status_reason', 'None'))
        self.deployments[stored['id']] = stored
        return copy.deepcopy(stored)

    def update_deployment(self, deployment_id, body):
        self.calls.append(('update_deployment', deployment_id))
        before = copy.deepcopy(self.deployments[deployment_id])
        self.deployments[deployment_id].update(body)
        if 'config_id' in body:  # like Heat: a config change is answered with the old config_id
            return dict(copy.deepcopy(self.deployments[deployment_id]), config_id=before['config_id'])
        return copy.deepcopy(self.deployments[deployment_id])

    def get_deployment(self, deployment_id):
        return copy.deepcopy(self.deployments.get(deployment_id))

    def delete_deployment(self, deployment_id):
        self.calls.append(('delete_deployment', deployment_id))
        self.deployments.pop(deployment_id, None)


def ensure_config(api, params, check_mode=False):
    """The software_config module's flow; returns (diff, config, superseded ids kept)."""
    desired = heat_software.DesiredConfig.from_params(params)
    plan = heat_software.plan_config(heat_software.read_configs(api, desired), desired)
    config = heat_software.apply_config(api, plan) if plan.changed and not check_mode else plan.predicted
    plan.raise_if_refused()
    return plan.diff, config, plan.kept


def ensure_deployment(api, params, check_mode=False):
    """The software_deployment module's flow; returns (diff, deployment)."""
    desired = heat_deployment.DesiredDeployment.from_params(params)
    plan = heat_deployment.plan_deployment(heat_deployment.read_deployment(api, desired), desired)
    return plan.diff, (heat_deployment.apply_deployment(api, plan) if plan.changed and not check_mode
                       else plan.predicted)


def config_params(**kwargs):
    params = dict(name='c', state='present', group='script', config='echo hi', inputs=[{'name': 'a'}],
                  outputs=None, options=None)
    params.update(kwargs)
    return params


@pytest.mark.parametrize('desired_io, stored_io, equal', [
    ([{'name': 'a'}], [{'name': 'a', 'type': 'String'}], True),
    ([{'name': 'a', 'description': None}], [{'name': 'a', 'type': 'String'}], True),
    ([{'name': 'a', 'type': 'Number'}], [{'name': 'a', 'type': 'String'}], False),
    ([{'name': 'a'}, {'name': 'b'}], [{'name': 'b'}, {'name': 'a'}], False),
    ([], None, True),
])
def test_normalize_io(desired_io, stored_io, equal):
    assert (heat_software.normalize_io(desired_io) == heat_software.normalize_io(stored_io)) is equal


def test_outputs_compare_with_heats_error_output_default():
    desired = dict(group='script', config='echo', inputs=None, outputs=[{'name': 'b'}], options=None)
    stored = dict(group='script', config='echo', inputs=[], outputs=[{'name': 'b', 'type': 'String', 'error_output': False}])
    assert not heat_software.config_differences(desired, stored).changed
    stored['outputs'][0]['error_output'] = True
    assert heat_software.config_differences(desired, stored).keys == ['outputs']


def test_config_lifecycle():
    api = FakeConfigs()
    diff, created, kept = ensure_config(api, config_params(), check_mode=True)
    assert diff.changed and created['id'] is None and api.writes == []
    diff, created, kept = ensure_config(api, config_params())
    assert diff.changed and created['name'] == 'c' and kept == []
    api.calls = []
    diff, same, kept = ensure_config(api, config_params())
    assert not diff.changed and same['id'] == created['id'] and api.writes == []
    diff, replaced, kept = ensure_config(api, config_params(config='echo bye'))
    assert diff.changed and replaced['id'] != created['id']
    assert diff.diff() == {'before': {'config': heat_stack.opaque('echo hi'), 'replaced_id': None, 'deleted_ids': None},
                           'after': {'config': heat_stack.opaque('echo bye'), 'replaced_id': created['id'],
                                     'deleted_ids': [created['id']]}}
    assert list(api.configs) == [replaced['id']]  # the old one is deleted after the new one exists
    diff, gone, kept = ensure_config(api, config_params(state='absent'))
    assert diff.changed and gone is None and api.configs == {}
    diff, gone, kept = ensure_config(api, config_params(state='absent'))
    assert not diff.changed


def test_config_in_use_is_kept_until_its_deployment_moves():
    api = FakeConfigs()
    dummy, v1, kept = ensure_config(api, config_params())
    ensure_deployment(api, deployment_params())
    diff, v2, kept = ensure_config(api, config_params(config='v2'))
    assert diff.changed and kept == [v1['id']] and set(api.configs) == {v1['id'], v2['id']}
    api.calls = []
    diff, current, kept = ensure_config(api, config_params(config='v2'))  # newest wins, no write
    assert not diff.changed and current['id'] == v2['id'] and kept == [v1['id']] and api.writes == []
    diff, dep = ensure_deployment(api, deployment_params())
    assert diff.diff()['after'] == {'config_id': v2['id']}
    diff, current, kept = ensure_config(api, config_params(config='v2'))  # now the old one can go
    assert diff.diff()['after'] == {'deleted_ids': [v1['id']]} and kept == [] and list(api.configs) == [v2['id']]
    with pytest.raises(CloudModuleError, match='used by deployments'):
        ensure_config(api, config_params(state='absent'))


def test_absent_config_in_use_fails_after_deleting_the_unused_versions_changed_from_the_diff():
    api = FakeConfigs()
    dummy, v1, kept = ensure_config(api, config_params())
    ensure_deployment(api, deployment_params())
    dummy, v2, kept = ensure_config(api, config_params(config='v2'))  # v1 kept: the deployment uses it
    ensure_deployment(api, deployment_params(state='absent'))
    ensure_deployment(api, deployment_params(config=v1['id']))  # now v1 is used, v2 is not
    desired = heat_software.DesiredConfig.from_params(config_params(state='absent'))
    plan = heat_software.plan_config(heat_software.read_configs(api, desired), desired)
    assert plan.steps == [('delete', {'ids': [v2['id']]})] and plan.changed
    heat_software.apply_config(api, plan)
    with pytest.raises(CloudModuleError) as err:
        plan.raise_if_refused()
    assert err.value.details == {'deleted_ids': [v2['id']], 'kept_ids': [v1['id']], 'changed': True}
    assert list(api.configs) == [v1['id']]


def deployment_params(**kwargs):
    params = dict(config='c', server_id='srv', state='present', action=None, status=None, status_reason=None,
                  input_values=None, signal_transport=None)
    params.update(kwargs)
    return params


def test_deployment_lifecycle_and_config_replacement():
    api = FakeConfigs()
    with pytest.raises(NotFound):
        ensure_deployment(api, deployment_params())
    dummy, config, kept = ensure_config(api, config_params())
    diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 1}, signal_transport='NO_SIGNAL'))
    assert diff.changed and dep['action'] == 'CREATE' and dep['status'] == 'IN_PROGRESS'
    assert dep['input_values'] == {'a': 1, 'deploy_signal_transport': 'NO_SIGNAL'}
    api.calls = []
    diff, same = ensure_deployment(api, deployment_params(input_values={'a': 1}, signal_transport='NO_SIGNAL'))
    assert not diff.changed and api.writes == []
    diff, same = ensure_deployment(api, deployment_params(config=config['id']))
    assert not diff.changed and same['id'] == dep['id']
    diff, pred = ensure_deployment(api, deployment_params(status='COMPLETE'), check_mode=True)
    assert diff.changed and pred['status'] == 'COMPLETE' and api.writes == []
    diff, upd = ensure_deployment(api, deployment_params(status='COMPLETE', status_reason='done'))
    assert diff.diff()['after'] == {'status': 'COMPLETE', 'status_reason': 'done'}
    assert upd['id'] == dep['id']
    diff, gone = ensure_deployment(api, deployment_params(state='absent'))
    assert diff.changed and api.deployments == {}
    diff, gone = ensure_deployment(api, deployment_params(state='absent'))
    assert not diff.changed


def test_two_deployments_of_one_config_on_one_server_are_ambiguous():
    api = FakeConfigs()
    dummy, config, kept = ensure_config(api, config_params())
    api.create_deployment(dict(config_id=config['id'], server_id='srv'))
    api.create_deployment(dict(config_id=config['id'], server_id='srv'))
    with pytest.raises(Ambiguous):
        ensure_deployment(api, deployment_params())


def test_config_info():
    api = FakeConfigs()
    dummy, config, kept = ensure_config(api, config_params())
    assert [c['id'] for c in heat_info.config_info(api, 'c', details=True)] == [config['id']]
    assert heat_info.config_info(api, config['id'])[0]['config'] == 'echo hi'
    assert heat_info.config_info(api, 'nope') == []


@pytest.mark.parametrize('rollback, action, prior, seen, status, expected', [
    (False, 'CREATE', None, True, 'CREATE_FAILED', 'CREATE_FAILED'),
    (True, 'CREATE', None, True, 'CREATE_FAILED', None),          # the rollback follows
    (True, 'CREATE', None, True, 'ROLLBACK_COMPLETE', 'ROLLBACK_COMPLETE'),
    (True, 'CREATE', None, True, 'ROLLBACK_FAILED', 'ROLLBACK_FAILED'),
    (False, 'UPDATE', 'UPDATE_FAILED', False, 'UPDATE_FAILED', None),  # stale: the update has not started
    (False, 'UPDATE', 'UPDATE_FAILED', True, 'UPDATE_FAILED', 'UPDATE_FAILED'),
    (False, 'DELETE', None, True, 'DELETE_FAILED', 'DELETE_FAILED'),
    (False, 'CREATE', None, True, 'CREATE_IN_PROGRESS', None),
    (False, 'CREATE', None, True, None, 'gone'),
])
def test_final_failure(rollback, action, prior, seen, status, expected, clock):
    run = make_runner(None, clock, rollback=rollback)
    obj = None if status is None else {'stack_status': status}
    assert run._final_failure(obj, action, prior, seen) == expected


def test_stack_vanishing_during_a_wait_is_reported(clock):
    api = FakeHeat(steps=100)
    run_stack(api, clock, desired(), wait=False)
    stack = api.find_stack('s')
    api.stacks.clear()
    with pytest.raises(ResourceFailed, match="Stack 's' disappeared"):
        make_runner(api, clock).wait_for_action(stack, 'CREATE')


# -- HeatApi over a fake proxy: pagination and errors ------------------------------------------------------

class FakeResponse(object):
    def __init__(self, status_code, body=None):
        self.status_code = status_code
        self._body = body
        self.content = json.dumps(body).encode() if body is not None else b''
        self.headers = {'Content-Type': 'application/json'}
        self.reason = 'reason'
        self.text = self.content.decode()
        self.url = 'http://heat/x'

    def json(self):
        return self._body


class FakeProxy(object):
    def __init__(self, items, key):
        self.items, self.key, self.requests = items, key, []

    def get(self, url, params=None, **kwargs):
        self.requests.append((url, dict(params or {})))
        params = params or {}
        start = 0
        if params.get('marker'):
            start = [i['id'] for i in self.items].index(params['marker']) + 1
        return FakeResponse(200, {self.key: self.items[start:start + params.get('limit', 20)]})


class FakeConn(object):
    def __init__(self, proxy):
        self.orchestration = proxy


@pytest.mark.parametrize('count, page, requests', [(0, 3, 1), (2, 3, 1), (3, 3, 2), (7, 3, 3), (9, 3, 4)])
def test_list_stacks_follows_pagination(count, page, requests):
    proxy = FakeProxy([{'id': 's%d' % i} for i in range(count)], 'stacks')
    stacks = heat_api.HeatApi(FakeConn(proxy)).list_stacks({'tags': 'x'}, page_size=page)
    assert [s['id'] for s in stacks] == ['s%d' % i for i in range(count)]
    assert len(proxy.requests) == requests
    assert all(r[1]['tags'] == 'x' and r[1]['limit'] == page for r in proxy.requests)


def test_list_configs_follows_pagination():
    proxy = FakeProxy([{'id': 'c%d' % i, 'name': 'n'} for i in range(250)], 'software_configs')
    assert len(heat_api.HeatApi(FakeConn(proxy)).list_configs()) == 250
    assert len(proxy.requests) == 3


def test_api_errors_raise_sdk_exceptions():
    class Failing(object):
        def get(self, url, **kwargs):
            return FakeResponse(404, {'code': 404, 'title': 'Not Found', 'explanation': 'nope'})

        def post(self, url, **kwargs):
            return FakeResponse(400, {'code': 400, 'title': 'Bad Request',
                                      'error': {'message': 'The Parameter (x) was not provided.'}})

    api = heat_api.HeatApi(FakeConn(Failing()))
    assert api.find_stack('s') is None
    assert api.get_config('c') is None
    with pytest.raises(sdk_exceptions.BadRequestException):
        api.create_stack({'stack_name': 's'})


# -- secrets: no_log options merged into the plain ones, and the diff redacted by default (issue 10 #1, #3) ----------

CANARY = 'canary-7d1f0e'


def stack_params(**kwargs):
    params = dict(name='s', state='present', template=None, template_content=copy.deepcopy(HOT), template_url=None,
                  files=None, environment=None, environment_content=None, parameters={'p': 'b'},
                  secret_parameters=None, tags=None, timeout=3600, rollback=False, recreate_failed=False,
                  diff_secrets=False)
    params.update(kwargs)
    return params


def test_secret_parameters_merge_into_parameters_and_count_as_secret(tmp_path):
    want = heat_stack.DesiredStack.from_params(stack_params(secret_parameters={'pw': CANARY, 'q': CANARY + 'q'}),
                                               cwd=str(tmp_path))
    assert want.parameters == {'p': 'b', 'pw': CANARY, 'q': CANARY + 'q'}
    assert want.secret_names == {'pw', 'q'} and want.redacted_names == {'pw', 'q'}
    assert want.body()['parameters'] == want.parameters
    assert heat_template.digest_matches({'parameters.pw': CANARY},
                                        want.body()['environment']['parameter_defaults'][heat_template.HIDDEN_DIGEST_KEY])


def test_secret_parameters_are_as_idempotent_as_plain_ones(tmp_path):
    """Moving a hidden value from parameters to secret_parameters changes nothing on the stack."""
    plain = heat_stack.DesiredStack.from_params(stack_params(parameters={'p': 'b', 'pw': CANARY}), cwd=str(tmp_path))
    secret = heat_stack.DesiredStack.from_params(stack_params(secret_parameters={'pw': CANARY}), cwd=str(tmp_path))
    env = plain.body()['environment']
    env['parameters'] = {'p': 'b', 'pw': '******'}
    assert not heat_stack.plan_stack_update(secret, STACK, HOT, env).changed


@pytest.mark.parametrize('parameters, secret, match', [
    ({'pw': 'a'}, {'pw': CANARY}, 'pw'),
    ({'pw': 'a', 'x': 1}, {'x': CANARY, 'pw': CANARY}, 'pw, x'),
])
def test_a_parameter_in_both_fails_before_anything_is_read_and_without_its_value(parameters, secret, match):
    params = stack_params(parameters=parameters, secret_parameters=secret, template='/nonexistent/t.yaml',
                          template_content=None)
    with pytest.raises(InvalidInput, match='both parameters and secret_parameters: %s$' % match) as err:
        heat_stack.DesiredStack.from_params(params)
    assert CANARY not in str(err.value)


def test_secret_parameter_not_hidden_in_the_template_compares_by_value_and_is_redacted():
    want = desired(parameters={'p': 'c'}, secret_names={'p'})
    diff = heat_stack.plan_stack_update(want, STACK, HOT, stored_env({'p': 'b'}))
    assert diff.diff() == {'before': {'parameters': {'p': REDACTED}}, 'after': {'parameters': {'p': REDACTED}}}
    assert not heat_stack.plan_stack_update(desired(secret_names={'p'}), STACK, HOT, stored_env({'p': 'b'})).changed


def test_predicted_and_returned_stacks_redact_secret_parameters():
    want = desired(parameters={'p': CANARY, 'pw': CANARY}, secret_names={'p'})
    plan = heat_stack.StackPlan(want)
    plan.predict_create({})
    assert plan.predicted['parameters'] == {'p': REDACTED, 'pw': REDACTED}
    stack = dict(STACK, parameters={'p': 'old-' + CANARY, 'pw': '******', 'OS::stack_id': 'i'})
    shown = heat_stack.redact_stack(stack, want.redacted_names)
    assert shown['parameters'] == {'p': REDACTED, 'pw': '******', 'OS::stack_id': 'i'}
    assert stack['parameters']['p'] == 'old-' + CANARY  # not changed in place
    assert heat_stack.redact_stack(None, {'p'}) is None


def hidden_default_template(default):
    return dict(HOT, parameters={'p': {'type': 'string'}, 'pw': {'type': 'string', 'hidden': True, 'default': default}},
                description=default[:3])


def test_diff_redacts_hidden_defaults_and_files_by_default():
    want = desired(template=hidden_default_template(CANARY + '-new'), files={'file:///a.txt': CANARY + ' new'})
    diff = heat_stack.plan_stack_update(want, STACK, hidden_default_template(CANARY + '-old'), stored_env({'p': 'b'}),
                                        files={'file:///a.txt': CANARY + ' old', 'file:///b.txt': 'gone'})
    rendered = diff.diff()
    assert CANARY not in json.dumps(rendered)
    assert sorted(rendered['after']) == ['files', 'template']
    assert rendered['after']['template']['parameters']['pw']['default'] == REDACTED
    assert rendered['before']['template']['parameters']['pw']['default'] == REDACTED
    before, after = rendered['before']['files'], rendered['after']['files']
    assert before['file:///a.txt'] != after['file:///a.txt']  # the diff still shows THAT it changed
    assert after['file:///a.txt'].startswith(REDACTED + ' (%d bytes, digest ' % len(CANARY + ' new'))
    assert after['file:///b.txt'] is None and before['file:///b.txt'].startswith(REDACTED)


def test_diff_secrets_shows_hidden_defaults_and_files_but_never_hidden_values():
    want = desired(template=hidden_default_template(CANARY + '-new'), files={'file:///a.txt': CANARY + ' new'},
                   parameters={'p': 'b', 'pw': 'value-' + CANARY}, diff_secrets=True)
    diff = heat_stack.plan_stack_update(want, STACK, hidden_default_template(CANARY + '-old'),
                                        stored_env({'p': 'b', 'pw': '******'}), files={'file:///a.txt': CANARY + ' old'})
    rendered = diff.diff()
    assert rendered['after']['template']['parameters']['pw']['default'] == CANARY + '-new'
    assert rendered['before']['files'] == {'file:///a.txt': CANARY + ' old'}
    assert 'value-' + CANARY not in json.dumps(rendered)


def test_redact_template_defaults_is_a_copy_and_knows_cfn():
    cfn = {'AWSTemplateFormatVersion': '2010-09-09',
           'Parameters': {'Pw': {'Type': 'String', 'NoEcho': 'true', 'Default': CANARY}, 'X': {'Default': 'x'}}}
    shown = heat_stack.redact_template_defaults(cfn, {'Pw'})
    assert shown['Parameters'] == {'Pw': {'Type': 'String', 'NoEcho': 'true', 'Default': REDACTED}, 'X': {'Default': 'x'}}
    assert cfn['Parameters']['Pw']['Default'] == CANARY
    assert heat_stack.redact_template_defaults(None, {'Pw'}) is None


def test_opaque_digest_is_keyed_per_run_and_sized_on_request():
    assert heat_stack.opaque(None) is None
    assert heat_stack.opaque('abc') == heat_stack.opaque('abc') != heat_stack.opaque('abd')
    assert heat_stack.opaque('abc', size=False).startswith(REDACTED + ' (digest ')
    assert hashlib.sha256(b'abc').hexdigest()[:16] not in heat_stack.opaque('abc')  # not a plain (guessable) hash
    assert heat_stack.opaque({'a': 1}) == heat_stack.opaque({'a': 1})


def test_config_secret_input_defaults_merge_into_inputs():
    params = config_params(inputs=[{'name': 'a'}, {'name': 'pw', 'description': 'db password'}],
                           secret_input_defaults={'pw': CANARY})
    want = heat_software.DesiredConfig.from_params(params)
    assert want.body['inputs'] == [{'name': 'a'}, {'name': 'pw', 'description': 'db password', 'default': CANARY}]
    assert want.secret_inputs == {'pw'}
    assert params['inputs'][1] == {'name': 'pw', 'description': 'db password'}  # the option is not changed


@pytest.mark.parametrize('inputs, secret, match', [
    ([{'name': 'a'}], {'pw': CANARY}, "no input named: pw"),
    ([{'name': 'pw', 'default': 'x'}], {'pw': CANARY}, 'both inputs.*default.*and secret_input_defaults: pw'),
    (None, {'pw': CANARY}, "no input named: pw"),
])
def test_config_secret_input_defaults_errors(inputs, secret, match):
    with pytest.raises(InvalidInput, match=match) as err:
        heat_software.DesiredConfig.from_params(config_params(inputs=inputs, secret_input_defaults=secret))
    assert CANARY not in str(err.value)


def test_config_diff_redacts_the_config_and_secret_input_defaults():
    api = FakeConfigs()
    inputs = [{'name': 'a', 'default': 'plain-1'}, {'name': 'pw'}]
    ensure_config(api, config_params(config='echo ' + CANARY, inputs=inputs, secret_input_defaults={'pw': CANARY + '1'}))
    diff, config, kept = ensure_config(api, config_params(config='echo ' + CANARY + '2', secret_input_defaults={'pw': CANARY + '2'},
                                                          inputs=[{'name': 'a', 'default': 'plain-2'}, {'name': 'pw'}]),
                                       check_mode=True)
    rendered = diff.diff()
    assert CANARY not in json.dumps(rendered)
    assert rendered['before']['config'] != rendered['after']['config']
    assert rendered['after']['config'].startswith(REDACTED + ' (%d bytes, digest ' % len('echo ' + CANARY + '2'))
    before = [i.get('default') for i in rendered['before']['inputs']]
    after = [i.get('default') for i in rendered['after']['inputs']]
    assert before[0] == heat_stack.opaque('plain-1', size=False) and after[0] == heat_stack.opaque('plain-2', size=False)
    assert before[1].startswith(REDACTED + ' (digest ') and before[1] != after[1]


def test_config_diff_secrets_shows_the_config_but_never_secret_input_defaults():
    api = FakeConfigs()
    ensure_config(api, config_params(config='echo 1', inputs=[{'name': 'pw'}], secret_input_defaults={'pw': CANARY + '1'}))
    diff, config, kept = ensure_config(api, config_params(config='echo 2', diff_secrets=True,
                                                          inputs=[{'name': 'pw'}, {'name': 'a', 'default': 'plain'}],
                                                          secret_input_defaults={'pw': CANARY + '2'}), check_mode=True)
    rendered = diff.diff()
    assert (rendered['before']['config'], rendered['after']['config']) == ('echo 1', 'echo 2')
    assert [i.get('default') for i in rendered['after']['inputs']][1] == 'plain'
    assert CANARY not in json.dumps(rendered)
    # a default this task does not set in plain inputs (it may have been secret before) stays redacted
    diff, config, kept = ensure_config(api, config_params(config='echo 2', inputs=[{'name': 'pw'}], diff_secrets=True),
                                       check_mode=True)
    assert diff.diff()['before']['inputs'][0]['default'].startswith(REDACTED)
    assert CANARY not in json.dumps(diff.diff())


def test_deployment_secret_input_values_merge_into_input_values():
    want = heat_deployment.DesiredDeployment.from_params(deployment_params(
        input_values={'a': 1}, secret_input_values={'pw': CANARY}, signal_transport='NO_SIGNAL'))
    assert want.wanted['input_values'] == {'a': 1, 'pw': CANARY, 'deploy_signal_transport': 'NO_SIGNAL'}
    assert want.secret_inputs == {'pw'}
    only_secret = heat_deployment.DesiredDeployment.from_params(deployment_params(secret_input_values={'pw': CANARY}))
    assert only_secret.wanted['input_values'] == {'pw': CANARY}
    with pytest.raises(InvalidInput, match='both input_values and secret_input_values: pw$') as err:
        heat_deployment.DesiredDeployment.from_params(deployment_params(input_values={'pw': 'x'},
                                                                        secret_input_values={'pw': CANARY}))
    assert CANARY not in str(err.value)


def test_deployment_diff_redacts_input_values_unless_asked():
    api = FakeConfigs()
    ensure_config(api, config_params())
    ensure_deployment(api, deployment_params(input_values={'a': 'plain-1'}, secret_input_values={'pw': CANARY + '1'}))
    for diff_secrets in (False, True):
        diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 'plain-2'}, diff_secrets=diff_secrets,
                                                             secret_input_values={'pw': CANARY + '2'}), check_mode=True)
        rendered = diff.diff()
        assert CANARY not in json.dumps(rendered)
        before, after = rendered['before']['input_values'], rendered['after']['input_values']
        assert before['pw'] != after['pw'] and after['pw'].startswith(REDACTED)
        assert (before['a'], after['a']) == (('plain-1', 'plain-2') if diff_secrets else
                                             (heat_stack.opaque('plain-1', size=False), heat_stack.opaque('plain-2', size=False)))
    diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 'plain-2'}), check_mode=True)
    assert diff.changed
    diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 'plain-2'}, diff_secrets=True), check_mode=True)
    assert diff.diff()['before']['input_values'] == {'a': 'plain-1', 'pw': heat_stack.opaque(CANARY + '1', size=False)}
    diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 'plain-1'}, secret_input_values={'pw': CANARY + '1'}))
    assert not diff.changed


# -- duplicates of software configs and deployments (issue 10 #8, #10) -------------------------------------

def lost_answer():
    from keystoneauth1 import exceptions as ksa_exceptions
    return ksa_exceptions.ConnectFailure('Connection aborted: the answer was lost')


class LossyConfigs(FakeConfigs):
    """Heat stores the object, then the answer is lost ``lose`` times (``store=False``: nothing stored either).
    ``other_run`` creates an identical deployment just before this run's (two runs at once)."""

    def __init__(self, lose=0, store=True, other_run=False):
        super(LossyConfigs, self).__init__()
        self.lose, self.store, self.other_run = lose, store, other_run

    def _lossy(self, create, body):
        if self.lose:
            self.lose -= 1
            if self.store:
                create(body)
            else:
                self.calls.append(('create_lost', None))
            raise lost_answer()
        return create(body)

    def create_config(self, body):
        return self._lossy(super(LossyConfigs, self).create_config, body)

    def create_deployment(self, body):
        if self.other_run:
            self.other_run = False
            other = dict(body, input_values=dict(body['input_values'], cloudrise_create_token='theirs'))
            super(LossyConfigs, self).create_deployment(other)
        return self._lossy(super(LossyConfigs, self).create_deployment, body)


def test_config_create_with_a_lost_answer_finds_its_config_and_makes_no_twin():
    api = LossyConfigs(lose=1)
    diff, config, kept = ensure_config(api, config_params(options={'k': 'v'}))
    assert diff.changed and list(api.configs) == [config['id']]
    assert config['options'] == {'k': 'v'}   # the token is stored but never shown
    assert set(api.configs[config['id']]['options']) == {'k', 'cloudrise_create_token'}
    api.calls = []
    diff, same, kept = ensure_config(api, config_params(options={'k': 'v'}))
    assert not diff.changed and same['id'] == config['id'] and api.writes == []


def test_config_create_whose_answers_are_lost_and_nothing_made_fails_clearly():
    api = LossyConfigs(lose=2, store=False)
    with pytest.raises(ResourceFailed, match="nothing was created .the request was sent 2 times"):
        ensure_config(api, config_params())
    assert api.configs == {}
    api = LossyConfigs(lose=1, store=False)   # the second try answers: one config
    diff, config, kept = ensure_config(api, config_params())
    assert list(api.configs) == [config['id']]


def test_twin_configs_converge_on_the_oldest_and_a_deployment_of_a_twin_stays():
    api = FakeConfigs()
    dummy, old, kept = ensure_config(api, config_params(config='v0'))
    twins = [api.create_config(dict(config_params(), inputs=[{'name': 'a'}], outputs=[], options=opts))
             for opts in ({'cloudrise_create_token': 'run1'}, {'cloudrise_create_token': 'run2'})]
    api.deployments['d'] = dict(id='d', config_id=twins[1]['id'], server_id='srv', action='CREATE',
                                status='IN_PROGRESS', status_reason='None', input_values={})
    api.calls = []
    diff, current, kept = ensure_config(api, config_params())  # the same content as the twins
    assert current['id'] == twins[0]['id'] and diff.diff()['after'] == {'deleted_ids': [old['id']]}
    assert kept == [twins[1]['id']] and 'cloudrise_create_token' not in current['options']
    diff, dep = ensure_deployment(api, deployment_params())
    assert not diff.changed and dep['config_id'] == twins[1]['id']   # same content: not redeployed
    del api.deployments['d']
    diff, current, kept = ensure_config(api, config_params())
    assert diff.diff()['after'] == {'deleted_ids': [twins[1]['id']]} and list(api.configs) == [twins[0]['id']]


def test_deployment_create_with_a_lost_answer_finds_its_deployment():
    api = LossyConfigs()
    ensure_config(api, config_params())
    api.lose = 1
    diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 1}))
    assert diff.changed and list(api.deployments) == [dep['id']] and dep['input_values'] == {'a': 1}
    diff, same = ensure_deployment(api, deployment_params(input_values={'a': 1}))
    assert not diff.changed and same['id'] == dep['id']


def test_two_runs_creating_one_deployment_at_once_leave_one():
    """Issue 10 #8/#10: another run's deployment appears between this run's read and create. Before: two
    deployments, and every later run failed as ambiguous."""
    api = LossyConfigs(other_run=True)
    ensure_config(api, config_params())
    diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 1}))
    assert len(api.deployments) == 1 and dep['id'] == list(api.deployments)[0]
    assert dep['input_values'] == {'a': 1} and [c[0] for c in api.writes][-2:] == ['create_deployment', 'delete_deployment']
    diff, same = ensure_deployment(api, deployment_params(input_values={'a': 1}))
    assert not diff.changed and same['id'] == dep['id']
    api.other_run = True   # the other run wants other input values: this run's wins, on the one deployment
    ensure_deployment(api, deployment_params(state='absent'))
    diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 2}))
    assert len(api.deployments) == 1 and dep['input_values'] == {'a': 2}


def test_rerun_removes_duplicate_deployments_of_this_collection_and_keeps_the_oldest():
    api = FakeConfigs()
    dummy, config, kept = ensure_config(api, config_params())
    for token in ('first', 'second', 'third'):
        api.create_deployment(dict(config_id=config['id'], server_id='srv', action='CREATE', status='IN_PROGRESS',
                                   input_values={'cloudrise_create_token': token}))
    oldest, newer = sorted(api.deployments)[0], sorted(api.deployments)[1:]
    diff, dep = ensure_deployment(api, deployment_params(), check_mode=True)
    assert diff.changed and diff.keys == ['duplicates_removed'] and len(api.deployments) == 3
    diff, dep = ensure_deployment(api, deployment_params())
    assert diff.diff() == {'before': {'duplicates_removed': []}, 'after': {'duplicates_removed': newer}}
    assert list(api.deployments) == [oldest] and dep['id'] == oldest and dep['input_values'] == {}
    diff, dep = ensure_deployment(api, deployment_params())
    assert not diff.changed
    api.create_deployment(dict(config_id=config['id'], server_id='srv', action='CREATE', status='IN_PROGRESS',
                               input_values={}))   # made by hand: never deleted, the name is ambiguous
    with pytest.raises(Ambiguous):
        ensure_deployment(api, deployment_params())


def test_template_reading_shares_the_tasks_deadline(monkeypatch, tmp_path, clock):
    """The template downloads spend the task's one deadline (the module passes its own), not a second one."""
    seen = []
    real = heat_reader.TemplateReader

    def reader(files_root, deadline, tls):
        seen.append(deadline)
        return real(files_root, deadline, tls)
    monkeypatch.setattr(heat_reader, 'TemplateReader', reader)  # read_inputs: the one code path
    task = clock.deadline(120)
    heat_stack.DesiredStack.from_params(stack_params(), cwd=str(tmp_path), deadline=task)
    heat_stack.DesiredStack.from_params(stack_params(timeout=77), cwd=str(tmp_path))
    assert seen[0] is task and seen[1] is not task and seen[1].seconds == 77


@pytest.mark.parametrize('created, now, waited', [
    ('2026-12-01T06:50:12Z', 1796107812.2, 1.3),     # early in our second: wait for its end plus the margin
    ('2026-12-01T06:50:12.000000', 1796107812.9, 0.6),
    ('2026-12-01T06:50:12Z', 1796107813.6, 0.0),     # listing starts late enough: no wait
    ('2026-12-01T06:50:12Z', 1796107700.0, 1.5),     # this host's clock behind Heat's: bounded
    (None, 1796107812.2, 0.0),                       # no creation_time: nothing to wait for
])
def test_settle_waits_past_the_creation_second(created, now, waited):
    slept = []
    assert heat_software.settle({'creation_time': created}, clock=lambda: now, sleep=slept.append) == pytest.approx(waited)
    assert slept == ([pytest.approx(waited)] if waited else [])


class SameSecondTwin(FakeConfigs):
    """Another run creates the same deployment in the same second; it becomes visible to this run's listing only
    when the listing starts after that second (Heat committed it a moment after ours)."""

    def __init__(self):
        super(SameSecondTwin, self).__init__()
        self.settled = False
        self.twin = None

    def create_deployment(self, body):
        mine = super(SameSecondTwin, self).create_deployment(body)
        self.deployments[mine['id']]['creation_time'] = '2026-12-01T06:50:12Z'
        # the other run's, same second, an id that sorts first: the one both runs must keep
        self.twin = dict(body, id='0' * 8, status_reason='None', creation_time='2026-12-01T06:50:12Z',
                         input_values=dict(body['input_values'], cloudrise_create_token='theirs'))
        return dict(mine, creation_time='2026-12-01T06:50:12Z')

    def list_deployments(self, server_id=None):
        listed = super(SameSecondTwin, self).list_deployments(server_id)
        if self.twin is not None and self.settled:
            listed.append(copy.deepcopy(self.twin))
        return listed


def test_a_same_second_twin_not_yet_visible_is_found_after_settling(monkeypatch):
    """The race test (test_heat_races) left two deployments 1 run in 3: the run that listed before the other's
    deployment was visible kept its own, the other kept its own too (same creation second, its id sorted first)."""
    api = SameSecondTwin()
    ensure_config(api, config_params())

    def sleep(seconds):
        api.settled = True
    monkeypatch.setattr(heat_software.time, 'time', lambda: 1796107812.3)
    monkeypatch.setattr(heat_software.time, 'sleep', sleep)
    diff, dep = ensure_deployment(api, deployment_params(input_values={'a': 1}))
    assert dep['id'] == '0' * 8                       # theirs kept: the older by the shared rule
    assert [c[0] for c in api.writes][-2:] == ['create_deployment', 'delete_deployment']
    assert list(api.deployments) == []                # ours deleted (theirs lives in the other run's Heat view)


def test_settle_is_bounded_by_the_tasks_deadline_and_sleeps_on_it(clock):
    deadline = clock.deadline(0.4)
    waited = heat_software.settle({'creation_time': '2026-12-01T06:50:12Z'}, clock=lambda: 1796107812.2,
                                  deadline=deadline)
    assert waited == pytest.approx(0.4) and clock.sleeps == [pytest.approx(0.4)]


def test_absent_config_in_use_in_check_mode_predicts_the_delete_and_names_what_it_assumed():
    # (check mode cannot see an earlier task delete the deployments: teardown.yml --check)
    api = FakeConfigs()
    dummy, v1, kept = ensure_config(api, config_params())
    ensure_deployment(api, deployment_params())
    desired = heat_software.DesiredConfig.from_params(config_params(state='absent'))
    plan = heat_software.plan_config(heat_software.read_configs(api, desired), desired, check_mode=True)
    assert plan.changed and plan.deleted == [v1['id']] and plan.kept == [] and plan.assumed_unused == [v1['id']]
    plan.raise_if_refused()  # nothing refused in check mode
    # a real run still refuses
    plan = heat_software.plan_config(heat_software.read_configs(api, desired), desired)
    assert plan.kept == [v1['id']] and plan.assumed_unused == []
    with pytest.raises(CloudModuleError, match='used by deployments'):
        plan.raise_if_refused()
