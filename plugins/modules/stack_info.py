#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: stack_info
short_description: List OpenStack Heat stacks, with their outputs, template, snapshots, resources and events on request
version_added: 0.1.0
description:
  - Returns the stacks matching the filters, as a list. Nothing matching is not an error (an empty list).
  - A drop-in for C(openstack.cloud.stack_info) - the same options (O(name), O(status), O(project), O(owner) and
    their C(_id) aliases) and, for each stack, the same keys (openstacksdk's C(Stack.to_dict(computed=False)) -
    C(name), C(id), C(status), C(status_reason), C(created_at), C(outputs), C(tags), C(parameters), ...), plus
    Heat's own keys (C(stack_name), C(stack_status), C(creation_time), ...) as earlier releases returned them.
  - Every filter is sent to Heat's stack list (C(GET /stacks)), which is read page by page - one request per
    100 stacks. Each stack then costs one more C(GET) when its outputs are resolved (O(outputs), the default,
    as C(openstack.cloud.stack_info) does) or when O(name) is given, and one more per detail asked for (O(template),
    O(environment), O(files), O(resources), O(events), O(snapshots)); those GETs go 4 stacks at a time, and the
    stacks come back in Heat's order. O(outputs=false) without O(name) lists any number of stacks in one request
    per page.
  - A cloud admin (Heat's C(context_is_admin), the C(admin) role by default) sees the stacks of every project;
    anyone else sees their own project's. O(project) narrows the list to one project.
  - Secrets - Heat masks the values of hidden parameters (C(hidden=true) in the template) as C(******); other
    parameters, outputs, resources' attributes, events, templates, environments and files are returned as Heat
    stores them. Declare every secret parameter hidden (see C(secret_parameters) of M(cloudrise.openstack.stack)),
    or set C(no_log=true) (the task keyword) on a task whose stacks may return secrets.
  - See the section "stack_info compared with openstack.cloud.stack_info" of C(docs/heat.md) for the differences.
options:
  name:
    description:
      - Name or id of the stacks to return (Heat's C(name) or C(id) filter). By id a nested stack is found too.
      - A cloud admin may get several stacks of one name, from different projects.
    type: str
    aliases: [id]
  status:
    description:
      - Only stacks in this status (for example C(CREATE_COMPLETE); upper-cased before it is sent).
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
  not_tags:
    description:
      - Leave out the stacks that have all of these tags (a list or a comma-separated string).
    type: raw
  not_tags_any:
    description:
      - Leave out the stacks that have any of these tags (a list or a comma-separated string).
    type: raw
  project:
    description:
      - Only the stacks of this project, by name or id (Heat's C(tenant) filter). The token's own project and
        an id cost no request; another project's name is looked up in Keystone (which needs the right to list
        projects). A project that does not exist gives an empty list.
      - Another project's stacks are listed only for a cloud admin, or with O(all_projects).
    type: str
    aliases: [project_id]
  owner:
    description:
      - Only the nested stacks whose parent is this stack, by name or id (Heat's C(owner_id) filter, with
        C(show_nested)). A parent that does not exist gives an empty list.
    type: str
    aliases: [owner_id]
  show_nested:
    description:
      - Include nested stacks (Heat leaves them out of the list by default). Implied by O(owner) and by an id in
        O(name).
    type: bool
    default: false
  show_hidden:
    description:
      - Include the stacks Heat hides (those carrying one of the tags of Heat's C(hidden_stack_tags) setting;
        none by default).
    type: bool
    default: false
  all_projects:
    description:
      - Ask Heat for every project's stacks (C(global_tenant)). This needs Heat's C(stacks:global_index) policy,
        which Heat's default denies to everybody (Heat then answers 403 and the task fails); a cloud admin sees
        every project without it.
    type: bool
    default: false
  outputs:
    description:
      - Resolve each stack's outputs (C(outputs), a list, and C(outputs_dict), key to value), with one C(GET) per
        stack, which also fills the keys the list leaves out (C(parameters), C(timeout_mins),
        C(is_rollback_disabled), C(template_description), ...).
      - C(false) skips that C(GET) when listing - those keys are then C(null) - and, with O(name), fetches the
        stack without resolving its outputs (C(outputs) is then C(null)).
    type: bool
    default: true
  template:
    description:
      - Return each stack's stored template in C(template) (one C(GET) per stack).
    type: bool
    default: false
  environment:
    description:
      - Return each stack's stored environment in C(environment) (one C(GET) per stack).
    type: bool
    default: false
  files:
    description:
      - Return each stack's stored files (C(get_file) contents, nested templates) in C(files) (one C(GET) per stack).
    type: bool
    default: false
  snapshots:
    description:
      - Return each stack's snapshots in C(snapshots) (one C(GET) per stack).
    type: bool
    default: false
  resources:
    description:
      - Return each stack's resources in C(resources) (one C(GET) per stack).
    type: bool
    default: false
  events:
    description:
      - Return each stack's events in C(events) (one C(GET) per stack).
    type: bool
    default: false
  nested_depth:
    description:
      - How deep to include nested stacks' resources and events.
    type: int
    default: 0
seealso:
  - module: openstack.cloud.stack_info
    description: The module this one replaces, with the same options and return value.
  - module: cloudrise.openstack.stack
    description: Create, update, suspend and delete a stack.
  - name: Migrating from openstack.cloud.stack_info
    link: https://cloudrise.github.io/cloudrise.openstack/guides/migrating-openstack-cloud.html
    description: Option mapping and the differences in the returned values.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
# Ad hoc, from a shell:
#   ansible localhost -m cloudrise.openstack.stack_info -a 'cloud=mycloud name=app'
#   ansible localhost -m cloudrise.openstack.stack_info -a 'tags=prod,web tags_mode=any outputs=false'
#   ansible localhost -m cloudrise.openstack.stack_info -a 'owner=app snapshots=true'

- name: One stack, its outputs resolved
  cloudrise.openstack.stack_info:
    name: app
  register: info

- name: Read one output
  ansible.builtin.debug:
    msg: "{{ (info.stacks | first).outputs_dict.endpoint }}"
  when: info.stacks | length > 0

- name: Failed stacks tagged prod, but not those tagged ignore
  cloudrise.openstack.stack_info:
    status: CREATE_FAILED
    tags: [prod]
    not_tags_any: [ignore]

- name: Every stack of a project, listed cheaply (one request per 100 stacks, outputs not resolved)
  cloudrise.openstack.stack_info:
    project: demo
    outputs: false

- name: The nested stacks of app
  cloudrise.openstack.stack_info:
    owner: app
    outputs: false

- name: What app was built from, and its snapshots
  cloudrise.openstack.stack_info:
    name: app
    template: true
    environment: true
    snapshots: true
  register: app
'''

RETURN = r'''
stacks:
  description:
    - The matching stacks, with the keys of C(openstack.cloud.stack_info) (openstacksdk's
      C(Stack.to_dict(computed=False)); a key Heat did not send is C(null)) and Heat's own keys (C(stack_name),
      C(stack_status), C(stack_status_reason), C(creation_time), C(updated_time), C(deletion_time),
      C(stack_owner), C(parent), C(stack_user_project_id), C(disable_rollback), and C(project) in an admin's
      list), plus the keys asked for.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The stack's id.
      type: str
      sample: 97a3f543-8136-4570-920e-fd7605c989d6
    name:
      description: The stack's name.
      type: str
      sample: app
    status:
      description: The stack's status.
      type: str
      sample: CREATE_COMPLETE
    status_reason:
      description: Why the stack is in its status.
      type: str
      sample: Stack CREATE completed successfully
    created_at:
      description: When the stack was created.
      type: str
      sample: "2026-01-05T17:38:12Z"
    updated_at:
      description: When the stack was last updated (C(null) if never).
      type: str
    deleted_at:
      description: When the stack was deleted (C(null)).
      type: str
    description:
      description: The template's description.
      type: str
    template_description:
      description: The template's description (C(null) when listing with O(outputs=false)).
      type: str
    tags:
      description: The stack's tags, a list (C(null) when the stack has none).
      type: list
      elements: str
      sample: [prod, web]
    outputs:
      description:
        - The outputs, each with C(output_key), C(output_value) and C(description) (C(null) with O(outputs=false)).
      type: list
      elements: dict
    outputs_dict:
      description: The outputs as a dict, key to value (only with O(outputs=true)).
      type: dict
      sample: {endpoint: "http://192.0.2.10"}
    parameters:
      description: The parameters, with Heat's pseudo-parameters (C(null) when listing with O(outputs=false)).
      type: dict
    owner_id:
      description: The user who owns the stack (Heat's C(stack_owner), a user name).
      type: str
    parent_id:
      description: The parent stack's id, for a nested stack (else C(null)).
      type: str
    user_project_id:
      description: The id of the project Heat made for the stack's users.
      type: str
    is_rollback_disabled:
      description: Whether rollback is disabled (C(null) when listing with O(outputs=false)).
      type: bool
    timeout_mins:
      description: The stack's timeout in minutes (C(null) when listing with O(outputs=false), or when none).
      type: int
    capabilities:
      description: Heat's capabilities (always empty).
      type: list
    notification_topics:
      description: Heat's notification topics (always empty).
      type: list
    links:
      description: Links to the stack.
      type: list
      elements: dict
    template:
      description: The stored template (only with O(template=true), else C(null)).
      type: dict
    environment:
      description: The stored environment (only with O(environment=true), else C(null)).
      type: dict
    files:
      description: The stored files, name to content (only with O(files=true), else C(null)).
      type: dict
    environment_files:
      description: Always C(null) (a key of the SDK's resource, sent by Heat on create only).
      type: list
    files_container:
      description: Always C(null) (a key of the SDK's resource, sent by Heat on create only).
      type: str
    template_url:
      description: Always C(null) (a key of the SDK's resource, sent by Heat on create only).
      type: str
    added:
      description: Always C(null) (the SDK's resource shares its keys with an update preview's).
      type: list
    deleted:
      description: Always C(null) (the SDK's resource shares its keys with an update preview's).
      type: list
    replaced:
      description: Always C(null) (the SDK's resource shares its keys with an update preview's).
      type: list
    unchanged:
      description: Always C(null) (the SDK's resource shares its keys with an update preview's).
      type: list
    updated:
      description: Always C(null) (the SDK's resource shares its keys with an update preview's).
      type: list
    snapshots:
      description:
        - The snapshots, each with C(id), C(name), C(status), C(status_reason) and C(creation_time) (only with
          O(snapshots=true)).
        - Heat's C(data) (the stack's whole state as the snapshot took it, hidden parameter values unmasked) is
          left out.
      type: list
      elements: dict
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
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.info import (  # noqa: E402
    StackDetails, StackFilters, project_id_of, stack_info)


class StackInfoModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', aliases=['id']),
        status=dict(type='str'),
        tags=dict(type='raw'),
        tags_mode=dict(type='str', default='all', choices=['all', 'any']),
        not_tags=dict(type='raw'),
        not_tags_any=dict(type='raw'),
        project=dict(type='str', aliases=['project_id']),
        owner=dict(type='str', aliases=['owner_id']),
        show_nested=dict(type='bool', default=False),
        show_hidden=dict(type='bool', default=False),
        all_projects=dict(type='bool', default=False),
        outputs=dict(type='bool', default=True),
        template=dict(type='bool', default=False),
        environment=dict(type='bool', default=False),
        files=dict(type='bool', default=False),
        snapshots=dict(type='bool', default=False),
        resources=dict(type='bool', default=False),
        events=dict(type='bool', default=False),
        nested_depth=dict(type='int', default=0),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        filters = StackFilters.from_params(self.params)
        details = StackDetails.from_params(self.params)
        stacks = stack_info(HeatApi(self.conn), filters, details, lambda project: project_id_of(self.conn, project))
        return self.info_result(stacks=stacks)


def main():
    StackInfoModule()()


if __name__ == '__main__':
    main()
