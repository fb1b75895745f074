# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only queries behind stack_info and software_config_info.

``stack_info`` lists stacks through ``GET /stacks`` with every filter Heat's whitelist takes (``name``, ``id``,
``status``, ``tenant``, ``owner_id``, ``tags``, ``tags_any``, ``not_tags``, ``not_tags_any``, ``show_nested``,
``show_hidden``, ``global_tenant``), one request per page. Each stack comes back with the keys of openstacksdk's
``Stack.to_dict(computed=False)`` (what openstack.cloud.stack_info returns), built by the installed SDK's own
``Stack`` resource, on top of Heat's raw keys.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent import futures

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import stack_outputs
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.template import normalize_tags

try:
    from openstack import exceptions as sdk_exceptions
    from openstack.orchestration.v1.stack import Stack as SdkStack
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = SdkStack = None

# Filters Heat matches against a column of the stacks table. Heat joins the tag table once per tag for ``tags``,
# and that join breaks these filters: ``tags`` with ``status``, ``name``, ``tenant`` or ``owner_id`` answers 500
# (InvalidRequestError), with ``id`` an empty list (Heat 27). ``tags_any`` (an EXISTS) combines fine.
EXACT_FILTERS = ('name', 'id', 'status', 'tenant', 'owner_id')

# Stacks whose outputs or details each cost GETs are read this many at a time (in the order listed): a stack's
# outputs are resolved by Heat's engine, so the GETs wait on Heat, not on the module. 300 stacks' outputs took
# 6.2 s one after the other and about half with 4 at a time on the local cloud (docs/performance.md).
DETAIL_WORKERS = 4


def sdk_stack(raw):
    """Heat's stack dict plus the keys openstacksdk's ``Stack.to_dict(computed=False)`` gives it (``name``,
    ``status``, ``status_reason``, ``created_at``, ``outputs``, ``tags``, ... every attribute, None when Heat did
    not send it): the SDK's keys win where both name one thing."""
    item = dict(raw)
    item.update(SdkStack.existing(**raw).to_dict(computed=False))
    return item


class StackFilters(object):
    """stack_info's filters, converted once (no request)."""

    OPTIONS = ('name', 'status', 'tags', 'tags_mode', 'not_tags', 'not_tags_any', 'project', 'owner',
               'show_nested', 'show_hidden', 'all_projects')

    def __init__(self, name=None, status=None, tags=None, tags_mode='all', not_tags=None, not_tags_any=None,
                 project=None, owner=None, show_nested=False, show_hidden=False, all_projects=False):
        self.name, self.project, self.owner = name or None, project or None, owner or None
        self.status = status.upper() if status else None
        self.tags, self.tags_mode = normalize_tags(tags) or None, tags_mode
        self.not_tags, self.not_tags_any = normalize_tags(not_tags) or None, normalize_tags(not_tags_any) or None
        self.show_nested, self.show_hidden, self.all_projects = show_nested, show_hidden, all_projects

    @classmethod
    def from_params(cls, params):
        return cls(**dict((key, params.get(key)) for key in cls.OPTIONS if params.get(key) is not None))


class StackDetails(object):
    """What stack_info fetches per stack beyond the listing."""

    OPTIONS = ('outputs', 'resources', 'events', 'nested_depth', 'snapshots', 'template', 'environment', 'files')

    def __init__(self, outputs=True, resources=False, events=False, nested_depth=0, snapshots=False,
                 template=False, environment=False, files=False):
        if nested_depth < 0:
            raise InvalidInput('nested_depth must be 0 or more, got %d.' % nested_depth)
        self.outputs, self.resources, self.events, self.nested_depth = outputs, resources, events, nested_depth
        self.snapshots, self.template, self.environment, self.files = snapshots, template, environment, files

    @classmethod
    def from_params(cls, params):
        return cls(**dict((key, params.get(key)) for key in cls.OPTIONS if params.get(key) is not None))

    def per_stack_requests(self):
        """Whether each stack costs GETs beyond the listing besides its outputs."""
        return any((self.resources, self.events, self.snapshots, self.template, self.environment, self.files))


def stack_list_query(filters, project_id=None, owner_id=None, by='name'):
    """``(query, tags_to_check)``: the ``GET /stacks`` parameters for ``filters`` (the project and the owner
    already resolved to ids; ``by`` says whether ``filters.name`` is sent as ``name`` or ``id``), and the tags
    every stack must still be checked for on the client (None when Heat filters them)."""
    query = {}
    for key, value in ((by, filters.name), ('status', filters.status), ('tenant', project_id),
                       ('owner_id', owner_id)):
        if value:
            query[key] = value
    if filters.show_nested or owner_id or by == 'id':  # Heat lists nested stacks only with show_nested
        query['show_nested'] = True
    if filters.show_hidden:
        query['show_hidden'] = True
    if filters.all_projects:
        query['global_tenant'] = True
    return query, _tags_query(filters, query)


def _tags_query(filters, query):
    """Adds the tag filters to ``query``; returns the tags Heat cannot filter here (``tags`` with an exact
    filter: sent as ``tags_any``, and all of them checked on the client)."""
    tags_to_check = None
    if filters.tags and filters.tags_mode == 'any':
        query['tags_any'] = ','.join(filters.tags)
    elif filters.tags and any(key in query for key in EXACT_FILTERS):
        query['tags_any'] = ','.join(filters.tags)
        tags_to_check = filters.tags if len(filters.tags) > 1 else None
    elif filters.tags:
        query['tags'] = ','.join(filters.tags)
    if filters.not_tags:
        query['not_tags'] = ','.join(filters.not_tags)
    if filters.not_tags_any:
        query['not_tags_any'] = ','.join(filters.not_tags_any)
    return tags_to_check


def project_id_of(conn, name_or_id):
    """The id of the project ``name_or_id`` (None when Keystone has no such project). The token's own project
    and anything shaped like an id cost no request; another project's name is looked up in Keystone."""
    access = conn.session.auth.get_access(conn.session)
    if name_or_id in (access.project_id, access.project_name):
        return access.project_id
    if looks_like_id(name_or_id):
        return name_or_id
    try:
        project = conn.identity.find_project(name_or_id, ignore_missing=True)
    except sdk_exceptions.ForbiddenException as exc:
        raise InvalidInput("Cannot look up the project '%s' by name (Keystone: %s). Give the project's id instead."
                           % (name_or_id, str(getattr(exc, 'details', None) or exc).rstrip('.')))
    return project.id if project is not None else None


def list_matching(api, filters, project_id=None, owner_id=None):
    """The stacks Heat lists for ``filters``, page by page (an id tried as a name too when nothing has it)."""
    attempts = ('id', 'name') if filters.name and looks_like_id(filters.name) else ('name',)
    for by in attempts:
        query, tags_to_check = stack_list_query(filters, project_id, owner_id, by)
        stacks = api.list_stacks(query)
        if tags_to_check:
            stacks = [s for s in stacks if set(tags_to_check) <= set(s.get('tags') or [])]
        if stacks:
            return stacks
    return []


def snapshot_summary(snapshot):
    """A snapshot without Heat's ``data`` (the stack's whole state, hidden parameter values unmasked)."""
    return dict((key, value) for key, value in snapshot.items() if key != 'data')


def stack_details(api, stack, details):
    """The stack with the details asked for, each one more GET."""
    if details.outputs:
        stack['outputs_dict'] = stack_outputs(stack)[0]
    if details.template:
        stack['template'] = api.get_template(stack)
    if details.environment:
        stack['environment'] = api.get_environment(stack)
    if details.files:
        stack['files'] = api.get_files(stack)
    if details.resources:
        stack['resources'] = api.resources(stack, nested_depth=details.nested_depth)
    if details.events:
        stack['events'] = api.events(stack, '?nested_depth=%d' % details.nested_depth if details.nested_depth else '')
    if details.snapshots:
        stack['snapshots'] = [snapshot_summary(s) for s in api.stack_snapshots(stack)]
    return stack


def stack_info(api, filters, details, project_lookup=None):
    """Stacks matching ``filters`` (a list, empty when nothing matches), each with ``details``.

    ``project_lookup(name_or_id)`` gives a project's id (None: no such project, so no stack). Listing costs one
    request per page; each stack then costs one GET when its outputs are resolved or when a name was given
    (the list API leaves out parameters, outputs and timeouts), and one more GET per other detail asked for.
    """
    project_id = owner_id = None
    if filters.project:
        project_id = project_lookup(filters.project)
        if project_id is None:
            return []
    if filters.owner:
        owner = api.find_stack(filters.owner, resolve_outputs=False)
        if owner is None:
            return []
        owner_id = owner['id']
    stacks = list_matching(api, filters, project_id, owner_id)
    shown = details.outputs or filters.name

    def detailed(stack):
        if shown:
            stack = api.get_stack(stack, resolve_outputs=details.outputs) or stack
        return stack_details(api, sdk_stack(stack), details)

    if len(stacks) < 2 or not (shown or details.per_stack_requests()):
        return [detailed(s) for s in stacks]
    with futures.ThreadPoolExecutor(min(DETAIL_WORKERS, len(stacks))) as pool:
        return list(pool.map(detailed, stacks))


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
