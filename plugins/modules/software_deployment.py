#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: software_deployment
short_description: Manage an OpenStack Heat software deployment of a config to a server
version_added: 0.1.0
description:
  - Creates, updates or deletes the Heat software deployment of a software config (O(config)) to a server
    (O(server_id)); the pair identifies the deployment.
  - The deployment API is internal to Heat; O(server_id) is any string (no Nova is needed), as Heat agents and
    tools such as os-collect-config use it.
  - When O(config) is a name and that config was replaced (new id, same name, see
    M(cloudrise.openstack.software_config)), the deployment is found by the name and moved to the new config id.
  - Only the options that are set are compared; an identical deployment is left alone (no write request).
  - Duplicates - each create stores a token (C(cloudrise_create_token)) in the deployment's C(input_values)
    (Heat does not pass it to the server; the module never shows or compares it). A create whose answer is lost
    is looked up by its token before it is sent again. A run that finds, right after its create, an older
    deployment of the config on the server (another run made it at the same moment) deletes its own and uses
    that one. A run that finds several keeps the oldest and deletes the others when each has a token
    (C(duplicates_removed) in the diff); a deployment without one (made outside this collection) makes the task
    fail as ambiguous. A deployment of a version with the same content as the config's current one is not moved.
  - Secrets - pass secret input values in O(secret_input_values), a C(no_log) option - Ansible masks the values
    in the C(Invoked with) line it logs on the managed host, in C(invocation), the result and the diff, even
    when the task fails early (for example an unknown config). Values in O(input_values) are logged as given -
    a task with secrets there needs C(no_log=true) (the task keyword). Heat returns input values to every
    reader of the project.
  - The diff (C(--diff)) shows input values as C(********) with a digest keyed for the run only (the diff still
    shows which value changed; the digest cannot be matched against a guess). O(diff_secrets=true) shows the
    values this task sets in O(input_values) in full; those from O(secret_input_values), and stored values the
    task does not set, stay redacted.
options:
  config:
    description:
      - Name or id of the software config.
    type: str
    required: true
  server_id:
    description:
      - The server the config is deployed to (any string).
    type: str
    required: true
  state:
    description:
      - Whether the deployment exists.
    type: str
    default: present
    choices: [present, absent]
  action:
    description:
      - The deployment action (C(CREATE), C(UPDATE), C(DELETE), C(SUSPEND), C(RESUME)); C(CREATE) when creating
        and not set.
    type: str
  status:
    description:
      - The deployment status; C(IN_PROGRESS) when creating and not set (an agent then runs it and signals).
    type: str
    choices: [IN_PROGRESS, COMPLETE, FAILED]
  status_reason:
    description:
      - Why the deployment is in its status.
    type: str
  input_values:
    description:
      - Values of the config's inputs.
      - Secret values go in O(secret_input_values) instead (this option is logged as given).
    type: dict
  secret_input_values:
    description:
      - Values of the config's inputs that are secret, merged into O(input_values); a name in both fails the
        task (the message names the input, never its value).
      - A C(no_log) option - the values never appear in the module's log line, its C(invocation), its result or
        its diff. They are sent and compared like O(input_values) (moving a value here changes nothing in Heat).
    type: dict
  diff_secrets:
    description:
      - Show in the diff the values this task sets in O(input_values) (by default every input value is shown as
        a digest). Values from O(secret_input_values) are never shown.
    type: bool
    default: false
  signal_transport:
    description:
      - How the agent signals completion; recorded as the input value C(deploy_signal_transport), which the Heat
        agents read (as C(OS::Heat::SoftwareDeployment) does).
    type: str
    choices: [CFN_SIGNAL, TEMP_URL_SIGNAL, HEAT_SIGNAL, NO_SIGNAL, ZAQAR_SIGNAL]
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Deploy a config to a server
  cloudrise.openstack.software_deployment:
    config: install-app
    server_id: "{{ server.id }}"
    input_values:
      version: "2.0"
    secret_input_values:                         # no_log: masked even when the task fails
      db_password: "{{ vault_db_password }}"
    signal_transport: NO_SIGNAL

- name: Record that it finished
  cloudrise.openstack.software_deployment:
    config: install-app
    server_id: "{{ server.id }}"
    status: COMPLETE
    status_reason: Deployed by Ansible
'''

RETURN = r'''
id:
  description: Id of the deployment (None when absent or in check mode before creation).
  returned: always
  type: str
software_deployment:
  description: The deployment as Heat returns it (C(id), C(config_id), C(server_id), C(action), C(status), C(status_reason), C(input_values), C(output_values)).
  returned: always (None when O(state=absent))
  type: dict
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.deployment import (  # noqa: E402
    DesiredDeployment, apply_deployment, plan_deployment, read_deployment)


class SoftwareDeploymentModule(CloudModule):
    argument_spec = dict(
        config=dict(type='str', required=True),
        server_id=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        action=dict(type='str'),
        status=dict(type='str', choices=['IN_PROGRESS', 'COMPLETE', 'FAILED']),
        status_reason=dict(type='str'),
        input_values=dict(type='dict'),
        secret_input_values=dict(type='dict', no_log=True),
        diff_secrets=dict(type='bool', default=False),
        signal_transport=dict(type='str', choices=['CFN_SIGNAL', 'TEMP_URL_SIGNAL', 'HEAT_SIGNAL', 'NO_SIGNAL',
                                                   'ZAQAR_SIGNAL']),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        desired = DesiredDeployment.from_params(self.params)
        api = HeatApi(self.conn)
        plan = plan_deployment(read_deployment(api, desired), desired)
        deployment = self.apply_or_predict(plan, lambda: apply_deployment(api, plan), plan.predicted)
        return self.result(plan.diff, id=(deployment or {}).get('id'), software_deployment=deployment)


def main():
    SoftwareDeploymentModule()()


if __name__ == '__main__':
    main()
