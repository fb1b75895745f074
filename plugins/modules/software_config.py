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
  - O(state=absent) deletes every config with the name (absent means no config has this name); it fails,
    listing them, when deployments still use some.
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
    type: list
    elements: dict
  outputs:
    description:
      - Output schema, a list of dicts with C(name) and optionally C(type), C(description), C(error_output).
    type: list
    elements: dict
  options:
    description:
      - Options for the config tool.
    type: dict
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
        outputs=dict(type='list', elements='dict'),
        options=dict(type='dict'),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        desired = DesiredConfig.from_params(self.params)
        api = HeatApi(self.conn)
        plan = plan_config(read_configs(api, desired), desired)
        config = self.apply_or_predict(plan, lambda: apply_config(api, plan), plan.predicted)
        plan.raise_if_refused()
        if plan.kept:
            self.warn('Older versions of software config %s are still used by deployments and were kept: %s'
                      % (desired.name, ', '.join(plan.kept)))
        return self.result(plan.diff, id=(config or {}).get('id'), software_config=config, superseded_ids=plan.kept)


def main():
    SoftwareConfigModule()()


if __name__ == '__main__':
    main()
