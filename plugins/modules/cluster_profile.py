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
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import diff_for_create, diff_for_delete, spec_equal  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.profile import create_profile, profile_users  # noqa: E402


class ClusterProfileModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        spec=dict(type='dict'),
        metadata=dict(type='dict'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def create_or_replace(self, client, current, diff):
        """Create the profile, or replace it (Senlin cannot change a spec) when nothing uses it."""
        p = self.params
        if p['spec'] is None:
            raise InvalidInput("Profile '%s' does not exist; spec is needed to create it." % p['name'])
        client.validate_spec('profile', p['spec'])
        if current is not None:
            users = profile_users(client, current['id'])
            if users:
                raise InvalidInput("Profile '%s' has a different spec, and Senlin cannot change a spec; it "
                                   "cannot be replaced while in use by: %s." % (current['name'], ', '.join(users)),
                                   users=users)
            diff.add('spec', current.get('spec'), p['spec'])
        else:
            diff.merge(diff_for_create(dict(name=p['name'], spec=p['spec'], metadata=p['metadata'])))
        if self.check_mode:
            return self.result(diff, profile=dict(name=p['name'], spec=p['spec'], metadata=p['metadata'] or {},
                                                  type='%s-%s' % (p['spec'].get('type'), p['spec'].get('version'))))
        if current is not None:
            client.request('DELETE', '/profiles/%s' % current['id'], retry_locked=False)
        return self.result(diff, profile=create_profile(client, p['name'], p['spec'], p['metadata']))

    def run(self):
        p = self.params
        client = SenlinClient(self.conn, wait=p['wait'], timeout=p['timeout'])
        current = client.find('profile', p['name'])
        diff = Difference()
        if p['state'] == 'absent':
            if current:
                diff.merge(diff_for_delete(current))
                if not self.check_mode:
                    client.request('DELETE', '/profiles/%s' % current['id'], retry_locked=False)
            return self.result(diff, profile=None)

        if current is None or not spec_equal(p['spec'], current.get('spec')):
            return self.create_or_replace(client, current, diff)

        update = {}
        if diff.compare('metadata', p['metadata'], current.get('metadata'), 'dict'):
            update['metadata'] = p['metadata']
        if update and not self.check_mode:
            current = client.request('PATCH', '/profiles/%s' % current['id'], {'profile': update}).json()['profile']
        elif update:
            current = dict(current, **update)
        return self.result(diff, profile=current)


def main():
    ClusterProfileModule()()


if __name__ == '__main__':
    main()
