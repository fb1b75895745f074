# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Software deployments (a config deployed to a server): desired, read, plan, apply.

The collection's shape: ``DesiredDeployment.from_params`` once at the module's boundary, ``read_deployment``
(the requests the plan needs), ``plan_deployment`` (pure: a ``Plan`` with the ``Difference`` and the steps), then
``apply_deployment`` (the writes) or, in check mode, ``plan.predicted``.

Secrets: ``secret_input_values`` is a no_log option merged into ``input_values``; its values are always redacted
in the diff. Unless the user sets ``diff_secrets``, the diff also hides every input value (``opaque``: a digest
keyed for this run, so the diff still shows what changed).

Duplicates (see ``software.py`` for the create token and the twin configs): **one deployment per config and
server**. After its create, a run that finds an older deployment of the config on the server (another run's,
made at the same moment) deletes its own and keeps the older one. A re-run that finds several keeps the oldest
and deletes the others when each carries a token (made by this collection; ``duplicates_removed`` in the diff);
a deployment without a token keeps the name ambiguous.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Plan, is_equal, looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, InvalidInput, NotFound, ResourceFailed, WaitTimeout)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.software import (
    age, create_marked, deployment_token, find_configs, settle, twin_group, unmark_deployment)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import merge_secret, opaque
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import wait_for

DEPLOYMENT_FIELDS = ('action', 'status', 'status_reason', 'input_values')
FINAL_STATUSES = ('COMPLETE', 'FAILED')
# the most of an agent's deploy_stderr a failure message quotes (its end); output_values has all of it
STDERR_SHOWN = 2000
NO_SIGNAL_HINT = ('. Nothing signalled it: the agent on the server (or anything with the credentials of a member '
                  'of the project) ends it by a PUT of its status and output_values to /software_deployments/<id>, '
                  'or through Swift or Zaqar when its config carries the signal inputs.')


class DesiredDeployment(object):
    """A deployment of ``config`` (a name or an id) to ``server_id``; ``wanted`` holds the fields the user set
    (``input_values`` with the secret input values and the signal transport folded in); ``secret_inputs`` the
    names that came from secret_input_values; ``wait``: an agent runs the deployment and the task waits for
    its signal (see ``plan_deployment`` and ``await_deployment``)."""

    def __init__(self, config, server_id, state='present', action=None, status=None, status_reason=None,
                 input_values=None, signal_transport=None, secret_inputs=None, diff_secrets=False, wait=False):
        self.config, self.server_id, self.state = config, server_id, state
        if signal_transport:
            input_values = dict(input_values or {}, deploy_signal_transport=signal_transport)
        self.wanted = dict(action=action, status=status, status_reason=status_reason, input_values=input_values)
        self.secret_inputs = set(secret_inputs or ())
        self.diff_secrets = diff_secrets
        self.wait = wait
        if wait and state == 'present' and status == 'FAILED':
            raise InvalidInput('status=FAILED with wait=true would always fail the task: wait=true waits for the '
                               'deployment to be COMPLETE. Set wait=false to record a failed deployment.')

    def describe(self, deployment_id=None):
        """``software deployment <id> (config <config> on server <server>)``, for the messages."""
        return 'software deployment %s(config %s on server %s)' % (
            '%s ' % deployment_id if deployment_id else '', self.config, self.server_id)

    @classmethod
    def from_params(cls, params):
        input_values, secret = params.get('input_values'), params.get('secret_input_values')
        if secret:
            input_values, secret = merge_secret(input_values, secret, 'input_values', 'secret_input_values')
        return cls(params['config'], params['server_id'], params.get('state') or 'present', params.get('action'),
                   params.get('status'), params.get('status_reason'), input_values,
                   params.get('signal_transport'), secret, bool(params.get('diff_secrets')), bool(params.get('wait')))

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
    (unless it uses a twin of it: same content). No request.

    With ``desired.wait``, a change of the config or of the input values is a new run for the server's agent: the
    deployment goes to IN_PROGRESS with the action UPDATE (unless the task sets them), as Heat's
    ``OS::Heat::SoftwareDeployment`` does, so the agent runs it again and the task waits for its signal.
    """
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
    if desired.wait and not (config_id == found.get('config_id')
                             and is_equal(wanted['input_values'], found.get('input_values'), 'dict')):
        # a new run for the agent, as OS::Heat::SoftwareDeployment starts one on an update
        wanted = dict(wanted, action=wanted['action'] or 'UPDATE', status=wanted['status'] or 'IN_PROGRESS')
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


def create_deployment(api, body, config_ids, deadline=None):
    """Create a deployment that survives a lost answer; then, when another run made one of the config on the
    server first (at the same moment), delete ours and return ``(theirs, True)``; else ``(ours, False)``.
    Only deployments with this task's token are ever deleted here."""
    server_id = body['server_id']

    def find(token):
        return next((d for d in find_deployments(api, config_ids, server_id) if deployment_token(d) == token), None)

    created = create_marked(api.create_deployment, find, body, 'input_values', 'software deployment',
                            'config %s on server %s' % (body['config_id'], server_id))
    token = deployment_token(created)
    settle(created, deadline=deadline)
    found = find_deployments(api, config_ids, server_id)
    if created['id'] not in set(d['id'] for d in found):
        found.append(created)
    keeper = sorted(found, key=age)[0]
    for deployment in found:
        if deployment['id'] != keeper['id'] and deployment_token(deployment) == token:
            api.delete_deployment(deployment['id'])
    return unmark_deployment(keeper), keeper['id'] != created['id']


def apply_deployment(api, plan, deadline=None):
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
            result, adopted = create_deployment(api, data['body'], config_ids, deadline)
            if adopted:  # another run's: bring it to what this task asks for
                again = plan_deployment(CurrentDeployment(config_id or data['body']['config_id'], result, None,
                                                          config_ids, twin_ids or None), plan.desired)
                if again.changed:
                    result = apply_deployment(api, again, deadline)
        else:
            updated = api.update_deployment(data['id'], data['body'])
            result = (api.get_deployment(data['id']) if data['reread'] else updated) or updated
            result = unmark_deployment(result)
    return result


# -- waiting for the agent's signal -------------------------------------------------------------------------

def failure_message(deployment):
    """Why a FAILED deployment failed: its status_reason, and the agent's deploy_status_code and deploy_stderr
    (its last STDERR_SHOWN characters)."""
    outputs = deployment.get('output_values') or {}
    parts = [deployment.get('status_reason') or 'no status_reason']
    if outputs.get('deploy_status_code') not in (None, ''):
        parts.append('deploy_status_code: %s' % outputs['deploy_status_code'])
    stderr = str(outputs.get('deploy_stderr') or '').strip()
    if stderr:
        parts.append('deploy_stderr: %s' % (stderr if len(stderr) <= STDERR_SHOWN else '...' + stderr[-STDERR_SHOWN:]))
    return '; '.join(parts)


def raise_if_failed(deployment, what, **details):
    """ResourceFailed when the deployment is FAILED, with its status_reason, output_values and the deployment."""
    if deployment.get('status') != 'FAILED':
        return
    raise ResourceFailed('%s failed: %s' % (what, failure_message(deployment)), id=deployment.get('id'),
                         status='FAILED', status_reason=deployment.get('status_reason'),
                         output_values=deployment.get('output_values') or {}, software_deployment=deployment, **details)


def wait_for_signal(api, deployment, deadline, what, changed=False):
    """Poll the deployment by id (the read on which Heat also collects a TEMP_URL_SIGNAL or ZAQAR_SIGNAL agent's
    signal) until it is COMPLETE or FAILED, within ``deadline``. Returns it COMPLETE; a FAILED one, a deployment
    deleted meanwhile or the deadline raise, with ``changed`` (whether this task wrote) in the failed result."""
    last = [deployment]

    def fetch():
        found = api.get_deployment(deployment['id'])
        if found is None:
            raise ResourceFailed('%s disappeared (deleted by someone else?) while waiting for its signal' % what,
                                 id=deployment['id'], changed=changed)
        last[0] = unmark_deployment(found)
        return last[0]

    if deployment.get('status') in FINAL_STATUSES:
        found = deployment
    else:
        try:
            found = wait_for(fetch, lambda d: d.get('status') in FINAL_STATUSES, deadline=deadline, what=what,
                             describe=lambda d: d.get('status'))
        except WaitTimeout as exc:
            raise WaitTimeout(exc.msg + NO_SIGNAL_HINT, id=deployment['id'], software_deployment=last[0],
                              changed=changed, **exc.details)
    raise_if_failed(found, what, changed=changed)
    return found


def await_deployment(api, plan, deployment, deadline, check_mode=False):
    """The deployment at the end of the task. Without ``wait`` (or absent): as it is. With ``wait``: once the
    agent signalled (``wait_for_signal``). Check mode does not wait; it fails as the run would when the
    deployment is FAILED and the task changes nothing."""
    if not plan.desired.wait or deployment is None:
        return deployment
    what = plan.desired.describe(deployment.get('id'))
    if check_mode:
        if not plan.changed:
            raise_if_failed(deployment, what, changed=False)
        return deployment
    return wait_for_signal(api, deployment, deadline, what, changed=plan.changed)


# -- software_deployment_info ---------------------------------------------------------------------------

def deployment_info(api, server_id=None, config=None, deployment_id=None, status=None):
    """The deployments (Heat's own fields, the create token taken out, plus ``config_name``) matching every
    filter given, as a list (empty when nothing matches). ``server_id`` is filtered by Heat; ``config`` (a
    name, every version of it, or an id) and ``status`` here. ``deployment_id`` reads that one by id."""
    if deployment_id:
        found = api.get_deployment(deployment_id)
        deployments = [found] if found is not None else []
    else:
        deployments = api.list_deployments(server_id)
    deployments = [d for d in deployments if (not server_id or d.get('server_id') == server_id)
                   and (not status or d.get('status') == status)]
    if not deployments:
        return []
    names = dict((c['id'], c.get('name')) for c in api.list_configs())
    if config:
        deployments = [d for d in deployments if config in (d.get('config_id'), names.get(d.get('config_id')))]
    return [dict(unmark_deployment(d), config_name=names.get(d.get('config_id'))) for d in deployments]
