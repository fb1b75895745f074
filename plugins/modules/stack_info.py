#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: stack_info
short_description: List OpenStack Heat stacks, with their outputs, resources and events on request
version_added: 0.1.0
description:
  - Returns the stacks matching the filters, as a list. Nothing matching is not an error (an empty list).
  - By O(name) (a name or an id) one stack is fetched; otherwise the stack list is read page by page.
  - Outputs, resources and events cost extra requests per stack and are fetched only when asked for.
  - Secrets - Heat masks the values of hidden parameters (C(hidden=true) in the template) as C(******); other
    parameters, outputs, resources' attributes and events are returned as Heat stores them. Declare every
    secret parameter hidden (see C(secret_parameters) of M(cloudrise.openstack.stack)), or set C(no_log=true)
    (the task keyword) on a task whose stacks may return secrets.
options:
  name:
    description:
      - Name or id of one stack.
    type: str
    aliases: [id]
  status:
    description:
      - Only stacks in this status (for example C(CREATE_COMPLETE)).
    type: str
  tags:
    description:
      - Only stacks with these tags (a list or a comma-separated string); see O(tags_mode).
    type: raw
  tags_mode:
    description:
      - C(all) - stacks that have all of O(tags); C(any) - stacks that have at least one of them.
    type: str
    default: all
    choices: [all, any]
  project_id:
    description:
      - Only stacks of this project (listing other projects' stacks needs an admin).
    type: str
    aliases: [project]
  owner_id:
    description:
      - Only the nested stacks of this parent stack id.
    type: str
  outputs:
    description:
      - Resolve and return the outputs (a list in C(outputs) and a dict in C(outputs_dict)); one extra request
        per stack when listing.
    type: bool
    default: false
  resources:
    description:
      - Return each stack's resources in C(resources).
    type: bool
    default: false
  events:
    description:
      - Return each stack's events in C(events).
    type: bool
    default: false
  nested_depth:
    description:
      - How deep to include nested stacks' resources and events.
    type: int
    default: 0
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: One stack with its outputs
  cloudrise.openstack.stack_info:
    name: app
    outputs: true
  register: info

- name: Read one output
  ansible.builtin.debug:
    msg: "{{ (info.stacks | first).outputs_dict.endpoint }}"
  when: info.stacks | length > 0

- name: Failed stacks tagged prod
  cloudrise.openstack.stack_info:
    status: CREATE_FAILED
    tags: [prod]
'''

RETURN = r'''
stacks:
  description:
    - The matching stacks as Heat returns them (C(stack_name), C(id), C(stack_status), C(stack_status_reason),
      C(parameters), C(tags), C(creation_time), ...), plus the keys asked for.
  returned: always
  type: list
  elements: dict
  contains:
    outputs:
      description: The outputs (only with O(outputs=true)).
      type: list
      elements: dict
    outputs_dict:
      description: The outputs as a dict, key to value (only with O(outputs=true)).
      type: dict
    resources:
      description: The resources (only with O(resources=true)).
      type: list
      elements: dict
    events:
      description: The events (only with O(events=true)).
      type: list
      elements: dict
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.info import stack_info  # noqa: E402


class StackInfoModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', aliases=['id']),
        status=dict(type='str'),
        tags=dict(type='raw'),
        tags_mode=dict(type='str', default='all', choices=['all', 'any']),
        project_id=dict(type='str', aliases=['project']),
        owner_id=dict(type='str'),
        outputs=dict(type='bool', default=False),
        resources=dict(type='bool', default=False),
        events=dict(type='bool', default=False),
        nested_depth=dict(type='int', default=0),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        p = self.params
        stacks = stack_info(HeatApi(self.conn), name=p['name'], status=p['status'], tags=p['tags'],
                            tags_mode=p['tags_mode'], project_id=p['project_id'], owner_id=p['owner_id'],
                            outputs=p['outputs'], resources=p['resources'], events=p['events'],
                            nested_depth=p['nested_depth'])
        return self.info_result(stacks=stacks)


def main():
    StackInfoModule()()


if __name__ == '__main__':
    main()
