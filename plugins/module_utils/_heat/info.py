# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only queries behind stack_info and software_config_info."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import stack_outputs
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.template import normalize_tags


def _matches(stack, status=None, tags=None, tags_mode='all', project_id=None):
    """Client-side filter for a stack found by name or id (the list API filters server-side)."""
    have = set(stack.get('tags') or [])
    if status and stack.get('stack_status') != status:
        return False
    if tags and tags_mode == 'all' and not set(tags) <= have:
        return False
    if tags and tags_mode == 'any' and not set(tags) & have:
        return False
    return not (project_id and stack.get('project') not in (None, project_id))


def stack_list_query(status=None, tags=None, tags_mode='all', project_id=None, owner_id=None):
    """Server-side filters. Heat answers 500 to a status filter combined with a tag filter, so with tags the
    status is filtered on the client (see stack_info)."""
    query = {}
    if status and not tags:
        query['status'] = status
    if project_id:
        query['tenant_id'] = project_id
    if owner_id:
        query['owner_id'] = owner_id
    if tags:
        query['tags' if tags_mode == 'all' else 'tags_any'] = ','.join(tags)
    return query


def stack_info(api, name=None, status=None, tags=None, tags_mode='all', project_id=None, owner_id=None,
               outputs=False, resources=False, events=False, nested_depth=0):
    """Stacks matching the filters (a list, empty when nothing matches), with optional details."""
    tags = normalize_tags(tags)
    if name:
        found = api.find_stack(name, resolve_outputs=outputs)
        stacks = [found] if found is not None and _matches(found, status, tags, tags_mode, project_id) else []
    else:
        stacks = api.list_stacks(stack_list_query(status, tags, tags_mode, project_id, owner_id))
        if status and tags:
            stacks = [s for s in stacks if s.get('stack_status') == status]
        if outputs:
            stacks = [api.get_stack(s) or s for s in stacks]
    result = []
    for stack in stacks:
        item = dict(stack)
        if outputs:
            item['outputs_dict'] = stack_outputs(stack)[0]
        if resources:
            item['resources'] = api.resources(stack, nested_depth=nested_depth)
        if events:
            item['events'] = api.events(stack, '?nested_depth=%d' % nested_depth if nested_depth else '')
        result.append(item)
    return result


def config_info(api, name=None, details=False):
    """Software configs (all, or those with this name or id) as a list, empty when nothing matches."""
    if name and looks_like_id(name):
        found = api.get_config(name)
        if found is not None:
            return [found]
    configs = [c for c in api.list_configs() if not name or c.get('name') == name]
    if details:
        configs = [api.get_config(c['id']) or c for c in configs]
    return configs
