"""The heat_stack role passes every option of cloudrise.openstack.stack through (issue 13): its stack task, its
argument spec and its README name each one, so an option added to the module and forgotten in the role fails."""

import pathlib
import re

import pytest
import yaml

from ansible_collections.cloudrise.openstack.plugins.modules import stack as stack_module

ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLE = ROOT / 'roles' / 'heat_stack'
# the module's own options plus the shared ones an item may set per stack
OPTIONS = sorted(set(stack_module.StackModule.argument_spec) | {'wait', 'timeout'})


def stack_task(path):
    tasks = yaml.safe_load((ROLE / 'tasks' / path).read_text())
    found = [t['cloudrise.openstack.stack'] for t in tasks if 'cloudrise.openstack.stack' in t]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize('option', OPTIONS)
def test_the_stack_task_passes_the_option_through(option):
    value = stack_task('present.yml')[option]
    assert re.match(r'^\{\{ item\.%s \| default\((omit|\'present\'|heat_stack_\w+)\) \}\}$' % option, value) \
        or option == 'name' and value == '{{ item.name }}', value


def test_the_stack_task_passes_nothing_else():
    assert set(stack_task('present.yml')) == set(OPTIONS) | {'cloud'}


def test_removing_honours_the_items_wait_and_timeout():
    task = stack_task('absent.yml')
    assert task['wait'] == '{{ item.wait | default(heat_stack_wait) }}'
    assert task['timeout'] == '{{ item.timeout | default(heat_stack_timeout) }}'


@pytest.mark.parametrize('option', OPTIONS)
def test_the_argument_spec_and_readme_name_the_option(option):
    spec = yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text())
    described = ' '.join(spec['argument_specs']['main']['options']['heat_stack_stacks']['description'])
    assert 'C(%s)' % option in described
    row = [line for line in (ROLE / 'README.md').read_text().splitlines() if line.startswith('| `heat_stack_stacks`')]
    assert '`%s`' % option in row[0]
