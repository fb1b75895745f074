"""The ad-hoc examples of the module docs, run as a user runs them (`ansible localhost -m ... -a '...'`) against
the local cloud: the commands are read from the modules' EXAMPLES, so the docs cannot drift from what works.

Every ad-hoc example must pass only options its module has. The self-contained ones run: only `cloud=mycloud`
(the docs' placeholder) becomes `cloud=localcloud`, and the stack name `adhoc` a name of this run. stack: the
examples on the stack `adhoc` (create, update, delete), each in the four steps (--check, real, idempotent
--check, idempotent), with the stack read back through openstacksdk. stack_template_validate: the inline flow-YAML
template and a template file in the working directory, in check mode and for real (always changed=false).
Examples on another stack (`name=app`: they need one that exists) are only checked for their options.
"""

import ast
import json
import os
import pathlib
import re
import secrets
import shlex
import subprocess
import sys

import openstack
import pytest
from ansible.parsing.splitter import parse_kv

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import SHARED_SPEC
from ansible_collections.cloudrise.openstack.plugins.modules import stack as stack_module
from ansible_collections.cloudrise.openstack.plugins.modules import stack_template_validate as validate_module

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODULES = ROOT / 'plugins' / 'modules'
ANSWER = re.compile(r'^localhost \| (CHANGED|SUCCESS|FAILED!) => (\{.*\})\s*$', re.S | re.M)


def adhoc_examples(module):
    """The `ansible localhost -m` commands in the EXAMPLES of ``module`` (``\\``-continued comment lines joined)."""
    tree = ast.parse((MODULES / ('%s.py' % module)).read_text())
    examples = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], 'id', None) == 'EXAMPLES')
    commands, continued = [], False
    for line in examples.splitlines():
        text = line[1:].strip() if line.startswith('#') else ''
        if continued:
            commands[-1] += ' ' + text.rstrip('\\').strip()
        elif text.startswith('ansible localhost '):
            commands.append(text.rstrip('\\').strip())
        continued = bool(text) and text.endswith('\\') and bool(commands)
    return commands


def run_adhoc(command, env, cwd, name, check=False):
    argv = shlex.split(command)
    assert argv[:3] == ['ansible', 'localhost', '-m'] and argv[4] == '-a', command
    args = argv[5].replace('cloud=mycloud', 'cloud=localcloud').replace('name=adhoc', 'name=%s' % name)
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible'), 'localhost', '-m', argv[3], '-a', args]
    proc = subprocess.run(cmd + (['--check'] if check else []), env=env, cwd=str(cwd), capture_output=True,
                          text=True, timeout=300, check=False)
    found = ANSWER.search(proc.stdout)
    assert found, 'no answer from %s:\n%s\n%s' % (cmd, proc.stdout, proc.stderr)
    return found.group(1), json.loads(found.group(2))


def four_steps(command, env, cwd, name):
    """--check, real, idempotent --check, idempotent: the answers' (state, result)."""
    steps = [run_adhoc(command, env, cwd, name, check) for check in (True, False, True, False)]
    states = [state for state, _result in steps]
    assert states == ['CHANGED', 'CHANGED', 'SUCCESS', 'SUCCESS'], (command, steps)
    return [result for _state, result in steps]


@pytest.mark.parametrize('module, spec', [
    ('stack', stack_module.StackModule.argument_spec),
    ('stack_template_validate', validate_module.StackTemplateValidateModule.argument_spec),
])
def test_every_adhoc_example_passes_options_of_its_module(module, spec):
    commands = adhoc_examples(module)
    assert commands
    known = set(SHARED_SPEC) | set(spec) | set(a for o in spec.values() for a in o.get('aliases', ()))
    for command in commands:
        argv = shlex.split(command)
        assert argv[:4] == ['ansible', 'localhost', '-m', 'cloudrise.openstack.%s' % module], command
        assert argv[4] == '-a' and len(argv) == 6, command
        assert set(parse_kv(argv[5])) <= known, command


def test_the_self_contained_adhoc_examples():
    stack = [c for c in adhoc_examples('stack') if 'name=adhoc ' in c]
    assert len(stack) == 3 and 'template_content="{heat_template_version: 2018-08-31}"' in stack[0]
    assert len(adhoc_examples('stack_template_validate')) == 2


def test_stack_adhoc_create_update_delete(ansible_env, tmp_path):
    name = 'it-adhoc-%s' % secrets.token_hex(4)
    create, update, delete = [c for c in adhoc_examples('stack') if 'name=adhoc ' in c]
    conn = openstack.connect(cloud='localcloud')
    try:
        check, real, idem_check, idem = four_steps(create, ansible_env, tmp_path, name)
        assert check['id'] is None and real['stack']['status'] == 'CREATE_COMPLETE'
        assert idem_check['id'] == idem['id'] == real['id']
        stack = conn.orchestration.find_stack(name)
        assert stack.id == real['id'] and stack.status == 'CREATE_COMPLETE'

        check, real, idem_check, idem = four_steps(update, ansible_env, tmp_path, name)
        assert real['id'] == stack.id and real['stack']['status'] == 'UPDATE_COMPLETE'
        assert conn.orchestration.get_stack(stack.id).description == 'ad hoc'

        check, real, idem_check, idem = four_steps(delete, ansible_env, tmp_path, name)
        assert real['stack'] is None
        assert conn.orchestration.find_stack(name, ignore_missing=True) is None
    finally:
        found = conn.orchestration.find_stack(name, ignore_missing=True)
        if found is not None:
            conn.orchestration.delete_stack(found)


@pytest.mark.parametrize('check', [True, False])
def test_stack_template_validate_adhoc(ansible_env, tmp_path, check):
    inline, from_file = adhoc_examples('stack_template_validate')
    state, result = run_adhoc(inline, ansible_env, tmp_path, 'unused', check)
    assert state == 'SUCCESS' and result['changed'] is False
    assert result['parameters']['n']['Type'] == 'Number' and result['missing_parameters'] == ['n']

    (tmp_path / 'app.yaml').write_text('heat_template_version: 2018-08-31\ndescription: from a file\n'
                                       'resources:\n  thing:\n    type: OS::Heat::DoesNotExist\n')
    state, result = run_adhoc(from_file, ansible_env, tmp_path, 'unused', check)
    assert state == 'FAILED!'
    assert result['msg'] == 'Heat rejected the template: The Resource Type (OS::Heat::DoesNotExist) could not be found.'
