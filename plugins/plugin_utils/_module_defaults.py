# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin of every module of this collection: ``module_defaults`` that survive ``omit``.

ansible-core (2.16 to 2.19 at least) merges ``module_defaults`` into a task's args *before* it drops the
args whose value is ``omit``, so ``cloud: "{{ x | default(omit) }}"`` drops the ``cloud`` of
``module_defaults: {group/cloudrise.openstack.openstack: {cloud: ...}}`` as well. An option that is absent
from the args after ansible-core's own merge was therefore either never in the defaults or omitted:
re-applying the defaults to the absent options, with ansible-core's precedence (groups, then the action's
own entry; the task's args win), restores what ``omit`` means: "as if the option were not set".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action.normal import ActionModule as NormalActionModule

GROUP_PREFIX = 'group/'


def raw_defaults(action, module_defaults, action_groups):
    """The untemplated ``module_defaults`` entries that apply to ``action``, merged as ansible-core merges them.

    ``module_defaults`` is the Task's list of dicts (outermost first: play, block, task); ``action_groups`` maps an
    action's FQCN to the names of the groups it belongs to (the play's ``_action_groups``). Returns a list of
    entries, lowest precedence first: each group entry in the order the merged defaults list them, then the
    action's own entry. An entry is a dict, or a template string that should render to one.
    """
    merged = {}
    for layer in module_defaults or []:
        merged.update(layer or {})
    groups = (action_groups or {}).get(action, [])
    entries = [value for key, value in merged.items() if key.startswith(GROUP_PREFIX) and key[len(GROUP_PREFIX):] in groups]
    if action in merged:
        entries.append(merged[action])
    return [entry for entry in entries if entry]


def _strip_omit(value, omit_token):
    """Drop the omit placeholder from nested dicts (ansible-core < 2.19 leaves it in as a string)."""
    if isinstance(value, dict):
        return dict((k, _strip_omit(v, omit_token)) for k, v in value.items() if not _is_omit(v, omit_token))
    if isinstance(value, list):
        return [_strip_omit(v, omit_token) for v in value]
    return value


def _is_omit(value, omit_token):
    return isinstance(omit_token, str) and isinstance(value, str) and value == omit_token


def restore_omitted(args, entries, template, omit_token=None):
    """Return ``args`` plus every default option that ``args`` lacks.

    ``entries`` come from :func:`raw_defaults`; ``template`` renders a value with the task's variables; a default
    that renders to ``omit`` is left out (ansible-core >= 2.19 drops it while rendering a dict, older versions
    render it to ``omit_token``, the ``omit`` variable's placeholder string).
    """
    defaults = {}
    for entry in entries:
        if isinstance(entry, str):
            entry = template(entry)
        if not isinstance(entry, dict):
            continue  # ansible-core itself rejects such an entry before the action runs
        defaults.update(entry)
    missing = dict((key, value) for key, value in defaults.items() if key not in args)
    if not missing:
        return args
    restored = dict(args)
    for key, value in missing.items():
        rendered = template({key: value})
        if key in rendered and not _is_omit(rendered[key], omit_token):
            restored[key] = _strip_omit(rendered[key], omit_token)
    return restored


class ActionModule(NormalActionModule):
    """ansible-core's ``normal`` action, with the ``module_defaults`` of omitted options put back before it runs."""

    def run(self, tmp=None, task_vars=None):
        task = self._task
        entries = raw_defaults(task.resolved_action, task.module_defaults, task._parent._play._action_groups)
        if entries:
            omit_token = (task_vars or {}).get('omit')
            task.args = restore_omitted(task.args, entries, self._templar.template, omit_token)
        return super(ActionModule, self).run(tmp, task_vars)
