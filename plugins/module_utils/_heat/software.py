# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Software configs (immutable: a change is a new config, older versions deleted once unused) and software
deployments (a config deployed to a server).

Each follows the collection's shape: ``Desired*.from_params`` once at the module's boundary, ``read_*`` (the
requests the plan needs), ``plan_*`` (pure: a ``Plan`` with the ``Difference`` and the steps), then
``apply_*`` (the writes) or, in check mode, ``plan.predicted``.

Secrets: ``secret_input_defaults`` (config) and ``secret_input_values`` (deployment) are no_log options merged
into ``inputs`` / ``input_values``; their values are always redacted in the diff. Unless the user sets
``diff_secrets``, the diff also hides the config body, every input default and every deployment input value
(``opaque``: a digest keyed for this run, so the diff still shows what changed).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference, Plan, is_equal, looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import Ambiguous, CloudModuleError, InvalidInput, NotFound
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import merge_secret, opaque

INPUT_DEFAULTS = {'type': 'String'}
OUTPUT_DEFAULTS = {'error_output': False}
DEPLOYMENT_FIELDS = ('action', 'status', 'status_reason', 'input_values')


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


def _shown_defaults(inputs, plain):
    """Inputs as the diff shows them: each default ``opaque`` unless its input's name is in ``plain``."""
    return [dict(i, default=opaque(i['default'], size=False)) if i.get('default') is not None
            and i.get('name') not in plain else i for i in inputs]


def config_differences(desired, actual, plain_defaults=None, diff_secrets=False):
    """The Difference between a desired software config body and a stored one (None = missing).

    Unless ``diff_secrets``, the diff shows the config body and the inputs' defaults as ``opaque``; with it,
    the body and the defaults of the inputs named in ``plain_defaults`` in full (None: all of them).
    """
    diff = Difference()
    actual = actual or {}
    diff.compare('group', desired['group'], actual.get('group') or 'Heat::Ungrouped')
    want_config, have_config = desired['config'] or '', actual.get('config') or ''
    if not is_equal(want_config, have_config):
        if diff_secrets:
            diff.add('config', have_config, want_config)
        else:
            diff.add('config', opaque(have_config), opaque(want_config))
    want_inputs, have_inputs = normalize_io(desired['inputs']), normalize_io(actual.get('inputs'))
    if not is_equal(want_inputs, have_inputs, 'list'):
        if diff_secrets and plain_defaults is None:
            diff.add('inputs', have_inputs, want_inputs)
        else:
            plain = set(plain_defaults or ()) if diff_secrets else set()
            diff.add('inputs', _shown_defaults(have_inputs, plain), _shown_defaults(want_inputs, plain))
    diff.compare('outputs', normalize_io(desired['outputs'], OUTPUT_DEFAULTS),
                 normalize_io(actual.get('outputs'), OUTPUT_DEFAULTS), 'list')
    diff.compare('options', desired['options'] or {}, actual.get('options') or {}, 'dict')
    return diff


def find_configs(api, name):
    """The configs with this name, oldest first (the last one is the current version)."""
    return sorted((c for c in api.list_configs() if c.get('name') == name),
                  key=lambda c: (c.get('creation_time') or '', c.get('id') or ''))


def referenced_config_ids(api):
    """Ids of the configs some deployment of the project uses (Heat refuses to delete those)."""
    return set(d.get('config_id') for d in api.list_deployments())


# -- software configs ---------------------------------------------------------------------------------

class DesiredConfig(object):
    """A software config as the user asked for it: ``body`` is what Heat stores (its defaults filled in);
    ``secret_inputs`` the inputs whose defaults came from secret_input_defaults."""

    def __init__(self, name, state='present', group=None, config=None, inputs=None, outputs=None, options=None,
                 secret_inputs=None, diff_secrets=False):
        self.name, self.state = name, state
        self.body = dict(name=name, group=group or 'Heat::Ungrouped', config=config or '', inputs=inputs or [],
                         outputs=outputs or [], options=options or {})
        self.secret_inputs = set(secret_inputs or ())
        self.diff_secrets = diff_secrets

    @classmethod
    def from_params(cls, params):
        inputs, secret = merge_input_defaults(params.get('inputs'), params.get('secret_input_defaults'))
        return cls(params['name'], params.get('state') or 'present', params.get('group'), params.get('config'),
                   inputs, params.get('outputs'), params.get('options'), secret, bool(params.get('diff_secrets')))

    def differences(self, actual):
        """The Difference with the stored config ``actual``: with diff_secrets, the defaults this task sets in
        plain ``inputs`` show in full (a secret one, or one the task does not set, may hold a secret)."""
        plain = set(i.get('name') for i in self.body['inputs'] if isinstance(i, dict) and i.get('default') is not None)
        return config_differences(self.body, actual, plain - self.secret_inputs, self.diff_secrets)


def merge_input_defaults(inputs, secret_defaults):
    """``(inputs with the secret defaults set, their names)``: each name of ``secret_defaults`` must be an input
    of ``inputs`` without a default of its own (the messages name inputs, never a value)."""
    inputs = copy.deepcopy(inputs or [])
    secret_defaults = dict(secret_defaults or {})
    by_name = dict((i.get('name'), i) for i in inputs if isinstance(i, dict))
    unknown = sorted(str(k) for k in secret_defaults if k not in by_name)
    if unknown:
        raise InvalidInput('secret_input_defaults sets the default of an input that inputs does not list; '
                           'no input named: %s' % ', '.join(unknown))
    both = sorted(str(k) for k in secret_defaults if by_name[k].get('default') is not None)
    if both:
        raise InvalidInput('Set each default in one option only; given in both inputs (default) and '
                           'secret_input_defaults: %s' % ', '.join(both))
    for name, value in secret_defaults.items():
        by_name[name]['default'] = value
    return inputs, set(secret_defaults)


class CurrentConfigs(object):
    """The versions with the name (oldest first), the current one read in full (None when absent or not read),
    and the ids some deployment uses (read only when a version may be deleted)."""

    def __init__(self, versions, config=None, in_use=None):
        self.versions, self.config, self.in_use = versions, config, in_use or set()


def _superseded(current, desired):
    """The versions that go once unused: all for state=absent; else the older ones, and the current one too
    when it is replaced."""
    versions = current.versions
    if desired.state == 'absent':
        return list(versions)
    if current.config is not None and desired.differences(current.config).changed:
        return list(versions)
    return versions[:-1]


def read_configs(api, desired):
    """The versions of the config, the current one in full (state=present) and, when a version may be
    deleted, the ids of the configs deployments use."""
    versions = find_configs(api, desired.name)
    config = None
    if desired.state != 'absent' and versions:
        config = api.get_config(versions[-1]['id'])
    current = CurrentConfigs(versions, config)
    if _superseded(current, desired):
        current.in_use = referenced_config_ids(api)
    return current


class ConfigPlan(Plan):
    """Steps: ``create`` (the new version, ``body``), then ``delete`` (``ids``: superseded versions no deployment
    uses). ``kept``: superseded versions deployments still use."""

    def __init__(self, desired):
        super(ConfigPlan, self).__init__()
        self.desired = desired
        self.deleted, self.kept = [], []

    def raise_if_refused(self):
        """For state=absent, fail when versions are still used by deployments (after deleting the unused ones)."""
        if self.desired.state == 'absent' and self.kept:
            raise CloudModuleError("Software config(s) named '%s' are used by deployments and cannot be deleted: "
                                   "%s. Delete those deployments first." % (self.desired.name, ', '.join(self.kept)),
                                   deleted_ids=self.deleted, kept_ids=self.kept, changed=self.changed)


def plan_config(current, desired):
    """Software configs are immutable: identical -> nothing; different -> create a new one, delete the old.

    Names are not unique in Heat: the newest config with the name is the current one; older versions
    (superseded) are deleted once no deployment uses them (Heat refuses to delete a config in use), so
    ``software_deployment`` can move its deployments to the new version first. No request.
    """
    plan = ConfigPlan(desired)
    diff, config = plan.diff, current.config
    if desired.state != 'absent':
        if config is None:
            diff.add('state', 'absent', 'present')
        else:
            diff.merge(desired.differences(config))
            if diff.changed:
                diff.add('replaced_id', None, config['id'])
        if diff.changed:
            plan.step('create', body=desired.body)
        plan.predicted = dict(desired.body, id=None) if diff.changed else config
    superseded = _superseded(current, desired)
    plan.deleted = sorted(c['id'] for c in superseded if c['id'] not in current.in_use)
    plan.kept = sorted(c['id'] for c in superseded if c['id'] in current.in_use)
    if plan.deleted:
        diff.add('deleted_ids', None, plan.deleted)
        plan.step('delete', ids=plan.deleted)
    return plan


def apply_config(api, plan):
    """Create the new version first, then delete the superseded ones; returns the current config (None when
    absent)."""
    config = plan.predicted
    for name, data in plan.steps:
        if name == 'create':
            config = api.create_config(data['body'])
        elif name == 'delete':
            for config_id in data['ids']:
                api.delete_config(config_id)
    return config


# -- software deployments -----------------------------------------------------------------------------

class DesiredDeployment(object):
    """A deployment of ``config`` (a name or an id) to ``server_id``; ``wanted`` holds the fields the user set
    (``input_values`` with the secret input values and the signal transport folded in); ``secret_inputs`` the
    names that came from secret_input_values."""

    def __init__(self, config, server_id, state='present', action=None, status=None, status_reason=None,
                 input_values=None, signal_transport=None, secret_inputs=None, diff_secrets=False):
        self.config, self.server_id, self.state = config, server_id, state
        if signal_transport:
            input_values = dict(input_values or {}, deploy_signal_transport=signal_transport)
        self.wanted = dict(action=action, status=status, status_reason=status_reason, input_values=input_values)
        self.secret_inputs = set(secret_inputs or ())
        self.diff_secrets = diff_secrets

    @classmethod
    def from_params(cls, params):
        input_values, secret = params.get('input_values'), params.get('secret_input_values')
        if secret:
            input_values, secret = merge_secret(input_values, secret, 'input_values', 'secret_input_values')
        return cls(params['config'], params['server_id'], params.get('state') or 'present', params.get('action'),
                   params.get('status'), params.get('status_reason'), input_values,
                   params.get('signal_transport'), secret, bool(params.get('diff_secrets')))

    def shown_inputs(self, values):
        """Input values as the diff shows them: redacted, except with diff_secrets those this task sets in plain
        input_values (a secret one, or one the task does not set, may hold a secret: always redacted)."""
        if values is None:
            return None
        plain = set(self.wanted['input_values'] or ()) - self.secret_inputs if self.diff_secrets else set()
        return dict((k, v if k in plain else opaque(v, size=False)) for k, v in values.items())


def find_deployments(api, config_ids, server_id):
    return [d for d in api.list_deployments(server_id)
            if d.get('server_id') == server_id and d.get('config_id') in config_ids]


def _deployment_config(api, config_ref):
    """(ids of every version of the config, the id of the current (newest) version or None)."""
    if looks_like_id(config_ref) and api.get_config(config_ref) is not None:
        return set([config_ref]), config_ref
    named = find_configs(api, config_ref)
    return set(c['id'] for c in named), (named[-1]['id'] if named else None)


class CurrentDeployment(object):
    """The id of the config's current version (None when there is no such config) and the deployment found."""

    def __init__(self, config_id, deployment=None):
        self.config_id, self.deployment = config_id, deployment


def read_deployment(api, desired):
    """The deployment of any version of the config to the server. A deployment of an older version of a named
    config (replaced: same name, new id) is found by the name. Two of them are ambiguous."""
    config_ids, config_id = _deployment_config(api, desired.config)
    deployments = find_deployments(api, config_ids, desired.server_id) if config_ids else []
    if len(deployments) > 1:
        raise Ambiguous('software deployment for config %s on server' % desired.config, desired.server_id,
                        [d['id'] for d in deployments])
    return CurrentDeployment(config_id, deployments[0] if deployments else None)


class DeploymentPlan(Plan):
    """One step: ``delete`` (``id``), ``create`` (``body``) or ``update`` (``id``, ``body``; ``reread`` when the
    config changes: Heat answers that update with the deployment as it was before)."""


def plan_deployment(current, desired):
    """The plan for the deployment ``current`` (a CurrentDeployment); moves it to the current config version.
    No request."""
    plan = DeploymentPlan()
    diff, found = plan.diff, current.deployment
    if desired.state == 'absent':
        if found is not None:
            diff.add('state', 'present', 'absent')
            plan.step('delete', id=found['id'])
        return plan
    if current.config_id is None:
        raise NotFound("No software config has the name or id '%s'" % desired.config)
    wanted = desired.wanted
    if found is None:
        diff.add('state', 'absent', 'present')
        body = dict(config_id=current.config_id, server_id=desired.server_id, action=wanted['action'] or 'CREATE',
                    status=wanted['status'] or 'IN_PROGRESS', input_values=wanted['input_values'] or {})
        if wanted['status_reason'] is not None:
            body['status_reason'] = wanted['status_reason']
        plan.step('create', body=body)
        plan.predicted = dict(body, id=None)
        return plan
    diff.compare('config_id', current.config_id, found.get('config_id'))
    for field in DEPLOYMENT_FIELDS:
        if field != 'input_values':
            diff.compare(field, wanted[field], found.get(field))
        elif not is_equal(wanted[field], found.get(field), 'dict'):
            diff.add(field, desired.shown_inputs(found.get(field)), desired.shown_inputs(wanted[field]))
    plan.predicted = found
    if diff.changed:
        body = dict((k, v) for k, v in wanted.items() if v is not None)
        body['config_id'] = current.config_id
        plan.step('update', id=found['id'], body=body, reread='config_id' in diff.keys)
        plan.predicted = dict(found, **body)
    return plan


def apply_deployment(api, plan):
    """The write of the plan; returns the deployment (None after a delete)."""
    name, data = plan.steps[0]
    if name == 'delete':
        api.delete_deployment(data['id'])
        return None
    if name == 'create':
        return api.create_deployment(data['body'])
    updated = api.update_deployment(data['id'], data['body'])
    return (api.get_deployment(data['id']) if data['reread'] else updated) or updated
