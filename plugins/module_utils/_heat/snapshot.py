# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stack snapshots, by name: ``DesiredSnapshot``, ``read_snapshots`` (the stack and its snapshots of that name,
settled), the pure ``plan_snapshot`` (take one, delete them, restore the stack from one) and ``apply_snapshot``
(the writes and their waits, within the task's one ``Deadline``).

Heat keeps a snapshot's ``data``: the stack's template, environment and parameter values, hidden ones unmasked.
``snapshot_view`` (what the module returns and diffs) leaves it out.

Restored, idempotently: Heat records no snapshot id on a restored stack, so a stack counts as restored from a
snapshot when its status is ``RESTORE_COMPLETE`` and its stored template and environment equal the snapshot's
(hidden values compared masked, as Heat shows them)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Plan, is_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, InvalidInput, NotFound, ResourceFailed)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.runner import StackRunner
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.template import normalize_environment
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import wait_for

STATES = ('present', 'absent', 'restored')
SNAPSHOT_KEYS = ('id', 'name', 'status', 'status_reason', 'creation_time', 'action')
MASK = '******'


def snapshot_view(snapshot):
    """A snapshot without its ``data`` (which holds the stack's parameter values unmasked); None stays None."""
    if snapshot is None:
        return None
    return dict((k, snapshot.get(k)) for k in SNAPSHOT_KEYS)


def stack_view(stack):
    if stack is None:
        return None
    return dict(id=stack.get('id'), name=stack.get('stack_name'), status=stack.get('stack_status'),
                status_reason=stack.get('stack_status_reason'))


class DesiredSnapshot(object):
    """The snapshot named ``name`` of the stack ``stack`` (name or id), to be ``state``."""

    def __init__(self, stack, name, state='present'):
        self.stack, self.name, self.state = stack, name, state

    @classmethod
    def from_params(cls, params):
        for option in ('stack', 'name'):
            if not (params.get(option) or '').strip():
                raise InvalidInput('%s must not be empty' % option)
        state = params.get('state') or 'present'
        if state not in STATES:
            raise InvalidInput('state must be one of %s, got %s' % (', '.join(STATES), state))
        return cls(params['stack'], params['name'], state)


class CurrentSnapshots(object):
    """The stack (a dict), its snapshots named as desired (settled) and whether the stack is as restored from the
    one of them (see the module docstring)."""

    def __init__(self, stack, named, restored=False):
        self.stack, self.named, self.restored = stack, named, restored


def _masked_environment(env, hidden):
    env = normalize_environment(env)
    for section in ('parameters', 'parameter_defaults'):
        values = env.get(section)
        if isinstance(values, dict):
            env[section] = dict((k, MASK if k in hidden else v) for k, v in values.items())
    return env


def is_restored_from(stack, template, environment, snapshot):
    """Whether ``stack`` (status ``RESTORE_COMPLETE``, stored ``template`` and ``environment``) is as ``snapshot``."""
    data = (snapshot or {}).get('data') or {}
    if stack.get('stack_status') != 'RESTORE_COMPLETE' or not data:
        return False
    hidden = set(k for k, v in ((environment or {}).get('parameters') or {}).items() if v == MASK)
    return (is_equal(data.get('template'), template, 'dict')
            and is_equal(_masked_environment(data.get('environment'), hidden),
                         _masked_environment(environment, hidden), 'dict'))


def read_snapshots(api, deadline, desired):
    """The stack and its snapshots named ``desired.name``: a stack or snapshot in progress is waited for."""
    runner = StackRunner(api, deadline)
    stack = api.find_stack(desired.stack, resolve_outputs=False)
    if stack is not None:
        stack = runner.settle(stack)
    if stack is None:
        raise NotFound("Stack '%s' not found" % desired.stack)
    named = [s for s in api.stack_snapshots(stack) if s.get('name') == desired.name]
    named = [s for s in (_settle_snapshot(api, deadline, stack, s) for s in named) if s is not None]
    restored = False
    if desired.state == 'restored' and len(named) == 1 and stack.get('stack_status') == 'RESTORE_COMPLETE':
        restored = is_restored_from(stack, api.get_template(stack), api.get_environment(stack), named[0])
    return CurrentSnapshots(stack, named, restored)


def _settle_snapshot(api, deadline, stack, snapshot):
    if snapshot.get('status') != 'IN_PROGRESS':
        return snapshot
    what = "snapshot '%s' of stack '%s' (found %s %s) to settle" % (
        snapshot.get('name'), stack['stack_name'], snapshot.get('action'), snapshot.get('status'))
    return wait_for(lambda: api.get_snapshot(stack, snapshot['id']),
                    lambda obj: obj is None or obj.get('status') != 'IN_PROGRESS', None, deadline, what,
                    describe=lambda obj: obj.get('status') if obj else 'gone')


class SnapshotPlan(Plan):
    """Steps: ``create``, ``delete`` (``ids``), ``restore`` (``id``). ``predicted``: the snapshot after the apply."""

    def __init__(self, desired, current):
        super(SnapshotPlan, self).__init__()
        self.desired, self.current = desired, current


def plan_snapshot(current, desired):
    """The plan that brings the snapshots of ``current`` (CurrentSnapshots) to ``desired``. No request."""
    plan = SnapshotPlan(desired, current)
    stack, named = current.stack, current.named
    if desired.state == 'absent':
        if named:
            plan.diff.add('snapshot', [snapshot_view(s) for s in named], None)
            plan.step('delete', ids=[s['id'] for s in named])
        return plan
    if len(named) > 1:
        raise Ambiguous("snapshot of stack '%s'" % stack['stack_name'], desired.name, named)
    snapshot = named[0] if named else None
    if snapshot is not None and snapshot.get('status') == 'FAILED':
        raise ResourceFailed("Snapshot '%s' of stack '%s' is FAILED: %s. Delete it (state=absent) to take it again"
                             % (desired.name, stack['stack_name'], snapshot.get('status_reason') or 'no reason given'),
                             snapshot=snapshot_view(snapshot))
    plan.predicted = snapshot_view(snapshot)
    if desired.state == 'present':
        if snapshot is None:
            plan.diff.add('snapshot', None, dict(name=desired.name))
            plan.step('create')
            plan.predicted = dict((k, None) for k in SNAPSHOT_KEYS)
            plan.predicted['name'] = desired.name
        return plan
    if snapshot is None:
        raise NotFound("Stack '%s' has no snapshot named '%s' to restore" % (stack['stack_name'], desired.name))
    if not current.restored:
        plan.diff.add('status', stack.get('stack_status'), 'RESTORE_COMPLETE')
        plan.diff.add('restored_from', None, desired.name)
        plan.step('restore', id=snapshot['id'])
    return plan


def apply_snapshot(api, deadline, plan, wait=True):
    """Carry out the plan's steps; returns (the snapshot, the stack) after them."""
    stack, desired = plan.current.stack, plan.desired
    runner = StackRunner(api, deadline, wait=wait)
    snapshot = plan.predicted
    for step, data in plan.steps:
        if step == 'create':
            created = api.create_snapshot(stack, desired.name)
            snapshot = _wait_created(api, deadline, stack, created) if wait else created
            if wait:
                stack = runner.settle(api.get_stack(stack, resolve_outputs=False) or stack)
        elif step == 'delete':
            for snapshot_id in data['ids']:
                api.delete_snapshot(stack, snapshot_id)
            if wait:
                for snapshot_id in data['ids']:
                    _wait_deleted(api, deadline, stack, desired.name, snapshot_id)
            snapshot = None
        elif step == 'restore':
            api.restore_snapshot(stack, data['id'])
            if wait:  # Heat answers once the stack is RESTORE_IN_PROGRESS: no earlier status to ignore
                stack = runner.wait_for_action(stack, 'RESTORE')
            else:
                stack = api.get_stack(stack, resolve_outputs=False)
    return snapshot_view(snapshot), stack


def _snapshot_failed(obj):
    return obj is not None and obj.get('status') == 'FAILED' and (obj.get('status_reason') or 'FAILED')


def _wait_deleted(api, deadline, stack, name, snapshot_id):
    wait_for(lambda: api.get_snapshot(stack, snapshot_id), lambda obj: obj is None, _snapshot_failed, deadline,
             "snapshot '%s' (%s) of stack '%s' to be deleted" % (name, snapshot_id, stack['stack_name']),
             describe=lambda obj: obj.get('status') if obj else 'gone')


def _wait_created(api, deadline, stack, created):
    what = "snapshot '%s' of stack '%s' to be COMPLETE" % (created.get('name'), stack['stack_name'])
    try:
        return wait_for(lambda: api.get_snapshot(stack, created['id']),
                        lambda obj: obj is not None and obj.get('status') == 'COMPLETE',
                        lambda obj: 'gone' if obj is None else _snapshot_failed(obj), deadline, what,
                        describe=lambda obj: obj.get('status') if obj else 'gone')
    except ResourceFailed as exc:
        found = api.get_snapshot(stack, created['id'])
        reason = (found or {}).get('status_reason') or exc.msg
        raise ResourceFailed("Snapshot '%s' of stack '%s' failed: %s (the failed snapshot is kept; delete it with "
                             "state=absent)" % (created.get('name'), stack['stack_name'], reason),
                             snapshot=snapshot_view(found))
