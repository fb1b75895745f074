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

Duplicates: Heat does not enforce unique names, so a create whose answer is lost (a connection reset, a read
timeout, a 5xx, a request the base stopped waiting for) may have made the object, and two runs at once may
each make one. So:

- **A token per create** (``cloudrise_create_token``): in a config's ``options``, in a deployment's
  ``input_values`` (Heat stores both as given; a deployment's input values never reach the server's
  metadata). It is taken out of everything read (``unmark_*``): no comparison, diff or result sees it.
- **A lost answer is looked up, not resent blindly** (``create_config``/``create_deployment``): the object with
  our token is the one the lost request made. Only when none exists is the POST sent once more (same token);
  if that answer is lost too and nothing is found, the task fails saying nothing was created.
- **Twin configs converge on the oldest**: the current version of a name is the oldest of the newest versions
  that have the same content (``twin_group``), so that two runs that made the same config at once agree on it;
  the newer twins are superseded like older versions (deleted once no deployment uses them), and a deployment
  of a twin is not moved (same content).
- **One deployment per config and server**: after its create, a run that finds an older deployment of the
  config on the server (another run's, made at the same moment) deletes its own and keeps the older one. A
  re-run that finds several keeps the oldest and deletes the others when each carries a token (made by this
  collection; ``duplicates_removed`` in the diff); a deployment without a token keeps the name ambiguous.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import copy
import time
import uuid

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference, Plan, is_equal, looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, CloudModuleError, InvalidInput, NotFound, ResourceFailed, write_may_have_happened as is_lost)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import merge_secret, opaque

INPUT_DEFAULTS = {'type': 'String'}
OUTPUT_DEFAULTS = {'error_output': False}
DEPLOYMENT_FIELDS = ('action', 'status', 'status_reason', 'input_values')
MARKER_KEY = 'cloudrise_create_token'
CREATE_ATTEMPTS = 2


def new_token():
    return uuid.uuid4().hex


def _unmark(obj, key):
    """``(obj without the create token in its dict ``key``, the token or None)``; None stays None."""
    if obj is None or not isinstance(obj.get(key), dict) or MARKER_KEY not in obj[key]:
        return obj, None
    values = dict(obj[key])
    token = values.pop(MARKER_KEY)
    return dict(obj, **{key: values}), token


def unmark_config(config):
    return _unmark(config, 'options')[0]


def config_token(config):
    return _unmark(config, 'options')[1]


def unmark_deployment(deployment):
    return _unmark(deployment, 'input_values')[0]


def deployment_token(deployment):
    return _unmark(deployment, 'input_values')[1]


def age(obj):
    """Sort key, oldest first: Heat's ``creation_time`` (seconds), then the id."""
    return (obj.get('creation_time') or '', obj.get('id') or '')


# Heat stamps creation_time in whole seconds, and two objects made in the same second sort by id: a run that lists
# before a twin of the same second is visible keeps its own, while the other run, seeing both, may keep its own too.
# A listing that starts this long after the end of our creation second sees every twin of that second (skew allowed
# between this host's clock and Heat's).
SETTLE_MARGIN = 0.5


def settle(created, clock=None, sleep=None):
    """Wait (at most 1 s + SETTLE_MARGIN) until a listing can no longer miss a twin made in the same second as
    ``created``: its ``creation_time`` second has ended, plus SETTLE_MARGIN. Returns the seconds waited."""
    stamp = created.get('creation_time') or ''
    try:
        second = calendar.timegm(time.strptime(stamp[:19], '%Y-%m-%dT%H:%M:%S'))
    except ValueError:
        return 0.0
    wait = min(second + 1 + SETTLE_MARGIN - (clock or time.time)(), 1 + SETTLE_MARGIN)
    if wait > 0:
        (sleep or time.sleep)(wait)
        return wait
    return 0.0


def _lost_create(what, name, lost):
    status = getattr(lost, 'status_code', None)
    return ResourceFailed("Creating %s '%s' got no answer (%s), and Heat has no %s made by this task: nothing was "
                          "created (the request was sent %d times). Run the task again."
                          % (what, name, '%s %s' % (status, type(lost).__name__) if status else type(lost).__name__,
                             what, CREATE_ATTEMPTS), status_code=status)


def create_marked(create, find, body, key, what, name):
    """POST ``body`` with a new create token in its dict ``key``; a lost answer is looked up with
    ``find(token)`` before the POST is sent once more. Returns the object as Heat stored it (token included)."""
    token = new_token()
    body = dict(body, **{key: dict(body.get(key) or {}, **{MARKER_KEY: token})})
    lost = None
    for _attempt in range(CREATE_ATTEMPTS):
        try:
            return create(body)
        except Exception as exc:  # noqa: BLE001 - only a lost answer is handled; anything else is raised as is
            if not is_lost(exc):
                raise
            lost = exc
        found = find(token)
        if found is not None:
            return found
    raise _lost_create(what, name, lost)


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
    """The configs with this name, oldest first (the newest versions of the same content are the current one:
    ``twin_group``)."""
    return sorted((c for c in api.list_configs() if c.get('name') == name), key=age)


def same_config(one, other):
    """True when two stored configs (tokens taken out) have the same content."""
    body = dict(group=one.get('group'), config=one.get('config'), inputs=one.get('inputs'),
                outputs=one.get('outputs'), options=one.get('options'))
    return not config_differences(body, other).changed


def twin_group(api, versions):
    """The newest versions of the same content, oldest first, read in full (tokens taken out): the first is the
    current version. Versions are read from the newest back until one differs; [] when none can be read."""
    group = []
    for listed in reversed(versions):
        config = unmark_config(api.get_config(listed['id']))
        if config is None:
            continue  # deleted meanwhile
        if group and not same_config(group[0], config):
            break
        group.insert(0, config)
    return group


def create_config(api, body):
    """Create a config that survives a lost answer (see the module docstring); returns it without the token."""
    def find(token):
        for listed in reversed(find_configs(api, body['name'])):
            config = api.get_config(listed['id'])
            if config is not None and config_token(config) == token:
                return config
        return None
    return unmark_config(create_marked(api.create_config, find, body, 'options', 'software config', body['name']))


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
        self.current_id = (config or {}).get('id')


def _superseded(current, desired):
    """The versions that go once unused: all for state=absent; else all but the current one, and the current
    one too when it is replaced."""
    versions = current.versions
    if desired.state == 'absent':
        return list(versions)
    if current.config is not None and desired.differences(current.config).changed:
        return list(versions)
    return [v for v in versions if v['id'] != current.current_id]


def read_configs(api, desired):
    """The versions of the config, the current one in full (state=present) and, when a version may be
    deleted, the ids of the configs deployments use."""
    versions = find_configs(api, desired.name)
    config = None
    if desired.state != 'absent' and versions:
        group = twin_group(api, versions)
        config = group[0] if group else None
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

    Names are not unique in Heat: the newest config with the name (the oldest of its twins) is the current
    one; the other versions (superseded) are deleted once no deployment uses them (Heat refuses to delete a
    config in use), so ``software_deployment`` can move its deployments to the new version first. No request.
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
            config = create_config(api, data['body'])
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
    """(ids of every version of the config, the id of the current version or None, the ids of its twins)."""
    if looks_like_id(config_ref) and api.get_config(config_ref) is not None:
        return set([config_ref]), config_ref, set([config_ref])
    named = find_configs(api, config_ref)
    if len(named) < 2:
        ids = set(c['id'] for c in named)
        return ids, (named[0]['id'] if named else None), ids
    group = twin_group(api, named)
    return (set(c['id'] for c in named), group[0]['id'] if group else named[-1]['id'],
            set(c['id'] for c in group))


class CurrentDeployment(object):
    """The id of the config's current version (None when there is no such config), the deployment found (its
    token taken out), ``duplicates``: newer deployments of the config on the server made by this collection
    (to delete), ``config_ids``: every version's id and ``twin_ids``: the versions with the current content."""

    def __init__(self, config_id, deployment=None, duplicates=None, config_ids=None, twin_ids=None):
        self.config_id, self.deployment = config_id, deployment
        self.duplicates = duplicates or []
        self.config_ids = config_ids or set([config_id])
        self.twin_ids = twin_ids or set([config_id])


def split_deployments(deployments, kind, name):
    """``(the oldest, [the newer ones])``; Ambiguous when a newer one carries no token of this collection."""
    ordered = sorted(deployments, key=age)
    rest = ordered[1:]
    if any(not deployment_token(d) for d in rest):
        raise Ambiguous(kind, name, [d['id'] for d in ordered])
    return ordered[0], rest


def read_deployment(api, desired):
    """The deployment of any version of the config to the server. A deployment of an older version of a named
    config (replaced: same name, new id) is found by the name. Of several, the oldest is kept and the newer
    ones are duplicates when this collection made them (see the module docstring), else they are ambiguous."""
    config_ids, config_id, twin_ids = _deployment_config(api, desired.config)
    deployments = find_deployments(api, config_ids, desired.server_id) if config_ids else []
    if not deployments:
        return CurrentDeployment(config_id, None, config_ids=config_ids, twin_ids=twin_ids)
    found, duplicates = split_deployments(deployments, 'software deployment for config %s on server' % desired.config,
                                          desired.server_id)
    return CurrentDeployment(config_id, unmark_deployment(found), duplicates, config_ids, twin_ids)


class DeploymentPlan(Plan):
    """Steps: ``delete`` (``id``), ``create`` (``body``) or ``update`` (``id``, ``body``; ``reread`` when the
    config changes: Heat answers that update with the deployment as it was before), and
    ``delete_duplicates`` (``ids``). ``desired`` and ``current`` serve a create that meets another run's."""

    def __init__(self, desired=None, current=None):
        super(DeploymentPlan, self).__init__()
        self.desired, self.current = desired, current


def plan_deployment(current, desired):
    """The plan for the deployment ``current`` (a CurrentDeployment); moves it to the current config version
    (unless it uses a twin of it: same content). No request."""
    plan = DeploymentPlan(desired, current)
    diff, found = plan.diff, current.deployment
    duplicates = sorted(d['id'] for d in current.duplicates)
    if duplicates:
        diff.add('duplicates_removed', [], duplicates)
        plan.step('delete_duplicates', ids=duplicates)
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
    config_id = found.get('config_id') if found.get('config_id') in current.twin_ids else current.config_id
    diff.compare('config_id', config_id, found.get('config_id'))
    for field in DEPLOYMENT_FIELDS:
        if field != 'input_values':
            diff.compare(field, wanted[field], found.get(field))
        elif not is_equal(wanted[field], found.get(field), 'dict'):
            diff.add(field, desired.shown_inputs(found.get(field)), desired.shown_inputs(wanted[field]))
    plan.predicted = found
    if diff.changed and [k for k in diff.keys if k != 'duplicates_removed']:
        body = dict((k, v) for k, v in wanted.items() if v is not None)
        body['config_id'] = config_id
        plan.step('update', id=found['id'], body=body, reread='config_id' in diff.keys)
        plan.predicted = dict(found, **body)
    return plan


def create_deployment(api, body, config_ids):
    """Create a deployment that survives a lost answer; then, when another run made one of the config on the
    server first (at the same moment), delete ours and return ``(theirs, True)``; else ``(ours, False)``.
    Only deployments with this task's token are ever deleted here."""
    server_id = body['server_id']

    def find(token):
        return next((d for d in find_deployments(api, config_ids, server_id) if deployment_token(d) == token), None)

    created = create_marked(api.create_deployment, find, body, 'input_values', 'software deployment',
                            'config %s on server %s' % (body['config_id'], server_id))
    token = deployment_token(created)
    settle(created)
    found = find_deployments(api, config_ids, server_id)
    if created['id'] not in set(d['id'] for d in found):
        found.append(created)
    keeper = sorted(found, key=age)[0]
    for deployment in found:
        if deployment['id'] != keeper['id'] and deployment_token(deployment) == token:
            api.delete_deployment(deployment['id'])
    return unmark_deployment(keeper), keeper['id'] != created['id']


def apply_deployment(api, plan):
    """The writes of the plan; returns the deployment (None after a delete)."""
    result = plan.predicted
    for name, data in plan.steps:
        if name == 'delete_duplicates':
            for deployment_id in data['ids']:
                api.delete_deployment(deployment_id)
        elif name == 'delete':
            api.delete_deployment(data['id'])
            result = None
        elif name == 'create':
            # every version of the config read again: another run may have made a twin since this task's read
            config_ids, config_id, twin_ids = _deployment_config(api, plan.desired.config)
            config_ids = config_ids | set([data['body']['config_id']])
            result, adopted = create_deployment(api, data['body'], config_ids)
            if adopted:  # another run's: bring it to what this task asks for
                again = plan_deployment(CurrentDeployment(config_id or data['body']['config_id'], result, None,
                                                          config_ids, twin_ids or None), plan.desired)
                if again.changed:
                    result = apply_deployment(api, again)
        else:
            updated = api.update_deployment(data['id'], data['body'])
            result = (api.get_deployment(data['id']) if data['reread'] else updated) or updated
            result = unmark_deployment(result)
    return result
