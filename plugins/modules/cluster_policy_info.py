#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_policy_info
short_description: List Senlin policies and the clusters they are attached to
version_added: 0.1.0
description:
  - Lists the Senlin (OpenStack Clustering) policies of the project, optionally filtered, with their specs and,
    when asked, the clusters each policy is attached to.
  - Never fails because nothing matches; the list is then empty.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Only the policy with this name or id.
    type: str
  type:
    description:
      - Only policies of this type, with its version (C(senlin.policy.deletion-1.1), filtered by Senlin) or
        without it (C(senlin.policy.deletion), every version).
    type: str
  sort:
    description:
      - Senlin's sort, C(key[:asc|desc]) separated by commas; the keys are C(type), C(name), C(created_at) and
        C(updated_at).
    type: str
    default: name
  with_clusters:
    description:
      - Add C(clusters), the clusters each policy is attached to. Senlin lists the bindings per cluster only, so
        this is one more request per cluster of the project.
    type: bool
    default: false
seealso:
  - module: cloudrise.openstack.cluster_policy
    description: Create, replace, attach, detach or delete a policy.
  - module: cloudrise.openstack.cluster_policy_type_info
    description: The policy types with their spec schemas.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Every deletion policy with the clusters it is attached to
  cloudrise.openstack.cluster_policy_info:
    type: senlin.policy.deletion
    with_clusters: true
  register: policies

- name: Policies attached nowhere
  ansible.builtin.debug:
    msg: "{{ policies.policies | rejectattr('clusters') | map(attribute='name') | list }}"
'''

RETURN = r'''
policies:
  description: The policies that match, in O(sort) order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Policy id.
      type: str
    name:
      description: Policy name.
      type: str
    type:
      description: Policy type with its version, for example C(senlin.policy.deletion-1.1).
      type: str
    spec:
      description: The policy's spec (C(type), C(version), C(properties)).
      type: dict
    data:
      description: The policy's runtime data, as Senlin returns it.
      type: dict
    created_at:
      description: When it was created.
      type: str
    updated_at:
      description: When it was last updated.
      type: str
    clusters:
      description: With O(with_clusters=true), the clusters the policy is attached to, sorted by cluster name.
      returned: when O(with_clusters=true)
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
        priority:
          description: The binding's priority, as Senlin returns it.
          type: int
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.info import list_policies  # noqa: E402


class ClusterPolicyInfoModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str'),
        sort=dict(type='str', default='name'),
        type=dict(type='str'),
        with_clusters=dict(type='bool', default=False),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        p = self.params
        client = SenlinClient(self.conn, wait=False, timeout=p['timeout'], deadline=self.deadline)
        return self.info_result(policies=list_policies(client, p['name'], p['type'], p['sort'], p['with_clusters']))


def main():
    ClusterPolicyInfoModule()()


if __name__ == '__main__':
    main()
