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
  - "O(adopt) puts an existing Heat stack under Senlin's management as a node (Senlin's node adopt API). Senlin
    makes a new profile named C(prof-<name>) from the stack (its template, environment, files, parameters,
    timeout and rollback setting, with O(adopt.overrides) over them) and a standalone C(ACTIVE) node whose
    physical id is the stack's id. From then on the node owns the stack: deleting the node (O(state=absent))
    deletes the stack. The profile stays when the node is deleted (delete it with
    M(cloudrise.openstack.cluster_profile))."
  - "Senlin adopts into no cluster, and on Senlin 16 a Heat node cannot join one afterwards (the known bug
    above), so O(adopt) refuses O(cluster)."
  - "A Senlin service that runs openstacksdk 1.5.x (the version Senlin 2023.2 pins) fails every adoption of a
    Heat stack: it cannot read the stack's template (500 with C('stack_name')). The module reports that with
    an explanation from Senlin's adopt preview, before any write."
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
      - A member of a cluster is deleted with a C(NODE_DELETE) action, unless O(destroy_after_deletion=true).
        Either way Senlin lowers the cluster's C(desired_capacity) by one.
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
  adopt:
    description:
      - Adopt an existing physical resource (a Heat stack) as the node, instead of creating one from a
        O(profile). See the description for what Senlin does. Mutually exclusive with O(profile); refuses
        O(cluster).
      - Idempotent by O(name) and the stack's id. A node O(name) that manages the stack is left alone (only
        O(role) and O(metadata) are compared and updated); a node O(name) with another physical id fails, and so
        does a stack that another node already manages, before any write.
      - In check mode the module asks Senlin's adopt preview (no write) and returns it in RV(preview).
      - Ignored with O(state=absent).
    type: dict
    suboptions:
      identity:
        description:
          - Name or id of the stack. A name is resolved to the stack's id through Heat (a stack that does not exist
            fails before any write), as Senlin keeps the identity given as the node's physical id.
        type: str
        required: true
      type:
        description:
          - Type of the profile Senlin makes from the resource, with its version.
          - For a type other than C(os.heat.stack), O(adopt.identity) is given to Senlin as it is (no Heat lookup).
        type: str
        default: os.heat.stack-1.0
      overrides:
        description:
          - "Properties of the profile spec that replace those Senlin reads from the stack, for example
            C({timeout: 5})."
          - "For a Heat stack the module sends the stack's C(template), C(environment) and C(files), as Heat gives
            them, under these: Senlin 16 copies them with the SDK's own C(id), C(name) and C(location) keys, which
            Heat refuses (C(environment has wrong section \"id\")), so without them no adoption of a stack
            works. That costs three Heat requests, before the preview."
        type: dict
      snapshot:
        description:
          - Ask Senlin to snapshot the resource before adopting it (Senlin 16's C(os.heat.stack) profile ignores
            it).
        type: bool
        default: false
  destroy_after_deletion:
    description:
      - How a member leaves its cluster, as Senlin's C(del_nodes) cluster action takes it.
      - C(true), with O(state=absent), removes the node through its cluster (a C(CLUSTER_DEL_NODES) action
        with C(destroy_after_deletion)) instead of deleting the node directly (C(NODE_DELETE)); the node and its
        physical resource (the stack) are deleted, the cluster's C(desired_capacity) goes down by one, and the
        cluster's policies for C(CLUSTER_DEL_NODES) (a deletion policy's grace period, a load-balancing policy)
        apply. A deletion policy attached to the cluster overrides it (Senlin uses the policy's
        C(destroy_after_deletion)). Refused with O(state=present) and O(cluster) set (use O(state=absent)).
      - C(false), with O(cluster) set to another cluster or to an empty string, removes the node from its cluster
        and keeps it, as when not set. Refused with O(state=absent).
      - Not set keeps the behaviour of earlier versions (C(NODE_DELETE) for O(state=absent), a leave that keeps
        the node for a O(cluster) change).
      - "Senlin 16 limitation: an C(os.heat.stack) node cannot leave its cluster and be kept (see the
        description); with C(true) it does not leave, it is deleted, which works."
    type: bool
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
seealso:
  - module: cloudrise.openstack.cluster
    description: Create, resize, update or delete the cluster a node belongs to.
  - module: cloudrise.openstack.cluster_info
    description: List a cluster with its nodes.
  - module: cloudrise.openstack.cluster_profile
    description: Manage the profile a node is built from.
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

- name: Delete a member through its cluster (its deletion and load-balancing policies apply)
  cloudrise.openstack.cluster_node:
    name: web-2
    state: absent
    destroy_after_deletion: true

- name: Put a stack made outside Senlin under Senlin's management
  cloudrise.openstack.cluster_node:
    name: legacy-app
    adopt:
      identity: legacy-app-stack
      overrides:
        timeout: 10
    role: legacy
    metadata:
      owner: ops
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
preview:
  description:
    - Senlin's adopt preview, the profile spec (C(type), C(version), C(properties)) Senlin makes the node's
      profile from, when the node is to be adopted with O(adopt) (in check mode and in the real run); null
      otherwise.
  returned: always
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
        adopt=dict(type='dict', options=dict(
            identity=dict(type='str', required=True),
            type=dict(type='str', default='os.heat.stack-1.0'),
            overrides=dict(type='dict'),
            snapshot=dict(type='bool', default=False),
        )),
        destroy_after_deletion=dict(type='bool'),
        timeout=dict(type='int', default=600),
    )
    module_kwargs = dict(supports_check_mode=True, mutually_exclusive=[('adopt', 'profile')])
    microversions = {'clustering': MICROVERSION}

    def run(self):
        desired = DesiredNode.from_params(self.params)
        client = SenlinClient(self.conn, wait=self.params['wait'], timeout=self.params['timeout'], deadline=self.deadline)
        current = read_node(client, desired)
        plan = plan_node(current, desired)
        remove_orphans(client, plan.diff, self.check_mode, warn=self.warn)
        node = self.apply_or_predict(plan, lambda: apply_node(client, current, plan), current.node)
        report_twins(client, warn=self.warn)
        return self.result(plan.diff, node=node, preview=plan.preview, actions=client.actions)


def main():
    ClusterNodeModule()()


if __name__ == '__main__':
    main()
