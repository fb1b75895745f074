#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_receiver_info
short_description: List Senlin receivers (webhooks and message queues)
version_added: 0.1.0
description:
  - Lists the Senlin (OpenStack Clustering) receivers of the project, optionally filtered.
  - Webhook receivers trigger a cluster action when their URL is called. Message receivers take the actions from a
    Zaqar queue, so they exist only on clouds with Zaqar (OpenStack Messaging).
  - Never fails because nothing matches (a O(cluster) that does not exist included); the list is then empty.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Only the receiver with this name or id.
    type: str
  type:
    description:
      - Only receivers of this type.
    type: str
    choices: [webhook, message]
  cluster:
    description:
      - Only receivers that target this cluster (name or id).
    type: str
  action:
    description:
      - Only receivers of this cluster action, for example C(CLUSTER_SCALE_OUT).
    type: str
  sort:
    description:
      - Senlin's sort, C(key[:asc|desc]) separated by commas; the keys are C(name), C(type), C(action),
        C(cluster_id), C(created_at) and C(user).
    type: str
    default: name
  hide_urls:
    description:
      - Replace the webhook receivers' URLs B(and ids) by C(********), as M(cloudrise.openstack.cluster_info) does (the
        id is the secret part of a webhook's URL, see M(cloudrise.openstack.receiver)); they are also masked
        wherever else they would appear.
      - Set C(false) to read the URLs, and then set C(no_log=true) on the task, since a webhook URL is a bearer
        credential.
    type: bool
    default: true
seealso:
  - module: cloudrise.openstack.receiver
    description: Create, update or delete a receiver.
  - module: cloudrise.openstack.cluster_info
    description: Query the clusters receivers act on.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: The webhooks of a cluster, URLs hidden
  cloudrise.openstack.cluster_receiver_info:
    cluster: web
    type: webhook
  register: hooks

- name: The scale-out webhook's URL, for an alarm
  cloudrise.openstack.cluster_receiver_info:
    cluster: web
    action: CLUSTER_SCALE_OUT
    hide_urls: false
  register: scale_out
  no_log: true
'''

RETURN = r'''
receivers:
  description: The receivers that match, in O(sort) order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Receiver id; C(********) for a webhook unless O(hide_urls=false).
      type: str
    name:
      description: Receiver name.
      type: str
    type:
      description: C(webhook) or C(message).
      type: str
    cluster_id:
      description: The target cluster's id.
      type: str
    action:
      description: The cluster action it triggers.
      type: str
    params:
      description: The action's parameters.
      type: dict
    channel:
      description: How to reach it; a webhook's C(alarm_url) is C(********) unless O(hide_urls=false), a message
        receiver's C(queue_name) is its Zaqar queue.
      type: dict
    actor:
      description: The credentials the actions run with, as Senlin returns them.
      type: dict
    created_at:
      description: When it was created.
      type: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.info import list_receivers  # noqa: E402


class ClusterReceiverInfoModule(CloudModule):
    argument_spec = dict(
        action=dict(type='str'),
        cluster=dict(type='str'),
        hide_urls=dict(type='bool', default=True),
        name=dict(type='str'),
        sort=dict(type='str', default='name'),
        type=dict(type='str', choices=['webhook', 'message']),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        p = self.params
        client = SenlinClient(self.conn, wait=False, timeout=p['timeout'], deadline=self.deadline)
        secrets = self.module.no_log_values if p['hide_urls'] else None
        receivers = list_receivers(client, p['name'], p['type'], p['cluster'], p['action'], p['sort'],
                                   hide_urls=p['hide_urls'], secrets=secrets)
        return self.info_result(receivers=receivers)


def main():
    ClusterReceiverInfoModule()()


if __name__ == '__main__':
    main()
