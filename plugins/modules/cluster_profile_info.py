#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_profile_info
short_description: List Senlin profiles
version_added: 0.1.0
description:
  - Lists the Senlin (OpenStack Clustering) profiles of the project, optionally filtered, with their specs.
  - Never fails because nothing matches; the list is then empty.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Only the profile with this name or id.
    type: str
  type:
    description:
      - Only profiles of this type, with its version (C(os.heat.stack-1.0), filtered by Senlin) or without it
        (C(os.heat.stack), every version).
    type: str
  sort:
    description:
      - Senlin's sort, C(key[:asc|desc]) separated by commas; the keys are C(type), C(name), C(created_at) and
        C(updated_at).
    type: str
    default: name
seealso:
  - module: cloudrise.openstack.cluster_profile
    description: Create, replace or delete a profile.
  - module: cloudrise.openstack.cluster_profile_type_info
    description: The profile types with their spec schemas.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Every Heat stack profile
  cloudrise.openstack.cluster_profile_info:
    type: os.heat.stack
  register: heat_profiles

- name: One profile, by name or id
  cloudrise.openstack.cluster_profile_info:
    name: web-profile
  register: profile
'''

RETURN = r'''
profiles:
  description: The profiles that match, in O(sort) order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Profile id.
      type: str
    name:
      description: Profile name.
      type: str
    type:
      description: Profile type with its version, for example C(os.heat.stack-1.0).
      type: str
    spec:
      description: The profile's spec (C(type), C(version), C(properties)).
      type: dict
    metadata:
      description: The profile's metadata.
      type: dict
    created_at:
      description: When it was created.
      type: str
    updated_at:
      description: When it was last updated.
      type: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.info import list_profiles  # noqa: E402


class ClusterProfileInfoModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str'),
        sort=dict(type='str', default='name'),
        type=dict(type='str'),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        p = self.params
        client = SenlinClient(self.conn, wait=False, timeout=p['timeout'], deadline=self.deadline)
        return self.info_result(profiles=list_profiles(client, p['name'], p['type'], p['sort']))


def main():
    ClusterProfileInfoModule()()


if __name__ == '__main__':
    main()
