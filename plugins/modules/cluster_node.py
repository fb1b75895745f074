#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_node
short_description: Create, update, move, check, recover, operate or delete a Senlin node
version_added: 0.1.0
description:
  - Manages one Senlin (OpenStack Clustering) node, standalone or as a member of a cluster.
  - A node whose O(cluster) differs from its current cluster is moved (removed from the old cluster without
    being destroyed, then added to the new one). Size limits of both clusters are checked before any write;
    leaving or deleting a member must not take its cluster below C(min_size), joining must not take it above
    C(max_size).
  - Every change is a Senlin action; the module waits on it and fails with its status reason.
  - Senlin names a node created in a cluster after the cluster's C(node.name.format); the module then renames
    it to O(name) (one more C(NODE_UPDATE) action), so the task stays idempotent by name.
  - "Senlin 16 limitation: an C(os.heat.stack) node cannot join or leave a cluster (Senlin rewrites the stack's
    tags with a stack update that has no template and Heat answers 400 \"No template specified\"). The module
    reports that failure with this explanation and the node stays as it was; create such nodes in their
    cluster (O(cluster) at creation) instead."
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Name or id of the node. A name that matches more than one node is an error.
    type: str
    required: true
  state:
    description:
      - C(present) creates or updates the node; C(absent) deletes it (and its physical resource).
    type: str
    default: present
    choices: [present, absent]
  profile:
    description:
      - Name or id of the profile. Required to create the node; a different profile updates the node to it
        (same profile type only).
    type: str
  cluster:
    description:
      - Name or id of the cluster the node belongs to. An empty string means standalone (a member is removed
        from its cluster, the node is kept). Not set means leave membership as it is.
    type: str
  role:
    description:
      - Role of the node in its cluster.
    type: str
  metadata:
    description:
      - Metadata of the node. Compared as a whole.
    type: dict
  check:
    description:
      - Run a node C(check) action (reports C(changed=true) when run; predicted in check mode).
    type: bool
    default: false
  recover:
    description:
      - Run a node C(recover) action after O(check) (reports C(changed=true) when run; predicted in check mode).
    type: bool
    default: false
  recover_params:
    description:
      - "Parameters of the recover action, for example C({operation: RECREATE}) (keys C(operation),
        C(operation_params), C(check), C(delete_timeout), C(force_recreate))."
    type: dict
  operation:
    description:
      - Name of a profile-type operation to run on the node, for example C(reboot) for C(os.nova.server)
        nodes. The module checks that the node's profile type offers it before any write.
      - Reports C(changed=true) when run; predicted in check mode.
    type: str
  operation_params:
    description:
      - Parameters of O(operation).
    type: dict
  timeout:
    description:
      - How long, in seconds, to wait for all actions of the task together.
    type: int
    default: 600
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: A node in cluster web
  cloudrise.openstack.cluster_node:
    name: web-extra
    profile: web-profile
    cluster: web
    role: worker
    metadata:
      owner: ops

- name: Move it to another cluster
  cloudrise.openstack.cluster_node:
    name: web-extra
    cluster: web-canary

- name: Check and recreate it if broken
  cloudrise.openstack.cluster_node:
    name: web-extra
    check: true
    recover: true
    recover_params:
      operation: RECREATE

- name: Reboot a Nova server node
  cloudrise.openstack.cluster_node:
    name: vm-node-1
    operation: reboot
    operation_params:
      type: SOFT

- name: Delete it
  cloudrise.openstack.cluster_node:
    name: web-extra
    state: absent
'''

RETURN = r'''
node:
  description: The node after the task (predicted in check mode); null when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Node id.
      type: str
    name:
      description: Node name.
      type: str
    status:
      description: Node status (ACTIVE, ERROR, ...).
      type: str
    cluster_id:
      description: Id of the cluster it belongs to, empty when standalone.
      type: str
    profile_id:
      description: Id of its profile.
      type: str
    physical_id:
      description: Id of the physical resource (the Heat stack, the Nova server).
      type: str
    role:
      description: Role.
      type: str
    metadata:
      description: Metadata.
      type: dict
actions:
  description: The Senlin actions this task started, in order (none in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Action id.
      type: str
    name:
      description: Action type, for example NODE_CREATE.
      type: str
    target:
      description: Id of the node or cluster the action ran on.
      type: str
    status:
      description: Final status (SUCCEEDED), or null when not waited on.
      type: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import remove_orphans, report_twins  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.node import (  # noqa: E402
    DesiredNode, apply_node, plan_node, read_node)


class ClusterNodeModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        profile=dict(type='str'),
        cluster=dict(type='str'),
        role=dict(type='str'),
        metadata=dict(type='dict'),
        check=dict(type='bool', default=False),
        recover=dict(type='bool', default=False),
        recover_params=dict(type='dict'),
        operation=dict(type='str'),
        operation_params=dict(type='dict'),
        timeout=dict(type='int', default=600),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        desired = DesiredNode.from_params(self.params)
        client = SenlinClient(self.conn, wait=self.params['wait'], timeout=self.params['timeout'], deadline=self.deadline)
        current = read_node(client, desired)
        plan = plan_node(current, desired)
        remove_orphans(client, plan.diff, self.check_mode, warn=self.warn)
        node = self.apply_or_predict(plan, lambda: apply_node(client, current, plan), current.node)
        report_twins(client, warn=self.warn)
        return self.result(plan.diff, node=node, actions=client.actions)


def main():
    ClusterNodeModule()()


if __name__ == '__main__':
    main()
