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
  - "Secrets in a spec (a password in a Heat parameter, an C(admin_pass) or C(user_data) property): pass them
    in O(secret_parameters) or O(secret_properties), which are C(no_log): they are merged into O(spec) and
    stay out of the module's invocation (the C(Invoked with) log line on the managed host, C(invocation) of a
    failed task) and are masked in the result and the diff. A secret written directly in O(spec) appears in
    the invocation and in the returned RV(profile.spec): such a task needs C(no_log=true)."
  - "The diff shows a spec redacted unless O(diff_secrets=true): its C(type) and C(version), and each property
    (each Heat parameter) as C(******** <digest>), so you see which parts change, not their values."
  - "Senlin stores the spec as given (no encryption) and shows it to every member of the project
    (C(GET /profiles)) and to the cloud admins: what protects a secret in a spec is the project's membership."
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
      - Required to create the profile (or O(spec_file)).
      - Put secrets in O(secret_parameters) or O(secret_properties) instead (see the description); a task with
        secrets in O(spec) itself needs C(no_log=true).
    type: dict
  spec_file:
    description:
      - Path of a spec file, as C(openstack cluster profile create --spec-file) takes it, instead of O(spec).
        The module sends the spec the openstack CLI sends for that file, so a profile made by the CLI from the
        same file is equal (no change).
      - The file, and the files it references, are read on the host the module runs on (as the
        M(cloudrise.openstack.stack) module's template files), not on the controller.
      - "For an C(os.heat.stack) spec, as the CLI: C(properties.template) (a path or URL) is read with the files
        it references (C(get_file), nested templates), C(properties.environment) (a list of paths or URLs) is
        read with the files its C(resource_registry) references, and the properties sent are C(template),
        C(files), C(environment), C(parameters) (default C({})), C(context) (default C({})), C(timeout)
        (default C(60)) and C(disable_rollback) (default C(true))."
      - "Unlike the CLI: relative paths resolve against the spec file's directory, not the working directory;
        a C(template_url) that is a relative path or C(file://) URL is read and sent as C(template); an
        C(http(s)) C(template_url) is sent as it is, for Heat to fetch; C(template) and C(environment) may
        also be inline mappings; the spec's own C(files) are kept (those read override them) and any other
        property is kept, so Senlin's validation names it (the CLI drops both)."
      - "The template's references are read within the M(cloudrise.openstack.stack) module's limits: under the
        template's directory tree (an environment's C(resource_registry) also under the environment file's),
        C(file), C(http) and C(https) only, each file at most 1 MiB."
      - O(secret_parameters) and O(secret_properties) are merged over the file's spec as over O(spec).
      - Each problem (file not found, not YAML, no C(type), C(version) or C(properties), a template that
        cannot be read, Senlin's validation refusing the spec) fails naming the file, before any write.
      - Not read with O(state=absent).
      - Mutually exclusive with O(spec).
    type: path
  secret_parameters:
    description:
      - Heat parameters merged into O(spec)'s C(properties.parameters) (C(os.heat.stack) specs only), for
        passwords and keys. C(no_log), so they are kept out of the invocation and masked in the result and the diff.
      - They are part of the spec for Senlin, so they are compared (a change replaces the profile) and stored
        with it.
    type: dict
  secret_properties:
    description:
      - Properties merged into O(spec)'s C(properties) (top-level keys replace those of O(spec)), for secrets of
        any profile type, for example an C(os.nova.server) C(admin_pass). C(no_log) as O(secret_parameters).
    type: dict
  diff_secrets:
    description:
      - Show the spec in full in the diff (C(--diff)). By default it is redacted (C(type), C(version), each
        property as C(******** <digest>)), since a spec may hold secrets. The values of O(secret_parameters) and
        O(secret_properties) are masked even then.
    type: bool
    default: false
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
seealso:
  - module: cloudrise.openstack.cluster_profile_info
    description: List profiles.
  - module: cloudrise.openstack.cluster_profile_type_info
    description: The profile types with their spec schemas.
  - module: cloudrise.openstack.cluster
    description: Build a cluster from a profile (or from an inline profile spec).
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

- name: A profile whose Heat stacks get a database password (kept out of logs without no_log on the task)
  cloudrise.openstack.cluster_profile:
    name: db-profile
    spec:
      type: os.heat.stack
      version: '1.0'
      properties:
        template: "{{ lookup('file', 'db-node.yaml') | from_yaml }}"
        parameters:
          flavor: m1.small
    secret_parameters:
      db_password: "{{ vault_db_password }}"

- name: A profile from the spec file the team keeps for the openstack CLI (template and environment beside it)
  cloudrise.openstack.cluster_profile:
    name: web-profile-from-file
    spec_file: /srv/senlin/web-profile.yaml

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
      description: The spec as Senlin stores it (the values of O(secret_parameters) and O(secret_properties)
        masked).
      type: dict
    metadata:
      description: Metadata.
      type: dict
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import remove_orphans, report_twins  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.profile import (  # noqa: E402
    DesiredProfile, apply_profile, plan_profile, read_profile)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.specfile import spec_file_params  # noqa: E402


class ClusterProfileModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        spec=dict(type='dict'),
        spec_file=dict(type='path'),
        metadata=dict(type='dict'),
        secret_parameters=dict(type='dict', no_log=True),
        secret_properties=dict(type='dict', no_log=True),
        diff_secrets=dict(type='bool', default=False),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    module_kwargs = dict(supports_check_mode=True, mutually_exclusive=[('spec', 'spec_file')])
    microversions = {'clustering': MICROVERSION}

    def run(self):
        desired = DesiredProfile.from_params(spec_file_params(self.params, 'spec', 'spec_file', self.deadline))
        client = SenlinClient(self.conn, wait=self.params['wait'], timeout=self.params['timeout'], deadline=self.deadline)
        profile, users = read_profile(client, desired)
        plan = plan_profile(profile, desired, users)
        remove_orphans(client, plan.diff, self.check_mode, warn=self.warn)
        profile = self.apply_or_predict(plan, lambda: apply_profile(client, profile, plan), profile)
        report_twins(client, warn=self.warn)
        return self.result(plan.diff, profile=profile)


def main():
    ClusterProfileModule()()


if __name__ == '__main__':
    main()
