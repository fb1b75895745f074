"""Run the collection's action on ansible-core's own Play/Block/Task objects, as ansible-playbook would set them up.

Used by test_module_defaults.py in a fresh interpreter: the collection loader must be installed (as the ansible
CLI does first) before anything imports ``ansible_collections``, so that the play resolves the collection's action
group from meta/runtime.yml. Reads a JSON list of cases on stdin; writes, per case, the args the module would get.
"""

import json
import sys

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play import Play
from ansible.plugins.action.normal import ActionModule as NormalActionModule
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar
from ansible.vars.manager import VariableManager

try:  # ansible-core >= 2.19 renders only templates from a trusted source (a playbook file)
    from ansible.template import trust_as_template
except ImportError:  # older ansible-core trusts every string
    def trust_as_template(value):
        return value


def trusted(value):
    if isinstance(value, dict):
        return dict((k, trusted(v)) for k, v in value.items())
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return trust_as_template(value) if isinstance(value, str) else value


def run_case(loader, action_class, case):
    task_ds = {case['action']: {}}
    if case.get('task_defaults') is not None:
        task_ds['module_defaults'] = case['task_defaults']
    play_ds = {'hosts': 'localhost', 'gather_facts': False, 'vars': case.get('vars', {}),
               'tasks': [{'block': [task_ds], 'module_defaults': case.get('block_defaults') or {}}]}
    if case.get('play_defaults') is not None:
        play_ds['module_defaults'] = case['play_defaults']
    variable_manager = VariableManager(loader=loader)
    play = Play.load(trusted(play_ds), variable_manager=variable_manager, loader=loader)
    task = play.get_tasks()[0][0]
    task.args = dict(case['args'])  # what ansible-core hands the action: its own merge done, omitted args dropped
    task_vars = variable_manager.get_vars(play=play, task=task)
    action = action_class(task, None, None, loader, Templar(loader=loader, variables=task_vars), None)
    action.run(task_vars=task_vars)
    return {'args': dict(task.args), 'resolved_action': task.resolved_action,
            'groups': play._action_groups.get(task.resolved_action, [])}


def main():
    collections_path, cases = sys.argv[1], json.load(sys.stdin)
    init_plugin_loader([collections_path])
    from ansible_collections.cloudrise.openstack.plugins.plugin_utils._module_defaults import ActionModule

    NormalActionModule.run = lambda self, tmp=None, task_vars=None: {}  # the module itself does not run
    loader = DataLoader()
    json.dump([run_case(loader, ActionModule, case) for case in cases], sys.stdout)


if __name__ == '__main__':
    main()
