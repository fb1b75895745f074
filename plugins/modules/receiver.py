#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: receiver
short_description: Manage a Senlin receiver (webhook or message)
version_added: 0.1.0
description:
  - Manages a Senlin (OpenStack Clustering) receiver, identified by name.
  - A C(webhook) receiver gives a URL (C(alarm_url)); an HTTP POST to it, with no token, runs O(action) on
    O(cluster) with O(params) (for example a scale-out triggered by a monitoring alarm). Anyone who knows the
    URL can trigger the action; see O(hide_url).
  - "What protects a webhook: only its URL, C(<senlin endpoint>/v1/webhooks/<receiver id>/trigger?V=2&...).
    The receiver id is the secret part, so the URL (and the id) is a bearer credential: whoever has it can run
    the action, with the permissions of the user who made the receiver (Senlin keeps a trust). Who can read
    it: the receiver's owner and, with Senlin's default policy, any member of the project (C(GET /receivers)
    lists the ids and URLs) and the cloud admins. Keep it out of logs (O(hide_url), C(no_log)), give it only to
    the system that triggers it, and rotate it by deleting the receiver (O(state=absent)) and creating it again:
    the new receiver has a new id and URL, and the old URL stops working at once."
  - A C(message) receiver gives a Zaqar queue that accepts action requests. It needs the Zaqar messaging
    service in the cloud.
  - O(action) and O(params) of an existing receiver are updated in place (the receiver id and URL stay the
    same). A different O(type) or O(cluster) replaces the receiver (delete, create), so the URL changes.
  - Note that Senlin keeps the query string of a webhook's C(alarm_url) as it was at creation; after a
    O(params) update the URL still shows the old values, but a trigger uses the new ones.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Name or id of the receiver. A name that matches more than one receiver is an error.
    type: str
    required: true
  type:
    description:
      - C(webhook) or C(message) (the latter needs Zaqar).
    type: str
    default: webhook
    choices: [webhook, message]
  cluster:
    description:
      - Name or id of the target cluster. Required to create a webhook receiver.
    type: str
  action:
    description:
      - The cluster action a webhook triggers. Required to create a webhook receiver.
    type: str
    choices: [CLUSTER_DELETE, CLUSTER_UPDATE, CLUSTER_ADD_NODES, CLUSTER_DEL_NODES, CLUSTER_RESIZE,
              CLUSTER_CHECK, CLUSTER_RECOVER, CLUSTER_REPLACE_NODES, CLUSTER_SCALE_OUT, CLUSTER_SCALE_IN,
              CLUSTER_ATTACH_POLICY, CLUSTER_DETACH_POLICY, CLUSTER_UPDATE_POLICY, CLUSTER_OPERATION]
  params:
    description:
      - "Inputs of the action, for example C({count: 2}) for C(CLUSTER_SCALE_OUT). Compared as a whole."
    type: dict
  hide_url:
    description:
      - Keep a webhook's URL B(and its id) out of the result, the diff and the error messages; RV(alarm_url),
        C(receiver.channel.alarm_url) and RV(receiver.id) are C(********), and the id is masked wherever it
        would appear (for example in the URL of a failed request). The id is the secret part of the URL, so
        hiding the URL alone would not do. The module itself uses the id for its own requests.
      - A message receiver's id is not hidden (its Zaqar queue needs a Keystone token).
      - To use the URL in later tasks, set C(false) B(and) C(no_log=true) on the task (see the examples), and on
        every task that prints or passes it on; with C(false) and without C(no_log) the URL appears in the
        task's output, in C(-v) logs and in callbacks.
      - The default was C(false) before; a play that reads RV(alarm_url) now sets O(hide_url=false) (with
        C(no_log=true)).
    type: bool
    default: true
  state:
    description:
      - C(present) creates/updates the receiver; C(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
seealso:
  - module: cloudrise.openstack.cluster_receiver_info
    description: List receivers (their URLs hidden unless asked).
  - module: cloudrise.openstack.cluster
    description: The cluster a webhook acts on.
  - module: cloudrise.openstack.cluster_policy
    description: Scaling policies that bound what a webhook does.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
notes:
  - Message receivers need Zaqar, which the test cloud of this collection does not have; they are covered by
    unit tests only.
  - Senlin does not enforce unique names. When two runs create the same receiver at once (same name and content),
    the run whose receiver is newer deletes its own and returns the older one, with a warning.
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: A webhook that adds one node to cluster web (its URL and id are hidden)
  cloudrise.openstack.receiver:
    name: web-scale-out
    cluster: web
    action: CLUSTER_SCALE_OUT
    params:
      count: 1

- name: The same webhook, with its URL for later tasks (no_log keeps it out of the output and the logs)
  cloudrise.openstack.receiver:
    name: web-scale-out
    cluster: web
    action: CLUSTER_SCALE_OUT
    params:
      count: 1
    hide_url: false
  register: hook
  no_log: true

- name: Fire it (what an alarm would do)
  ansible.builtin.uri:
    url: "{{ hook.alarm_url }}"
    method: POST
    status_code: 202
  no_log: true

- name: A message receiver (needs Zaqar)
  cloudrise.openstack.receiver:
    name: web-queue
    type: message

- name: Rotate the webhook URL, 1/2 - delete the receiver (its URL stops working at once)
  cloudrise.openstack.receiver:
    name: web-scale-out
    state: absent

- name: Rotate the webhook URL, 2/2 - create it again (new id, new URL), for the system that triggers it
  cloudrise.openstack.receiver:
    name: web-scale-out
    cluster: web
    action: CLUSTER_SCALE_OUT
    params:
      count: 1
    hide_url: false
  register: rotated
  no_log: true

- name: Delete the webhook
  cloudrise.openstack.receiver:
    name: web-scale-out
    state: absent
'''

RETURN = r'''
receiver:
  description: The receiver after the task (predicted in check mode); null when absent. For a webhook, its
    C(id) and C(channel.alarm_url) are C(********) unless O(hide_url=false).
  returned: always
  type: dict
  contains:
    id:
      description: Receiver id; C(********) for a webhook unless O(hide_url=false) (it is the secret part of the
        URL).
      type: str
    name:
      description: Receiver name.
      type: str
    type:
      description: webhook or message.
      type: str
    cluster_id:
      description: Target cluster id.
      type: str
    action:
      description: Action triggered.
      type: str
    params:
      description: Action inputs.
      type: dict
    channel:
      description: How to trigger it (C(alarm_url) for webhooks, C(queue_name)/C(subscription) for messages).
      type: dict
alarm_url:
  description: The webhook URL, C(********) unless O(hide_url=false); null for message receivers, when absent,
    or for a receiver not yet created in check mode. A bearer credential; see the description.
  returned: always
  type: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import report_twins  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.receiver import (  # noqa: E402
    DesiredReceiver, apply_receiver, plan_receiver, receiver_secrets, receiver_url, redact_receiver)

ACTIONS = ['CLUSTER_DELETE', 'CLUSTER_UPDATE', 'CLUSTER_ADD_NODES', 'CLUSTER_DEL_NODES', 'CLUSTER_RESIZE',
           'CLUSTER_CHECK', 'CLUSTER_RECOVER', 'CLUSTER_REPLACE_NODES', 'CLUSTER_SCALE_OUT', 'CLUSTER_SCALE_IN',
           'CLUSTER_ATTACH_POLICY', 'CLUSTER_DETACH_POLICY', 'CLUSTER_UPDATE_POLICY', 'CLUSTER_OPERATION']


class ReceiverModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        type=dict(type='str', default='webhook', choices=['webhook', 'message']),
        cluster=dict(type='str'),
        action=dict(type='str', choices=ACTIONS),
        params=dict(type='dict'),
        hide_url=dict(type='bool', default=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        desired = DesiredReceiver.from_params(self.params)
        client = SenlinClient(self.conn, wait=self.params['wait'], timeout=self.params['timeout'], deadline=self.deadline)
        receiver = client.find('receiver', desired.name)
        self.keep_secret(desired, receiver)
        plan = plan_receiver(receiver, desired, client.find('cluster', desired.cluster, required=True)
                             if desired.cluster and desired.state == 'present' else None)
        receiver = self.apply_or_predict(plan, lambda: self.keep_secret(desired, apply_receiver(client, receiver, plan)),
                                         receiver)
        report_twins(client, warn=self.warn)
        url = receiver_url(receiver)
        return self.result(plan.diff, receiver=redact_receiver(receiver, desired.hide_url),
                           alarm_url=REDACTED if (desired.hide_url and url) else url)

    def keep_secret(self, desired, receiver):
        """With ``hide_url``, the webhook's id and URL are masked in everything the task returns or logs from now
        on (a failed request's URL or message included). Returns ``receiver``."""
        if desired.hide_url:
            self.module.no_log_values.update(receiver_secrets(receiver))
        return receiver


def main():
    ReceiverModule()()


if __name__ == '__main__':
    main()
