#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_action_info
short_description: List Senlin actions, with the reasons of the failed ones
version_added: 0.1.0
description:
  - Lists the Senlin (OpenStack Clustering) actions of the project (every change of a cluster or node is an
    action), newest first, optionally filtered; a failed action comes with its reasons.
  - Never fails because nothing matches (a O(target) that does not exist included); the list is then empty.
  - Requests clustering API microversion 1.12.
options:
  target:
    description:
      - Only actions on this cluster or node (name or id; a name is looked up as a cluster, then as a node).
    type: str
  action:
    description:
      - Only actions of these types, for example C(CLUSTER_SCALE_OUT) or C(NODE_CREATE).
    type: list
    elements: str
  status:
    description:
      - Only actions in these statuses, for example C(FAILED), C(SUCCEEDED), C(RUNNING).
    type: list
    elements: str
  name:
    description:
      - Only actions with this name (Senlin names them C(<action>_<first 8 characters of the target id>)).
    type: str
  sort:
    description:
      - Senlin's sort, C(key[:asc|desc]) separated by commas; the keys are C(name), C(target), C(action),
        C(created_at) and C(status).
    type: str
    default: created_at:desc
  limit:
    description:
      - Return at most this many actions (the first in O(sort) order). Actions accumulate with every change, so
        the list is read in pages of 100 and stops here.
    type: int
seealso:
  - module: cloudrise.openstack.cluster_event_info
    description: The events of clusters and nodes.
  - module: cloudrise.openstack.cluster_info
    description: Query clusters and their nodes.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Why did the last scale-outs of the cluster fail?
  cloudrise.openstack.cluster_action_info:
    target: web
    action: [CLUSTER_SCALE_OUT, CLUSTER_RESIZE]
    status: [FAILED]
    limit: 5
  register: failed

- name: Show the reasons
  ansible.builtin.debug:
    msg: "{{ failed.actions | map(attribute='reasons') | list }}"
'''

RETURN = r'''
actions:
  description: The actions that match, in O(sort) order (newest first by default).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Action id.
      type: str
    name:
      description: Action name.
      type: str
    action:
      description: Action type, for example C(CLUSTER_SCALE_OUT).
      type: str
    target:
      description: The id of the cluster or node it acts on.
      type: str
    status:
      description: C(INIT), C(WAITING), C(READY), C(RUNNING), C(SUCCEEDED), C(FAILED), C(CANCELLED), ...
      type: str
    status_reason:
      description: Senlin's reason for the status.
      type: str
    reasons:
      description: "For a C(FAILED) or C(CANCELLED) action, its status reason, then each failed child action that
        Senlin names in C(depends_on), as C(<action> on <target>: <reason>)."
      returned: for failed and cancelled actions
      type: list
      elements: str
    cause:
      description: Why it ran, for example C(RPC Request) or C(Derived Action).
      type: str
    inputs:
      description: The action's inputs.
      type: dict
    outputs:
      description: The action's outputs.
      type: dict
    depends_on:
      description: Ids of the actions it waits on.
      type: list
      elements: str
    created_at:
      description: When it was created.
      type: str
    start_time:
      description: When it started (seconds since the epoch).
      type: float
    end_time:
      description: When it ended (seconds since the epoch).
      type: float
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.history import list_actions  # noqa: E402


class ClusterActionInfoModule(CloudModule):
    argument_spec = dict(
        action=dict(type='list', elements='str'),
        limit=dict(type='int'),
        name=dict(type='str'),
        sort=dict(type='str', default='created_at:desc'),
        status=dict(type='list', elements='str'),
        target=dict(type='str'),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        p = self.params
        client = SenlinClient(self.conn, wait=False, timeout=p['timeout'], deadline=self.deadline)
        actions = list_actions(client, p['target'], p['action'], p['status'], p['name'], p['sort'], p['limit'])
        return self.info_result(actions=actions)


def main():
    ClusterActionInfoModule()()


if __name__ == '__main__':
    main()
