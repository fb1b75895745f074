#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: software_config
short_description: Manage an OpenStack Heat software config by name
version_added: 0.1.0
description:
  - Creates a Heat software config (the script, Ansible playbook, Puppet manifest, ... that a Heat agent runs),
    identified by its O(name).
  - Heat software configs are immutable. When the stored config differs from the desired one (O(group),
    O(config), O(inputs), O(outputs), O(options)), the module creates a new config and deletes the old one, and
    returns the new id. An identical config is left alone (no write request).
  - Names are not unique in Heat. The newest config with the name is the current one; older versions with the
    same name (superseded) are deleted as soon as no deployment uses them. Heat refuses to delete a config a
    deployment uses, so a replaced config stays until its deployments move to the new version (see
    M(cloudrise.openstack.software_deployment), which does that when it refers to the config by name); the ids
    of such kept versions are returned in RV(superseded_ids).
  - Duplicates - each create stores a token (C(cloudrise_create_token)) in the config's C(options); the module
    never shows or compares it. When the answer to a create is lost (a connection reset, a timeout, a 5xx), the
    module looks for the config with its token before sending the create again, so no twin is made. When
    several of the newest versions have the same content (two runs at once), the oldest of them is the current
    one (for this module and M(cloudrise.openstack.software_deployment) alike); the newer ones are superseded.
  - O(state=absent) deletes every config with the name (absent means no config has this name); it fails,
    listing them, when deployments still use some. In check mode it predicts their delete and warns instead, as
    check mode cannot see an earlier task of the play delete those deployments (C(teardown.yml --check)) and
    only predicts that.
  - Secrets - Heat has no secret inputs (an input's C(default) is stored and returned like the rest of the
    config). Pass secret input defaults in O(secret_input_defaults), a C(no_log) option - Ansible masks the
    values in the C(Invoked with) line it logs on the managed host, in C(invocation), the result and the diff,
    even when the task fails early. Better still, keep secrets out of the config and pass them per deployment
    (C(secret_input_values) of M(cloudrise.openstack.software_deployment)).
  - A secret written into O(config) itself, or into the C(default) of an input in O(inputs), is logged as
    given - such a task needs C(no_log=true) (the task keyword). Heat returns both to every reader of the
    project (M(cloudrise.openstack.software_config_info)).
  - The diff (C(--diff)) never shows the defaults from O(secret_input_defaults). By default it does not show
    the O(config) body or any input's C(default) either (configs are often scripts holding secrets) - a
    changed config shows as C(********) with its size and a digest keyed for the run only, a default as
    C(********) with such a digest, so the diff still shows what changed. O(diff_secrets=true) shows the
    config and the defaults this task sets in O(inputs) in full.
options:
  name:
    description:
      - Name of the software config.
    type: str
    required: true
  state:
    description:
      - Whether a config with this name and definition exists.
    type: str
    default: present
    choices: [present, absent]
  group:
    description:
      - The tool that runs the config on the server (C(script), C(ansible), C(puppet), ...).
    type: str
    default: Heat::Ungrouped
  config:
    description:
      - The configuration itself (a script, a playbook, ...), for example C(lookup('file', 'deploy.sh')).
    type: str
  inputs:
    description:
      - Input schema, a list of dicts with C(name) and optionally C(type) (default C(String)),
        C(description), C(default), C(replace_on_change).
      - A secret default goes in O(secret_input_defaults) instead (this option is logged as given).
    type: list
    elements: dict
  secret_input_defaults:
    description:
      - Defaults of inputs that are secret, input name to value. Each name must be an input listed in O(inputs)
        without a C(default) of its own (else the task fails, naming the input, never the value); the value
        becomes that input's C(default).
      - A C(no_log) option - the values never appear in the module's log line, its C(invocation), its result or
        its diff. They are compared like any default (moving a default here changes nothing in Heat).
    type: dict
  diff_secrets:
    description:
      - Show in the diff the O(config) body (by default only its size and a digest) and the defaults this task
        sets in O(inputs). For configs that hold no secret. Defaults from O(secret_input_defaults), and stored
        defaults this task does not set, are never shown.
    type: bool
    default: false
  outputs:
    description:
      - Output schema, a list of dicts with C(name) and optionally C(type), C(description), C(error_output).
    type: list
    elements: dict
  options:
    description:
      - Options for the config tool.
    type: dict
seealso:
  - module: cloudrise.openstack.software_config_info
    description: List software configs.
  - module: cloudrise.openstack.software_deployment
    description: Deploy a software config to a server.
  - module: openstack.cloud.stack
    description: openstack.cloud has no software config module; its stack module takes configs inside templates only.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: A script config
  cloudrise.openstack.software_config:
    name: install-app
    group: script
    config: "{{ lookup('ansible.builtin.file', 'install.sh') }}"
    inputs:
      - name: version
        default: "1.0"
    outputs:
      - name: result
  register: cfg

- name: A config with a secret input default (no_log - masked even when the task fails)
  cloudrise.openstack.software_config:
    name: db-setup
    group: script
    config: "{{ lookup('ansible.builtin.file', 'db-setup.sh') }}"
    inputs:
      - name: db_host
        default: db.example.com
      - name: db_password
        description: password of the application user
    secret_input_defaults:
      db_password: "{{ vault_db_password }}"

- name: Preview a change with the script in full in the diff
  cloudrise.openstack.software_config:
    name: install-app
    group: script
    config: "{{ lookup('ansible.builtin.file', 'install.sh') }}"
    diff_secrets: true
  check_mode: true
  diff: true

- name: Remove every config named install-app
  cloudrise.openstack.software_config:
    name: install-app
    state: absent
'''

RETURN = r'''
id:
  description: Id of the config (the new id after a replacement; None when absent or in check mode before creation).
  returned: always
  type: str
superseded_ids:
  description: Ids of older versions of the config (same name) kept because deployments still use them.
  returned: always
  type: list
  elements: str
software_config:
  description: The software config as Heat returns it (C(id), C(name), C(group), C(config), C(inputs), C(outputs), C(options), C(creation_time)).
  returned: always (None when O(state=absent))
  type: dict
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.software import DesiredConfig, apply_config, plan_config, read_configs  # noqa: E402


class SoftwareConfigModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        group=dict(type='str', default='Heat::Ungrouped'),
        config=dict(type='str'),
        inputs=dict(type='list', elements='dict'),
        secret_input_defaults=dict(type='dict', no_log=True),
        diff_secrets=dict(type='bool', default=False),
        outputs=dict(type='list', elements='dict'),
        options=dict(type='dict'),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        desired = DesiredConfig.from_params(self.params)
        api = HeatApi(self.conn)
        plan = plan_config(read_configs(api, desired), desired, check_mode=self.check_mode)
        config = self.apply_or_predict(plan, lambda: apply_config(api, plan), plan.predicted)
        plan.raise_if_refused()
        if plan.assumed_unused:
            self.warn('Check mode: deployments use software config(s) %s now. A real run deletes them only once those '
                      'deployments are gone (an earlier task may delete them) and fails while they are not.'
                      % ', '.join(plan.assumed_unused))
        if plan.kept:
            self.warn('Older versions of software config %s are still used by deployments and were kept: %s'
                      % (desired.name, ', '.join(plan.kept)))
        return self.result(plan.diff, id=(config or {}).get('id'), software_config=config, superseded_ids=plan.kept)


def main():
    SoftwareConfigModule()()


if __name__ == '__main__':
    main()
