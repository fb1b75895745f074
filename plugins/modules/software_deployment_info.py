#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: software_deployment_info
short_description: List OpenStack Heat software deployments, with their status and outputs
version_added: 0.1.0
description:
  - Returns the software deployments of the project, all or those of a server, of a config or in a status, as a
    list (empty when nothing matches), each with its status and the output values its agent signalled.
  - Costs one request for the deployments (Heat filters by O(server_id) itself; the other filters are applied to
    its answer) and, when any deployment matches, one listing of the software configs (for C(config_name) and
    the O(config) filter). O(id) reads one deployment instead of the list.
  - A deployment whose agent signals through Swift or Zaqar (C(TEMP_URL_SIGNAL), C(ZAQAR_SIGNAL)) shows the signal
    only once Heat read it by id - use O(id) (or M(cloudrise.openstack.software_deployment) with C(wait=true)).
  - Secrets - each deployment holds its input values as Heat stores them, including those set from
    C(secret_input_values) of M(cloudrise.openstack.software_deployment) (Heat has no secret inputs), and the
    output values its agent signalled. Set C(no_log=true) (the task keyword) when they may hold secrets.
options:
  server_id:
    description:
      - Only the deployments to this server.
    type: str
  config:
    description:
      - Only the deployments of this software config - a name (every version of a config replaced by
        M(cloudrise.openstack.software_config)) or an id.
    type: str
  id:
    description:
      - Only the deployment with this id, read by id.
    type: str
  status:
    description:
      - Only the deployments in this status.
    type: str
    choices: [IN_PROGRESS, COMPLETE, FAILED]
seealso:
  - module: cloudrise.openstack.software_deployment
    description: Create, update or delete a software deployment.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: The deployments of a server
  cloudrise.openstack.software_deployment_info:
    server_id: "{{ server.id }}"
  register: deployments

- name: What the agents of the install-app deployments reported
  ansible.builtin.debug:
    msg: "{{ deployments.software_deployments | items2dict(key_name='server_id', value_name='output_values') }}"

- name: The deployments of install-app that failed
  cloudrise.openstack.software_deployment_info:
    config: install-app
    status: FAILED
  register: failed

- name: Fail when any did
  ansible.builtin.assert:
    that:
      - failed.software_deployments | length == 0
    fail_msg: "{{ failed.software_deployments | map(attribute='status_reason') | list }}"
'''

RETURN = r'''
software_deployments:
  description:
    - The matching deployments as Heat returns them (C(id), C(config_id), C(server_id), C(action), C(status),
      C(status_reason), C(input_values), C(output_values), C(creation_time), C(updated_time)), and
      C(config_name), the name of the deployed config (None when the config is gone).
    - C(output_values) is None until an agent signalled the deployment.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 0d7856db-703d-4a1e-907d-217dee5c8f5f
      config_id: 8d281f14-d9cd-4032-828c-bcace9410b45
      config_name: install-app
      server_id: web-1
      action: CREATE
      status: COMPLETE
      status_reason: Outputs received
      input_values: {version: "2.1"}
      output_values: {deploy_stdout: "installed 2.1\n", deploy_stderr: "", deploy_status_code: 0}
      creation_time: "2026-12-01T06:14:43Z"
      updated_time: "2026-12-01T06:15:02Z"
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.deployment import deployment_info  # noqa: E402


class SoftwareDeploymentInfoModule(CloudModule):
    argument_spec = dict(
        server_id=dict(type='str'),
        config=dict(type='str'),
        id=dict(type='str'),
        status=dict(type='str', choices=['IN_PROGRESS', 'COMPLETE', 'FAILED']),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        params = self.params
        return self.info_result(software_deployments=deployment_info(
            HeatApi(self.conn), params['server_id'], params['config'], params['id'], params['status']))


def main():
    SoftwareDeploymentInfoModule()()


if __name__ == '__main__':
    main()
