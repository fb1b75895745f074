#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_policy_type_info
short_description: List Senlin policy types, or show one with its spec schema
version_added: 0.1.0
description:
  - Lists the policy types Senlin (OpenStack Clustering) offers; with O(name), that type with the schema of its
    spec's C(properties), which is what a policy spec (M(cloudrise.openstack.cluster_policy)) is written from.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - The type, with its version (C(senlin.policy.deletion-1.1)) or without it (C(senlin.policy.deletion), each
        of its versions).
      - The task fails, listing the known types, when Senlin has no such type.
    type: str
seealso:
  - module: cloudrise.openstack.cluster_policy
    description: Create a policy of one of these types.
  - module: cloudrise.openstack.cluster_profile_type_info
    description: The profile types with their spec schemas.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: The policy types of this cloud
  cloudrise.openstack.cluster_policy_type_info:
  register: types

- name: The allowed criteria of a deletion policy
  cloudrise.openstack.cluster_policy_type_info:
    name: senlin.policy.deletion-1.1
  register: deletion

- name: Show them
  ansible.builtin.debug:
    msg: "{{ deletion.policy_types[0].schema.criteria.constraints }}"
'''

RETURN = r'''
policy_types:
  description: The policy types (only O(name)'s when set), sorted by C(type).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The type's name without its version, the C(type) of a spec, for example
        C(senlin.policy.deletion).
      type: str
    version:
      description: The version, the C(version) of a spec, for example C(1.1).
      type: str
    type:
      description: C(<name>-<version>), as a policy's C(type) shows it.
      type: str
    support_status:
      description: Senlin's support status per version (C(SUPPORTED), C(EXPERIMENTAL), ... and since when).
      type: dict
    schema:
      description: With O(name), the schema of the spec's C(properties), per property (C(type), C(required),
        C(updatable), C(default), C(description), C(constraints), ...).
      returned: when O(name) is set
      type: dict
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.schemas import list_types  # noqa: E402


class ClusterPolicyTypeInfoModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str'),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        client = SenlinClient(self.conn, wait=False, timeout=self.params['timeout'], deadline=self.deadline)
        return self.info_result(policy_types=list_types(client, 'policy', self.params['name']))


def main():
    ClusterPolicyTypeInfoModule()()


if __name__ == '__main__':
    main()
