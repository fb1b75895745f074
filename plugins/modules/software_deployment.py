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
  - Waiting - with O(wait=true) the task waits until the server's agent signals the deployment C(COMPLETE) or
    C(FAILED) (see O(wait)), returns the agent's RV(output_values), and fails with the deployment's
    C(status_reason), C(deploy_status_code) and C(deploy_stderr) when it failed. Without it (the default, for a
    deployment that no agent runs, or one whose status the playbook records) the task returns at once.
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
  wait:
    description:
      - Wait until the deployment is C(COMPLETE) or C(FAILED), as the agent on the server (os-collect-config
        with heat-config) signals it, within O(timeout); fail when it is C(FAILED) (the message has its
        C(status_reason), and the agent's C(deploy_status_code) and the end of its C(deploy_stderr)), or when
        nothing signals it in time.
      - A deployment that is already C(COMPLETE) is returned at once, one already C(FAILED) fails the task (with
        C(changed=false) when nothing else changes), even in check mode. Check mode does not wait for a
        deployment C(IN_PROGRESS).
      - With O(wait=true) a change of the config or of the input values of an existing deployment starts a new
        run of the agent, as C(OS::Heat::SoftwareDeployment) does - the deployment goes to O(status=IN_PROGRESS)
        with O(action=UPDATE) (unless the task sets them), then the task waits. A re-run that changes nothing
        neither writes nor starts a run.
      - O(status=FAILED) with O(wait=true) is refused (it would always fail).
      - The default is V(false) for this module, unlike the other modules of the collection - a deployment no
        agent runs would only time out, and playbooks written before this option keep returning at once. Set it
        for each task (or in the task's C(module_defaults)).
      - An agent (or any tool with the credentials of a member of the project) signals by a PUT of C(status),
        C(status_reason) and C(output_values) to the deployment (C(/software_deployments/<id>)); the wait sees it on
        its next poll. The wait reads the deployment by id, the read on which Heat also collects a signal left in
        Swift or Zaqar (C(TEMP_URL_SIGNAL), C(ZAQAR_SIGNAL)) when the config carries the signal inputs with values
        (as the configs that C(openstack software deployment create) derives do).
    type: bool
    default: false
  timeout:
    description:
      - How long, in seconds, to wait for the signal with O(wait=true); raise it to what the agent's run takes
        (its poll interval included, 30 seconds for os-collect-config by default).
    type: int
    default: 180
  signal_transport:
    description:
      - How the agent signals completion; recorded as the input value C(deploy_signal_transport), which the Heat
        agents read (as C(OS::Heat::SoftwareDeployment) does).
    type: str
    choices: [CFN_SIGNAL, TEMP_URL_SIGNAL, HEAT_SIGNAL, NO_SIGNAL, ZAQAR_SIGNAL]
seealso:
  - module: cloudrise.openstack.software_config
    description: Create the config a deployment applies.
  - module: cloudrise.openstack.software_deployment_info
    description: List software deployments.
  - module: cloudrise.openstack.stack
    description: Create the stack whose servers the deployments target.
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

- name: Deploy a config and wait for the agent on the server to run it
  cloudrise.openstack.software_deployment:
    config: install-app
    server_id: "{{ server.id }}"
    input_values:
      version: "2.1"
    wait: true
    timeout: 900
  register: deployed        # fails with the agent's deploy_status_code and deploy_stderr when its run failed

- name: Use what the agent reported
  ansible.builtin.debug:
    msg: "{{ deployed.output_values.deploy_stdout }}"

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
output_values:
  description:
    - The deployment's output values as the agent signalled them (C(deploy_stdout), C(deploy_stderr),
      C(deploy_status_code) and the config's outputs); empty when none were signalled or O(state=absent).
    - Also in the failed result when the deployment C(FAILED), with C(status_reason).
  returned: always
  type: dict
  sample: {deploy_stdout: "installed 2.1\n", deploy_stderr: "", deploy_status_code: 0}
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.deployment import (  # noqa: E402
    DesiredDeployment, apply_deployment, await_deployment, plan_deployment, read_deployment)


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
        wait=dict(type='bool', default=False),
        timeout=dict(type='int', default=180),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        desired = DesiredDeployment.from_params(self.params)
        api = HeatApi(self.conn)
        plan = plan_deployment(read_deployment(api, desired), desired)
        deployment = self.apply_or_predict(plan, lambda: apply_deployment(api, plan, self.deadline), plan.predicted)
        deployment = await_deployment(api, plan, deployment, self.deadline, self.check_mode)
        return self.result(plan.diff, id=(deployment or {}).get('id'), software_deployment=deployment,
                           output_values=(deployment or {}).get('output_values') or {})


def main():
    SoftwareDeploymentModule()()


if __name__ == '__main__':
    main()
