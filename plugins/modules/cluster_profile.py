#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_profile
short_description: Create, replace or delete a Senlin profile
version_added: 0.1.0
description:
  - Manages a Senlin (OpenStack Clustering) profile, the template clusters and nodes are made from.
  - The spec is checked with Senlin's validation before any write (unknown profile type, missing or wrong
    properties).
  - Senlin cannot change a profile's spec. A different spec replaces the profile (create the new one, delete
    the old one) when nothing uses it; when clusters or nodes use it, the module fails before any write and
    names them (the M(cloudrise.openstack.cluster) module's O(cloudrise.openstack.cluster#module:profile_spec)
    switches a cluster to a new profile).
  - Name and metadata are updated in place.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Name or id of the profile. A name that matches more than one profile is an error.
    type: str
    required: true
  spec:
    description:
      - The profile spec, with C(type) (for example C(os.heat.stack)), C(version) and C(properties).
      - Required to create the profile.
    type: dict
  metadata:
    description:
      - Metadata of the profile. Compared as a whole.
    type: dict
  state:
    description:
      - C(present) creates (or replaces) the profile; C(absent) deletes it (Senlin refuses while a cluster or
        node uses it).
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: A profile whose nodes are small Heat stacks
  cloudrise.openstack.cluster_profile:
    name: web-profile
    spec:
      type: os.heat.stack
      version: '1.0'
      properties:
        template:
          heat_template_version: '2016-10-14'
          resources:
            rand:
              type: OS::Heat::RandomString
        timeout: 2

- name: Delete it
  cloudrise.openstack.cluster_profile:
    name: web-profile
    state: absent
'''

RETURN = r'''
profile:
  description: The profile after the task (predicted in check mode); null when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Profile id.
      type: str
    name:
      description: Profile name.
      type: str
    type:
      description: Profile type with version, for example C(os.heat.stack-1.0).
      type: str
    spec:
      description: The spec.
      type: dict
    metadata:
      description: Metadata.
      type: dict
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.profile import (  # noqa: E402
    DesiredProfile, apply_profile, plan_profile, read_profile)


class ClusterProfileModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        spec=dict(type='dict'),
        metadata=dict(type='dict'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        desired = DesiredProfile.from_params(self.params)
        client = SenlinClient(self.conn, wait=self.params['wait'], timeout=self.params['timeout'])
        profile, users = read_profile(client, desired)
        plan = plan_profile(profile, desired, users)
        profile = self.apply_or_predict(plan, lambda: apply_profile(client, profile, plan), profile)
        return self.result(plan.diff, profile=profile)


def main():
    ClusterProfileModule()()


if __name__ == '__main__':
    main()
