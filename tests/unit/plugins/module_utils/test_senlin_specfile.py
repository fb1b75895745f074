# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Spec files (``_senlin.specfile``): the spec made is the one the openstack CLI sends for the same file
(python-senlinclient's ``CreateProfile`` + ``process_stack_spec``, reproduced below with openstacksdk's
``template_utils`` as the CLI's heatclient copy), relative paths resolve against the spec file, and every error
names the file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
import yaml
from openstack.orchestration.util import template_utils

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import spec_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.profile import DesiredProfile, plan_profile
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.specfile import (
    read_spec_file, spec_file_params, validate_spec)

NODE_TEMPLATE = """heat_template_version: 2016-10-14
parameters:
  length: {type: number, default: 8}
resources:
  rand:
    type: OS::Heat::RandomString
    properties:
      length: {get_param: length}
  nested:
    type: nested.yaml
  script:
    type: OS::Heat::Value
    properties:
      value: {get_file: scripts/hello.sh}
"""
NESTED_TEMPLATE = """heat_template_version: 2016-10-14
resources:
  inner:
    type: OS::Heat::None
"""
REGISTRY_TEMPLATE = """heat_template_version: 2016-10-14
resources:
  reg:
    type: OS::Heat::None
"""
ENVIRONMENT = """parameters:
  length: 12
resource_registry:
  My::Thing: registry.yaml
"""
SPEC = """type: os.heat.stack
version: 1.0
properties:
  template: tpl/node.yaml
  environment:
    - tpl/env.yaml
  parameters:
    length: 10
  timeout: 5
"""


def write(root, name, text):
    path = os.path.join(str(root), name)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, 'w') as handle:
        handle.write(text)
    return path


@pytest.fixture
def tree(tmp_path):
    """A spec file with a relative template (a get_file, a nested template) and a relative environment (a
    resource_registry entry), as an operator keeps them for the openstack CLI."""
    write(tmp_path, 'tpl/node.yaml', NODE_TEMPLATE)
    write(tmp_path, 'tpl/nested.yaml', NESTED_TEMPLATE)
    write(tmp_path, 'tpl/scripts/hello.sh', '#!/bin/sh\necho hello\n')
    write(tmp_path, 'tpl/env.yaml', ENVIRONMENT)
    write(tmp_path, 'tpl/registry.yaml', REGISTRY_TEMPLATE)
    return tmp_path, write(tmp_path, 'spec.yaml', SPEC)


def cli_spec(spec_file):
    """What ``openstack cluster profile create --spec-file <spec_file>`` sends, run from the spec file's directory
    (python-senlinclient: utils.get_spec_content, CreateProfile.take_action, utils.process_stack_spec)."""
    with open(spec_file) as handle:
        spec = yaml.safe_load(handle)
    if spec['type'] == 'os.heat.stack':
        props = spec['properties']
        cwd = os.getcwd()
        os.chdir(os.path.dirname(spec_file))
        try:
            tpl_files, template = template_utils.get_template_contents(template_file=props.get('template'))
            env_files, env = template_utils.process_multiple_environments_and_files(env_paths=props.get('environment'))
        finally:
            os.chdir(cwd)
        spec['properties'] = {
            'disable_rollback': props.get('disable_rollback', True),
            'context': props.get('context', {}),
            'parameters': props.get('parameters', {}),
            'timeout': props.get('timeout', 60),
            'template': template,
            'files': dict(list(tpl_files.items()) + list(env_files.items())),
            'environment': env,
        }
    return json.loads(json.dumps(spec))


def test_the_spec_is_the_one_the_cli_sends(tree):
    root, spec_file = tree
    expected = cli_spec(spec_file)
    got = read_spec_file(spec_file)
    assert got == expected
    # what the CLI resolved, so the comparison above compares something
    props = got['properties']
    assert props['template']['resources']['nested']['type'].startswith('file://')
    assert sorted(os.path.basename(k) for k in props['files']) == ['hello.sh', 'nested.yaml', 'registry.yaml']
    assert props['environment']['parameters'] == {'length': 12}
    assert (props['disable_rollback'], props['context'], props['timeout']) == (True, {}, 5)


def test_relative_paths_resolve_against_the_spec_file_not_the_cwd(tree, tmp_path_factory, monkeypatch):
    root, spec_file = tree
    expected = cli_spec(spec_file)
    monkeypatch.chdir(str(tmp_path_factory.mktemp('elsewhere')))
    assert read_spec_file(spec_file) == expected


def test_a_profile_made_by_the_cli_from_the_file_is_unchanged(tree):
    root, spec_file = tree
    stored = dict(id='p1', name='web', spec=cli_spec(spec_file), metadata={})
    desired = DesiredProfile.from_params(spec_file_params(dict(name='web', state='present', spec_file=spec_file),
                                                          'spec', 'spec_file'))
    plan = plan_profile(stored, desired)
    assert not plan.changed
    # and a change of the file's template is seen
    write(root, 'tpl/nested.yaml', NESTED_TEMPLATE.replace('None', 'RandomString'))
    desired = DesiredProfile.from_params(spec_file_params(dict(name='web', state='present', spec_file=spec_file),
                                                          'spec', 'spec_file'))
    assert desired.differs(stored)


def test_secret_parameters_merge_over_the_file(tree):
    root, spec_file = tree
    params = spec_file_params(dict(name='web', state='present', spec_file=spec_file,
                                   secret_parameters={'db_password': 's3cret'}), 'spec', 'spec_file')
    desired = DesiredProfile.from_params(params)
    assert desired.spec['properties']['parameters'] == {'length': 10, 'db_password': 's3cret'}
    with pytest.raises(InvalidInput, match='length'):
        DesiredProfile.from_params(spec_file_params(dict(name='web', spec_file=spec_file,
                                                         secret_parameters={'length': 3}), 'spec', 'spec_file'))


def test_no_spec_file_leaves_the_params_alone():
    params = dict(name='x', spec={'type': 't'}, spec_file=None)
    assert spec_file_params(params, 'spec', 'spec_file') is params


def test_a_policy_spec_file_is_sent_as_it_is(tmp_path):
    text = 'type: senlin.policy.deletion\nversion: 1.1\nproperties:\n  criteria: OLDEST_FIRST\n'
    path = write(tmp_path, 'deletion.yaml', text)
    assert read_spec_file(path) == yaml.safe_load(text) == cli_spec(path)


def test_template_url_that_is_a_path_is_inlined_and_http_kept(tree):
    root, spec_file = tree
    path = write(root, 'url.yaml', SPEC.replace('template: tpl/node.yaml', 'template_url: tpl/node.yaml'))
    assert read_spec_file(path) == cli_spec(spec_file)
    path = write(root, 'http.yaml', SPEC.replace('template: tpl/node.yaml',
                                                 'template_url: https://example.invalid/node.yaml'))
    props = read_spec_file(path)['properties']
    assert props['template_url'] == 'https://example.invalid/node.yaml'
    assert 'template' not in props
    assert props['environment']['parameters'] == {'length': 12}


def test_inline_template_and_environment_resolve_against_the_spec_file(tree):
    root, spec_file = tree
    inline = yaml.safe_load(SPEC)
    inline['properties']['template'] = yaml.safe_load(NODE_TEMPLATE.replace('nested.yaml', 'tpl/nested.yaml')
                                                      .replace('scripts/', 'tpl/scripts/'))
    inline['properties']['environment'] = {'parameters': {'length': 12}}
    path = write(root, 'inline.yaml', yaml.safe_dump(inline))
    props = read_spec_file(path)['properties']
    assert sorted(os.path.relpath(k[len('file://'):], str(root)) for k in props['files']) == [
        'tpl/nested.yaml', 'tpl/scripts/hello.sh']
    assert props['environment'] == {'parameters': {'length': 12}}


def test_other_properties_are_kept_for_senlin_to_refuse(tree):
    root, spec_file = tree
    path = write(root, 'extra.yaml', SPEC + '  bogus: 1\n')
    assert read_spec_file(path)['properties']['bogus'] == 1


@pytest.mark.parametrize('name, text, message', [
    ('missing.yaml', None, 'file not found'),
    ('bad.yaml', 'type: [os.heat.stack\n', 'not a valid YAML file'),
    ('list.yaml', '- a\n- b\n', 'not a spec'),
    ('notype.yaml', 'version: 1.0\nproperties: {}\n', "missing 'type' key"),
    ('noversion.yaml', 'type: os.heat.stack\nproperties: {}\n', "missing 'version' key"),
    ('noprops.yaml', 'type: os.heat.stack\nversion: 1.0\n', "missing 'properties' key"),
    ('notemplate.yaml', 'type: os.heat.stack\nversion: 1.0\nproperties: {timeout: 1}\n', 'no template found'),
    ('gone.yaml', 'type: os.heat.stack\nversion: 1.0\nproperties: {template: tpl/gone.yaml}\n', 'Template file not found'),
    ('badtpl.yaml', 'type: os.heat.stack\nversion: 1.0\nproperties: {template: tpl/scripts/hello.sh}\n',
     'Cannot parse the template'),
    ('noenv.yaml', 'type: os.heat.stack\nversion: 1.0\nproperties: {template: tpl/node.yaml, environment: [no.yaml]}\n',
     'Environment file not found'),
    ('envstr.yaml', 'type: os.heat.stack\nversion: 1.0\nproperties: {template: tpl/node.yaml, environment: e.yaml}\n',
     'must be a list'),
    ('outside.yaml', 'type: os.heat.stack\nversion: 1.0\nproperties: {template: tpl/escape.yaml}\n',
     'outside the directories'),
])
def test_errors_name_the_file(tree, name, text, message):
    root, spec_file = tree
    write(root, 'tpl/escape.yaml', NODE_TEMPLATE.replace('scripts/hello.sh', '../spec.yaml'))
    path = os.path.join(str(root), name) if text is None else write(root, name, text)
    with pytest.raises(InvalidInput) as info:
        read_spec_file(path, 'profile_spec_file')
    assert info.value.msg.startswith('profile_spec_file %s: ' % path)
    assert message in info.value.msg
    assert 'files_root' not in info.value.msg  # an option these modules do not have


class RefusingClient(object):
    def validate_spec(self, kind, spec):
        raise InvalidInput("The %s spec (type x-1) fails Senlin's validation: bad" % kind, status_code=400)


def test_senlin_refusal_names_the_file():
    with pytest.raises(InvalidInput) as info:
        validate_spec(RefusingClient(), 'policy', {}, '/srv/p.yaml')
    assert info.value.msg == "spec_file /srv/p.yaml: The policy spec (type x-1) fails Senlin's validation: bad"
    assert info.value.details['status_code'] == 400
    with pytest.raises(InvalidInput) as info:
        validate_spec(RefusingClient(), 'policy', {})
    assert not info.value.msg.startswith('spec_file')


def test_the_same_spec_inline_equals_the_file(tree):
    root, spec_file = tree
    assert spec_equal(read_spec_file(spec_file), cli_spec(spec_file))


def test_the_cli_defaults_are_sent(tree):
    root, spec_file = tree
    path = write(root, 'minimal.yaml', 'type: os.heat.stack\nversion: 1.0\nproperties:\n  template: tpl/nested.yaml\n')
    got = read_spec_file(path)
    assert got == cli_spec(path)
    assert {k: got['properties'][k] for k in ('disable_rollback', 'context', 'parameters', 'timeout', 'environment',
                                              'files')} == dict(disable_rollback=True, context={}, parameters={},
                                                                timeout=60, environment={}, files={})


def test_a_deletion_does_not_read_the_file(tmp_path):
    params = dict(name='x', state='absent', spec_file=str(tmp_path / 'gone.yaml'))
    assert spec_file_params(params, 'spec', 'spec_file') is params
    with pytest.raises(InvalidInput, match='file not found'):
        spec_file_params(dict(params, state='present'), 'spec', 'spec_file')
