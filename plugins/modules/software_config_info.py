#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: software_config_info
short_description: List OpenStack Heat software configs
version_added: 0.1.0
description:
  - Returns the software configs, all or those with a name or id, as a list (empty when nothing matches).
  - The list API returns no config body; with O(details=true) (the default when O(name) is set) each
    matching config is fetched in full.
  - Secrets - a config in full holds its body and its inputs' defaults as Heat stores them, including defaults
    set from C(secret_input_defaults) of M(cloudrise.openstack.software_config) (Heat has no secret inputs).
    Set C(no_log=true) (the task keyword) on a task with O(details=true) when configs may hold secrets.
options:
  name:
    description:
      - Name or id of the configs to return.
    type: str
    aliases: [id]
  details:
    description:
      - Fetch each matching config in full (C(config), C(inputs), C(outputs), C(options)).
      - Defaults to true when O(name) is set, false otherwise.
    type: bool
seealso:
  - module: cloudrise.openstack.software_config
    description: Create or replace a software config.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: The configs named install-app
  cloudrise.openstack.software_config_info:
    name: install-app
  register: configs
'''

RETURN = r'''
software_configs:
  description: The matching software configs (C(id), C(name), C(group), C(creation_time), and with details C(config), C(inputs), C(outputs), C(options)).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.info import config_info  # noqa: E402


class SoftwareConfigInfoModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', aliases=['id']),
        details=dict(type='bool'),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        name = self.params['name']
        details = self.params['details'] if self.params['details'] is not None else bool(name)
        return self.info_result(software_configs=config_info(HeatApi(self.conn), name, details))


def main():
    SoftwareConfigInfoModule()()


if __name__ == '__main__':
    main()
