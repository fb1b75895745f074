# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Software configs (immutable: a change is a new config, older versions deleted once unused) and software
deployments (a config deployed to a server)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import Ambiguous, CloudModuleError, NotFound

CONFIG_FIELDS = ('group', 'config', 'inputs', 'outputs', 'options')


def config_definition(params):
    """The desired software config body (Heat's own defaults filled in, so comparisons are exact)."""
    return dict(name=params['name'], group=params.get('group') or 'Heat::Ungrouped',
                config=params.get('config') or '', inputs=params.get('inputs') or [],
                outputs=params.get('outputs') or [], options=params.get('options') or {})


INPUT_DEFAULTS = {'type': 'String'}
OUTPUT_DEFAULTS = {'error_output': False}


def normalize_io(items, defaults=None):
    """Inputs/outputs as Heat stores them: unset (None) keys dropped, Heat's defaults filled in.

    ``type`` defaults to String; outputs also get ``error_output: false`` (pass OUTPUT_DEFAULTS).
    """
    filled = dict(INPUT_DEFAULTS, **(defaults or {}))
    out = []
    for item in items or []:
        item = dict((k, v) for k, v in dict(item).items() if v is not None)
        out.append(dict(filled, **item))
    return out


def config_differences(desired, actual):
    """The Difference between a desired software config and a stored one (None = missing)."""
    diff = Difference()
    actual = actual or {}
    diff.compare('group', desired['group'], actual.get('group') or 'Heat::Ungrouped')
    diff.compare('config', desired['config'] or '', actual.get('config') or '')
    diff.compare('inputs', normalize_io(desired['inputs']), normalize_io(actual.get('inputs')), 'list')
    diff.compare('outputs', normalize_io(desired['outputs'], OUTPUT_DEFAULTS),
                 normalize_io(actual.get('outputs'), OUTPUT_DEFAULTS), 'list')
    diff.compare('options', desired['options'] or {}, actual.get('options') or {}, 'dict')
    return diff


def find_configs(api, name):
    """The configs with this name, oldest first (the last one is the current version)."""
    return sorted((c for c in api.list_configs() if c.get('name') == name),
                  key=lambda c: (c.get('creation_time') or '', c.get('id') or ''))


def looks_like_id(value):
    return bool(re.match(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$', value))


def resolve_config(api, name_or_id):
    """The software config with this id, or the current (newest) one with this name; NotFound otherwise."""
    if looks_like_id(name_or_id):
        found = api.get_config(name_or_id)
        if found is not None:
            return found
    matches = find_configs(api, name_or_id)
    if not matches:
        raise NotFound("No software config has the name or id '%s'" % name_or_id)
    return api.get_config(matches[-1]['id'])


def referenced_config_ids(api):
    """Ids of the configs some deployment of the project uses (Heat refuses to delete those)."""
    return set(d.get('config_id') for d in api.list_deployments())


def _delete_configs(api, configs, check_mode):
    """Delete the configs no deployment uses; returns (deleted ids, kept ids)."""
    if not configs:
        return [], []
    used = referenced_config_ids(api)
    deleted = sorted(c['id'] for c in configs if c['id'] not in used)
    kept = sorted(c['id'] for c in configs if c['id'] in used)
    if not check_mode:
        for config_id in deleted:
            api.delete_config(config_id)
    return deleted, kept


def ensure_config(api, params, check_mode=False):
    """Software configs are immutable: identical -> nothing; different -> create a new one, delete the old.

    Names are not unique in Heat: the newest config with the name is the current one; older versions
    (superseded) are deleted once no deployment uses them (Heat refuses to delete a config in use), so
    ``software_deployment`` can move its deployments to the new version first.
    Returns (Difference, config dict or None, ids of superseded configs kept because deployments use them).
    """
    diff = Difference()
    name = params['name']
    matches = find_configs(api, name)
    if params.get('state') == 'absent':
        deleted, kept = _delete_configs(api, matches, check_mode)
        if deleted:
            diff.add('deleted_ids', None, deleted)
        if kept:
            raise CloudModuleError("Software config(s) named '%s' are used by deployments and cannot be deleted: "
                                   "%s. Delete those deployments first." % (name, ', '.join(kept)),
                                   deleted_ids=deleted, kept_ids=kept, changed=bool(deleted))
        return diff, None, []
    desired = config_definition(params)
    current = api.get_config(matches[-1]['id']) if matches else None
    superseded = matches[:-1]
    if current is None:
        diff.add('state', 'absent', 'present')
    else:
        diff.merge(config_differences(desired, current))
        if diff.changed:
            diff.add('replaced_id', None, current['id'])
            superseded = matches
    result = current
    if diff.changed:
        result = dict(desired, id=None) if check_mode else api.create_config(desired)
    deleted, kept = _delete_configs(api, superseded, check_mode)
    if deleted:
        diff.add('deleted_ids', None, deleted)
    return diff, result, kept


# -- software deployments -----------------------------------------------------------------------------

DEPLOYMENT_FIELDS = ('action', 'status', 'status_reason', 'input_values')


def desired_input_values(params):
    values = params.get('input_values')
    if params.get('signal_transport'):
        values = dict(values or {}, deploy_signal_transport=params['signal_transport'])
    return values


def find_deployments(api, config_ids, server_id):
    return [d for d in api.list_deployments(server_id)
            if d.get('server_id') == server_id and d.get('config_id') in config_ids]


def _deployment_config(api, config_ref):
    """(ids of every version of the config, the id of the current (newest) version or None)."""
    if looks_like_id(config_ref) and api.get_config(config_ref) is not None:
        return set([config_ref]), config_ref
    named = find_configs(api, config_ref)
    return set(c['id'] for c in named), (named[-1]['id'] if named else None)


def _create_deployment(api, diff, config_id, server_id, wanted, check_mode):
    diff.add('state', 'absent', 'present')
    body = dict(config_id=config_id, server_id=server_id, action=wanted['action'] or 'CREATE',
                status=wanted['status'] or 'IN_PROGRESS', input_values=wanted['input_values'] or {})
    if wanted['status_reason'] is not None:
        body['status_reason'] = wanted['status_reason']
    if check_mode:
        return diff, dict(body, id=None)
    return diff, api.create_deployment(body)


def ensure_deployment(api, params, check_mode=False):
    """A deployment identified by (config name or id, server_id). Returns (Difference, deployment or None).

    A deployment of an older version of a named config (replaced: same name, new id) is found by the name
    and moved to the current version.
    """
    diff = Difference()
    config_ref, server_id = params['config'], params['server_id']
    config_ids, config_id = _deployment_config(api, config_ref)
    deployments = find_deployments(api, config_ids, server_id) if config_ids else []
    if len(deployments) > 1:
        raise Ambiguous('software deployment for config %s on server' % config_ref, server_id,
                        [d['id'] for d in deployments])
    current = deployments[0] if deployments else None

    if params.get('state') == 'absent':
        if current is not None:
            diff.add('state', 'present', 'absent')
            if not check_mode:
                api.delete_deployment(current['id'])
        return diff, None

    if config_id is None:
        raise NotFound("No software config has the name or id '%s'" % config_ref)
    wanted = dict(action=params.get('action'), status=params.get('status'),
                  status_reason=params.get('status_reason'), input_values=desired_input_values(params))
    if current is None:
        return _create_deployment(api, diff, config_id, server_id, wanted, check_mode)

    diff.compare('config_id', config_id, current.get('config_id'))
    for field in DEPLOYMENT_FIELDS:
        diff.compare(field, wanted[field], current.get(field), 'dict' if field == 'input_values' else 'value')
    if not diff.changed:
        return diff, current
    body = dict((k, v) for k, v in wanted.items() if v is not None)
    body['config_id'] = config_id
    if check_mode:
        predicted = dict(current)
        predicted.update(body)
        return diff, predicted
    updated = api.update_deployment(current['id'], body)
    # Heat answers a config_id change with the deployment as it was before; read it back
    return diff, (api.get_deployment(current['id']) if 'config_id' in diff.keys else updated) or updated
