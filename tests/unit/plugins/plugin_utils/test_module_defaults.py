"""The collection's action plugin puts back the module_defaults of options a task omits.

The first table runs the action on ansible-core's own Play, Block and Task objects (module_defaults inherited as
ansible-core inherits them, the play's action groups resolved from meta/runtime.yml, a real Templar with the task
vars), in one fresh interpreter (play_runner.py), and checks the args the module would receive. ``args`` in a row
are what ansible-core hands the action: its own merge of module_defaults done, omitted options dropped.
"""

import json
import pathlib
import subprocess
import sys

import pytest

from ansible_collections.cloudrise.openstack.plugins.plugin_utils._module_defaults import raw_defaults, restore_omitted

HERE = pathlib.Path(__file__).resolve().parent
GROUP = 'group/cloudrise.openstack.openstack'
ACTION = 'cloudrise.openstack.stack_info'
VARS = {'mycloud': 'fromvar', 'group_defaults': {'cloud': 'fromgroupvar', 'wait': False}}

# id, play module_defaults, block module_defaults, task module_defaults, args after ansible-core's merge, expected args
PLAY_CASES = [
    ('no module_defaults', None, None, None, {'name': 'x'}, {'name': 'x'}),
    ('omitted cloud takes the group default', {GROUP: {'cloud': 'a'}}, None, None, {}, {'cloud': 'a'}),
    ('task arg wins', {GROUP: {'cloud': 'a'}}, None, None, {'cloud': 'b'}, {'cloud': 'b'}),
    ('explicit null wins', {GROUP: {'cloud': 'a'}}, None, None, {'cloud': None}, {'cloud': None}),
    ('action entry over group', {GROUP: {'cloud': 'a'}, ACTION: {'cloud': 'c'}}, None, None, {}, {'cloud': 'c'}),
    ('action entry over group in any order', {ACTION: {'cloud': 'c'}, GROUP: {'cloud': 'a'}}, None, None, {}, {'cloud': 'c'}),
    ('block over play', {GROUP: {'cloud': 'a'}}, {GROUP: {'cloud': 'b'}}, None, {}, {'cloud': 'b'}),
    ('task over block and play', {GROUP: {'cloud': 'a'}}, {GROUP: {'cloud': 'b'}}, {GROUP: {'cloud': 'd'}}, {}, {'cloud': 'd'}),
    ('an inner entry replaces the outer one whole', {GROUP: {'cloud': 'a', 'wait': False}}, None, {GROUP: {'cloud': 'd'}}, {},
     {'cloud': 'd'}),
    ('play action entry over task group', {ACTION: {'cloud': 'c'}}, None, {GROUP: {'cloud': 'd'}}, {}, {'cloud': 'c'}),
    ('another action entry does not apply', {'cloudrise.openstack.stack': {'cloud': 'e'}}, None, None, {}, {}),
    ('default templated with the task vars', {GROUP: {'cloud': '{{ mycloud }}'}}, None, None, {}, {'cloud': 'fromvar'}),
    ('default that is omit is skipped', {GROUP: {'cloud': '{{ omit }}', 'wait': False}}, None, None, {}, {'wait': False}),
    ('default that templates to omit is skipped', {GROUP: {'cloud': '{{ nothing | default(omit) }}'}}, None, None, {}, {}),
    ('omit inside a default dict is dropped', {GROUP: {'auth': {'username': 'u', 'password': '{{ omit }}'}}}, None, None, {},
     {'auth': {'username': 'u'}}),
    ('group entry given as one template', {GROUP: '{{ group_defaults }}'}, None, None, {'wait': True},
     {'cloud': 'fromgroupvar', 'wait': True}),
    ('falsy defaults are restored', {GROUP: {'timeout': 0, 'wait': False}}, None, None, {}, {'timeout': 0, 'wait': False}),
]


@pytest.fixture(scope='module')
def play_results(collections_path):
    cases = [dict(action=ACTION, vars=VARS, play_defaults=play, block_defaults=block, task_defaults=task, args=args)
             for dummy, play, block, task, args, dummy in PLAY_CASES]
    proc = subprocess.run([sys.executable, str(HERE / 'play_runner.py'), collections_path], input=json.dumps(cases),
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return dict(zip([case[0] for case in PLAY_CASES], json.loads(proc.stdout)))


@pytest.mark.parametrize('case', PLAY_CASES, ids=[case[0] for case in PLAY_CASES])
def test_action_on_real_play_objects(play_results, case):
    result = play_results[case[0]]
    assert result['resolved_action'] == ACTION
    # a play resolves the groups its module_defaults name, from the collection's meta/runtime.yml
    names_group = any(GROUP in (defaults or {}) for defaults in case[1:4])
    assert result['groups'] == (['cloudrise.openstack.openstack'] if names_group else [])
    assert result['args'] == case[5]


@pytest.mark.parametrize('action, module_defaults, action_groups, expected', [
    ('m', None, {'m': ['g']}, []),
    ('m', [{'group/g': {'a': 1}}], {'m': ['g']}, [{'a': 1}]),
    ('m', [{'group/g': {'a': 1}}], None, []),                                     # the caller passed no groups
    ('m', [{'group/g': {'a': 1}}], {'n': ['g']}, []),                              # the action is in no group
    ('m', [{'group/h': {'a': 1}}], {'m': ['g']}, []),                              # a group the action is not in
    ('m', [{'m': {'a': 2}, 'group/g': {'a': 1}}], {'m': ['g']}, [{'a': 1}, {'a': 2}]),  # the action's entry last
    ('m', [{'group/g': {'a': 1}, 'group/h': {'a': 3}}], {'m': ['h', 'g']}, [{'a': 1}, {'a': 3}]),  # groups in defaults order
    ('m', [{'group/g': {'a': 1}}, {'group/g': {'b': 2}}], {'m': ['g']}, [{'b': 2}]),  # an inner layer replaces the entry
    ('m', [{'group/g': None, 'm': {}}], {'m': ['g']}, []),                         # empty entries are nothing
])
def test_raw_defaults(action, module_defaults, action_groups, expected):
    assert raw_defaults(action, module_defaults, action_groups) == expected


def _template(value):
    """ansible-core < 2.19's way: omit renders to its placeholder string, also inside containers."""
    if isinstance(value, dict):
        return dict((k, _template(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_template(v) for v in value]
    return 'OMIT' if value == '{{ omit }}' else value


@pytest.mark.parametrize('args, entries, expected', [
    ({}, [], {}),
    ({'a': 1}, [{'a': 2, 'b': 3}], {'a': 1, 'b': 3}),
    ({}, [{'a': '{{ omit }}', 'b': 3}], {'b': 3}),
    ({}, [{'a': {'x': '{{ omit }}', 'y': [{'z': '{{ omit }}', 'w': 1}]}}], {'a': {'y': [{'w': 1}]}}),
    ({}, [{'a': 1}, {'a': 2}], {'a': 2}),
    ({}, ['not a dict'], {}),
])
def test_restore_omitted_with_omit_placeholder(args, entries, expected):
    assert restore_omitted(args, entries, _template, omit_token='OMIT') == expected


def test_restore_omitted_returns_the_args_untouched_when_nothing_is_missing():
    args = {'a': 1}
    assert restore_omitted(args, [{'a': 2}], _template, 'OMIT') is args


def test_every_module_has_the_action():
    root = HERE.parents[3] / 'plugins'
    modules = sorted(path.stem for path in (root / 'modules').glob('*.py') if path.stem != '__init__')
    actions = sorted(path.stem for path in (root / 'action').glob('*.py') if path.stem != '__init__')
    assert actions == modules
    for name in actions:
        assert ('from ansible_collections.cloudrise.openstack.plugins.plugin_utils._module_defaults import ActionModule'
                in (root / 'action' / ('%s.py' % name)).read_text()), name
