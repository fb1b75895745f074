# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Software configs (immutable: a change is a new config, older versions deleted once unused), and what configs
and deployments (``deployment.py``) share: the create token and the create that survives a lost answer.

Configs follow the collection's shape: ``DesiredConfig.from_params`` once at the module's boundary,
``read_configs`` (the requests the plan needs), ``plan_config`` (pure: a ``Plan`` with the ``Difference`` and the
steps), then ``apply_config`` (the writes) or, in check mode, ``plan.predicted``.

Secrets: ``secret_input_defaults`` is a no_log option merged into ``inputs``; its values are always redacted in
the diff. Unless the user sets ``diff_secrets``, the diff also hides the config body and every input default
(``opaque``: a digest keyed for this run, so the diff still shows what changed).

Duplicates: Heat does not enforce unique names, so a create whose answer is lost (a connection reset, a read
timeout, a 5xx, a request the base stopped waiting for) may have made the object, and two runs at once may
each make one. So:

- **A token per create** (``cloudrise_create_token``): in a config's ``options``, in a deployment's
  ``input_values`` (Heat stores both as given; a deployment's input values never reach the server's
  metadata). It is taken out of everything read (``unmark_*``): no comparison, diff or result sees it.
- **A lost answer is looked up, not resent blindly** (``create_marked``): the object with our token is the one
  the lost request made. Only when none exists is the POST sent once more (same token); if that answer is lost
  too and nothing is found, the task fails saying nothing was created.
- **Twin configs converge on the oldest**: the current version of a name is the oldest of the newest versions
  that have the same content (``twin_group``), so that two runs that made the same config at once agree on it;
  the newer twins are superseded like older versions (deleted once no deployment uses them), and a deployment
  of a twin is not moved (same content).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import copy
import time
import uuid

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference, Plan, is_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    CloudModuleError, InvalidInput, ResourceFailed, write_may_have_happened as is_lost)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import opaque

INPUT_DEFAULTS = {'type': 'String'}
OUTPUT_DEFAULTS = {'error_output': False}
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


def settle(created, clock=None, sleep=None, deadline=None):
    """Wait (at most 1 s + SETTLE_MARGIN, and no longer than the task's ``deadline`` has left, on its sleep) until
    a listing can no longer miss a twin made in the same second as ``created``: its ``creation_time`` second has
    ended, plus SETTLE_MARGIN. ``clock`` is wall time (Heat's times are). Returns the seconds waited."""
    stamp = created.get('creation_time') or ''
    try:
        second = calendar.timegm(time.strptime(stamp[:19], '%Y-%m-%dT%H:%M:%S'))
    except ValueError:
        return 0.0
    wait = min(second + 1 + SETTLE_MARGIN - (clock or time.time)(), 1 + SETTLE_MARGIN)
    if deadline is not None:
        wait = min(wait, deadline.remaining())
    if wait > 0:
        (sleep or (deadline.sleep if deadline is not None else time.sleep))(wait)
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
        # check mode of state=absent: versions deployments use now, whose delete is predicted all the same
        self.assumed_unused = []

    def raise_if_refused(self):
        """For state=absent, fail when versions are still used by deployments (after deleting the unused ones)."""
        if self.desired.state == 'absent' and self.kept:
            raise CloudModuleError("Software config(s) named '%s' are used by deployments and cannot be deleted: "
                                   "%s. Delete those deployments first." % (self.desired.name, ', '.join(self.kept)),
                                   deleted_ids=self.deleted, kept_ids=self.kept, changed=self.changed)


def plan_config(current, desired, check_mode=False):
    """Software configs are immutable: identical -> nothing; different -> create a new one, delete the old.

    Names are not unique in Heat: the newest config with the name (the oldest of its twins) is the current
    one; the other versions (superseded) are deleted once no deployment uses them (Heat refuses to delete a
    config in use), so ``software_deployment`` can move its deployments to the new version first. No request.

    ``check_mode`` with state=absent: a version deployments use now is predicted deleted too (listed in
    ``assumed_unused``), as check mode cannot see an earlier task of the play delete those deployments (it only
    predicts that): a real run deletes it once they are gone and fails while they are not.
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
    in_use = current.in_use
    if check_mode and desired.state == 'absent':
        plan.assumed_unused = sorted(c['id'] for c in superseded if c['id'] in in_use)
        in_use = set()
    plan.deleted = sorted(c['id'] for c in superseded if c['id'] not in in_use)
    plan.kept = sorted(c['id'] for c in superseded if c['id'] in in_use)
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
