#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_policy
short_description: Manage a Senlin policy and its attachments to clusters
version_added: 0.1.0
description:
  - Manages a Senlin (OpenStack Clustering) policy (for example C(senlin.policy.deletion),
    C(senlin.policy.scaling)) and its bindings to clusters (attach, enable/disable, detach).
  - The spec is checked with Senlin's validation before any write (unknown policy type, bad properties).
  - Senlin cannot change a policy's spec. A different spec replaces the policy within the task. The old
    policy is detached from every cluster, deleted, the new one created and attached again to the same
    clusters with the same C(enabled) (plus the bindings O(clusters) asks for).
  - Each attach, update and detach is a Senlin cluster action; the module waits on it.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Name or id of the policy. A name that matches more than one policy is an error.
    type: str
    required: true
  spec:
    description:
      - The policy spec with C(type), C(version) and C(properties). Required to create the policy (or
        O(spec_file)).
    type: dict
  spec_file:
    description:
      - Path of a spec file, as C(openstack cluster policy create --spec-file) takes it (YAML with C(type),
        C(version) and C(properties)), instead of O(spec). The module sends the spec as the openstack CLI does,
        so a policy made by the CLI from the same file is equal (no change).
      - The file is read on the host the module runs on, not on the controller.
      - Each problem (file not found, not YAML, no C(type), C(version) or C(properties), Senlin's validation
        refusing the spec) fails naming the file, before any write.
      - Not read with O(state=absent).
      - Mutually exclusive with O(spec).
    type: path
  clusters:
    description:
      - Clusters the policy is attached to. Each item is a cluster name/id, or a dict with C(cluster)
        (name/id) and C(enabled) (bool, default O(enabled)).
      - Bindings to clusters not listed are kept unless O(purge_clusters=true).
    type: list
    elements: raw
  enabled:
    description:
      - Whether a binding listed in O(clusters) without its own C(enabled) is enabled.
    type: bool
    default: true
  purge_clusters:
    description:
      - Detach the policy from clusters not listed in O(clusters).
    type: bool
    default: false
  state:
    description:
      - C(present) creates/replaces the policy and sets its bindings; C(absent) detaches it from every cluster
        and deletes it.
    type: str
    default: present
    choices: [present, absent]
  timeout:
    description:
      - How long, in seconds, to wait for all actions of the task together.
    type: int
    default: 600
seealso:
  - module: cloudrise.openstack.cluster_policy_info
    description: List policies with the clusters they are attached to.
  - module: cloudrise.openstack.cluster_policy_type_info
    description: The policy types Senlin offers, with their spec schemas.
  - module: cloudrise.openstack.cluster
    description: The clusters policies attach to.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Delete the oldest nodes first, on two clusters (disabled on the second)
  cloudrise.openstack.cluster_policy:
    name: oldest-first
    spec:
      type: senlin.policy.deletion
      version: '1.1'
      properties:
        criteria: OLDEST_FIRST
        destroy_after_deletion: true
    clusters:
      - web
      - cluster: batch
        enabled: false

- name: Scale out by 2 nodes at a time, only on web
  cloudrise.openstack.cluster_policy:
    name: scale-out-2
    spec:
      type: senlin.policy.scaling
      version: '1.0'
      properties:
        event: CLUSTER_SCALE_OUT
        adjustment:
          type: CHANGE_IN_CAPACITY
          number: 2
    clusters: [web]
    purge_clusters: true

- name: The deletion policy from the spec file kept for the openstack CLI
  cloudrise.openstack.cluster_policy:
    name: oldest-first-from-file
    spec_file: /srv/senlin/deletion-policy.yaml
    clusters: [web]

- name: Detach everywhere and delete
  cloudrise.openstack.cluster_policy:
    name: oldest-first
    state: absent
'''

RETURN = r'''
policy:
  description: The policy after the task (predicted in check mode); null when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Policy id.
      type: str
    name:
      description: Policy name.
      type: str
    type:
      description: Policy type with version.
      type: str
    spec:
      description: The spec.
      type: dict
bindings:
  description: The clusters the policy is attached to after the task (those looked at; all of them with
    O(purge_clusters=true), after a replacement, or with O(state=absent)).
  returned: always
  type: list
  elements: dict
  contains:
    cluster_id:
      description: Cluster id.
      type: str
    cluster_name:
      description: Cluster name.
      type: str
    enabled:
      description: Whether the binding is enabled.
      type: bool
actions:
  description: The Senlin actions this task started (none in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Action id.
      type: str
    name:
      description: Action type (CLUSTER_ATTACH_POLICY, CLUSTER_UPDATE_POLICY, CLUSTER_DETACH_POLICY).
      type: str
    target:
      description: Cluster id.
      type: str
    status:
      description: Final status, or null when not waited on.
      type: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import report_twins  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.policy import (  # noqa: E402
    DesiredPolicy, apply_policy, plan_policy, read_policy)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.specfile import spec_file_params  # noqa: E402


class ClusterPolicyModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        spec=dict(type='dict'),
        spec_file=dict(type='path'),
        clusters=dict(type='list', elements='raw'),
        enabled=dict(type='bool', default=True),
        purge_clusters=dict(type='bool', default=False),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        timeout=dict(type='int', default=600),
    )
    module_kwargs = dict(supports_check_mode=True, mutually_exclusive=[('spec', 'spec_file')])
    microversions = {'clustering': MICROVERSION}

    def run(self):
        desired = DesiredPolicy.from_params(spec_file_params(self.params, 'spec', 'spec_file', self.deadline))
        client = SenlinClient(self.conn, wait=self.params['wait'], timeout=self.params['timeout'], deadline=self.deadline)
        current = read_policy(client, desired)
        plan = plan_policy(current, desired)
        policy = self.apply_or_predict(plan, lambda: apply_policy(client, current, plan), current.policy)
        report_twins(client, warn=self.warn)
        return self.result(plan.diff, policy=policy, bindings=plan.bindings, actions=client.actions)


def main():
    ClusterPolicyModule()()


if __name__ == '__main__':
    main()
