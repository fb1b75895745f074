"""The stack lifecycle actions (issue 13): state=checked, cancel_update, snapshots, timeout_mins, with the fake Heat
of test_heat.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from openstack import exceptions as sdk_exceptions

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, InvalidInput, NotFound, ResourceFailed)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import actions as heat_actions
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import snapshot as heat_snapshot
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import stack as heat_stack

from test_heat import HOT, FakeHeat, desired, make_runner, run_stack


class CheckingHeat(FakeHeat):
    """Heat whose check finds ``drifted`` resources failed (CHECK_IN_PROGRESS before it answers, as Heat does)."""

    def __init__(self, drifted=(), **kwargs):
        super(CheckingHeat, self).__init__(**kwargs)
        self.drifted = list(drifted)

    def stack_action(self, stack, action):
        if action != 'check':
            return super(CheckingHeat, self).stack_action(stack, action)
        self._record('action', action)
        stored = self.stacks[stack['stack_name']]
        self._start(stored, 'CHECK')
        self.fail_action = 'CHECK' if self.drifted else None

    def resources(self, stack, nested_depth=0):
        stored = self.stacks.get(stack['stack_name'])
        if stored and stored.get('stack_status') == 'CHECK_FAILED':
            return [{'resource_name': n, 'resource_type': 'OS::Heat::Stack', 'resource_status': 'CHECK_FAILED',
                     'resource_status_reason': 'The Stack (%s) could not be found.' % n} for n in self.drifted]
        return []


def checked(**kwargs):
    return heat_stack.DesiredStack('s', state='checked', **kwargs)


def run_module(api, clock, want, check_mode=False, **kwargs):
    """As the stack module: the check runs on every real run, changed or not."""
    runner = make_runner(api, clock, **kwargs)
    plan = heat_stack.plan_stack(runner.read(want), want)
    if plan.has('check') and not check_mode or plan.changed and not check_mode:
        return plan.diff, runner.apply(plan)
    return plan.diff, plan.predicted


# -- state=checked ------------------------------------------------------------------------------------------
def test_checked_four_steps_and_the_check_runs_every_real_run(clock):
    api = CheckingHeat()
    run_stack(api, clock, desired())
    api.calls = []
    diff, stack = run_module(api, clock, checked(), check_mode=True)
    assert diff.changed and diff.diff() == {'before': {'status': 'CREATE_COMPLETE'}, 'after': {'status': 'CHECK_COMPLETE'}}
    assert api.writes == [] and stack['stack_status'] == 'CREATE_COMPLETE'
    diff, stack = run_module(api, clock, checked())
    assert diff.changed and stack['stack_status'] == 'CHECK_COMPLETE' and api.writes == [('action', 'check')]
    diff, stack = run_module(api, clock, checked(), check_mode=True)
    assert not diff.changed and len(api.writes) == 1
    diff, stack = run_module(api, clock, checked())
    assert not diff.changed and api.writes == [('action', 'check')] * 2  # checked again, nothing changed


def test_checked_with_a_template_converges_first_then_checks(clock):
    api = CheckingHeat()
    diff, stack = run_module(api, clock, desired(state='checked'))
    assert [c[1] if c[0] == 'action' else c[0] for c in api.writes] == ['create', 'check']
    assert stack['stack_status'] == 'CHECK_COMPLETE' and diff.diff()['after']['state'] == 'checked'
    api.calls = []
    diff, stack = run_module(api, clock, desired(state='checked', parameters={'p': 'new'}))
    assert [c[1] if c[0] == 'action' else c[0] for c in api.writes] == ['update', 'check']
    assert diff.diff()['after']['status'] == 'CHECK_COMPLETE' and 'parameters' in diff.diff()['after']


def test_a_check_that_fails_names_the_failed_resources(clock):
    api = CheckingHeat(drifted=['child'])
    run_stack(api, clock, desired())
    with pytest.raises(ResourceFailed) as failed:
        run_module(api, clock, checked())
    assert failed.value.msg == ("Stack 's' is CHECK_FAILED: Resource CHECK failed: boom. Failed resources: child "
                                "(OS::Heat::Stack): The Stack (child) could not be found.")
    assert failed.value.details['failed_resources'] == [
        {'name': 'child', 'type': 'OS::Heat::Stack', 'reason': 'The Stack (child) could not be found.'}]
    # a failed stack is checked again as it is (no template needed), and fails again at once
    with pytest.raises(ResourceFailed, match='CHECK_FAILED'):
        run_module(api, clock, checked())
    assert clock.now < 10
    api.drifted = []
    diff, stack = run_module(api, clock, checked())
    assert diff.diff() == {'before': {'status': 'CHECK_FAILED'}, 'after': {'status': 'CHECK_COMPLETE'}}


def test_a_suspended_stack_is_checked_as_it_is_without_a_template(clock):
    api = CheckingHeat()
    run_stack(api, clock, desired())
    run_stack(api, clock, heat_stack.DesiredStack('s', state='suspended'))
    diff, stack = run_module(api, clock, checked())
    assert [c[1] for c in api.writes if c[0] == 'action'] == ['suspend', 'check']


def test_checking_a_missing_stack_without_template_is_not_found(clock):
    with pytest.raises(NotFound, match="Stack 's' does not exist and no template"):
        run_module(CheckingHeat(), clock, checked())


# -- cancel_update ------------------------------------------------------------------------------------------
class CancellingHeat(FakeHeat):
    def stack_action(self, stack, action):
        if not action.startswith('cancel'):
            return super(CancellingHeat, self).stack_action(stack, action)
        self._record('action', action)
        stored = self.stacks[stack['stack_name']]
        if stored['stack_status'] not in ('UPDATE_IN_PROGRESS', 'CREATE_IN_PROGRESS'):
            raise sdk_exceptions.BadRequestException('Cancelling update when stack is %s' % stored['stack_status'])
        stored.pop('_pending', None)
        if action == 'cancel_update':
            self._start(stored, 'ROLLBACK')
        else:
            stored['stack_status'] = stored['stack_status'].replace('IN_PROGRESS', 'FAILED')
            stored['stack_status_reason'] = 'Stack UPDATE cancelled'


def updating(clock):
    api = CancellingHeat(steps=50)
    api.steps = 0
    run_stack(api, clock, desired())
    api.steps = 50
    run_stack(api, clock, desired(parameters={'p': 'slow'}), wait=False)
    assert api.stacks['s']['stack_status'] == 'UPDATE_IN_PROGRESS'
    api.steps, api.calls = 0, []
    return api


@pytest.mark.parametrize('rollback, action, after', [
    (True, 'cancel_update', 'ROLLBACK_COMPLETE'),
    (False, 'cancel_without_rollback', 'UPDATE_FAILED'),
])
def test_cancel_an_update_four_steps(clock, rollback, action, after):
    api = updating(clock)
    want = heat_stack.DesiredStack('s', rollback=rollback, cancel_update=True)
    plan = heat_actions.plan_cancel(api.find_stack('s'), want)
    assert plan.diff.diff() == {'before': {'cancel': 'UPDATE_IN_PROGRESS'}, 'after': {'cancel': after}}
    assert [s for s, d in plan.steps] == [action] and api.writes == []
    stack, cancelled = heat_actions.apply_cancel(make_runner(api, clock), plan)
    assert cancelled and stack['stack_status'] == after and api.writes == [('action', action)]
    plan = heat_actions.plan_cancel(api.find_stack('s'), want)
    assert not plan.changed and plan.steps == []


def test_cancel_a_create_only_without_rollback(clock):
    api = CancellingHeat(steps=50)
    run_stack(api, clock, desired(), wait=False)
    with pytest.raises(InvalidInput, match=r"CREATE_IN_PROGRESS: Heat cancels a create only without rollback"):
        heat_actions.plan_cancel(api.find_stack('s'), heat_stack.DesiredStack('s', rollback=True, cancel_update=True))
    plan = heat_actions.plan_cancel(api.find_stack('s'), heat_stack.DesiredStack('s', cancel_update=True))
    stack, cancelled = heat_actions.apply_cancel(make_runner(api, clock), plan)
    assert cancelled and stack['stack_status'] == 'CREATE_FAILED'


def test_an_update_that_ends_before_the_cancel_reaches_heat_is_no_cancel(clock):
    api = updating(clock)
    plan = heat_actions.plan_cancel(api.find_stack('s'), heat_stack.DesiredStack('s', cancel_update=True))
    api.stacks['s']['_pending'] = ('UPDATE', 0)
    api.get_stack(api.stacks['s'])  # the update finishes meanwhile
    assert api.stacks['s']['stack_status'] == 'UPDATE_COMPLETE'
    stack, cancelled = heat_actions.apply_cancel(make_runner(api, clock), plan)
    assert not cancelled and stack['stack_status'] == 'UPDATE_COMPLETE'


def test_cancel_inputs():
    with pytest.raises(NotFound, match="Stack 's' does not exist: there is no create or update to cancel"):
        heat_actions.plan_cancel(None, heat_stack.DesiredStack('s', cancel_update=True))
    assert not heat_actions.plan_cancel(None, desired(cancel_update=True)).changed  # the template creates it
    with pytest.raises(InvalidInput, match='cancel_update has no use with state=absent'):
        heat_stack.DesiredStack.from_params(dict(name='s', state='absent', cancel_update=True))
    with pytest.raises(InvalidInput, match='state is present but any of the following are missing'):
        heat_stack.DesiredStack.from_params(dict(name='s', state='present', cancel_update=False))
    want = heat_stack.DesiredStack.from_params(dict(name='s', state='present', cancel_update=True))
    assert want.cancel_update and want.template is None


# -- timeout -> timeout_mins --------------------------------------------------------------------------------
@pytest.mark.parametrize('timeout, minutes', [(30, 1), (60, 1), (90, 2), (119, 2), (120, 2), (3600, 60)])
def test_timeout_is_sent_rounded_up(timeout, minutes):
    """Rounded up (openstack.cloud's timeout // 60 would send 0, 1, 1, 1, 2, 60): Heat never stops first."""
    assert heat_stack.DesiredStack('s', template=HOT, timeout=timeout).body()['timeout_mins'] == minutes


# -- snapshots ----------------------------------------------------------------------------------------------
class SnapshotHeat(FakeHeat):
    def __init__(self, **kwargs):
        super(SnapshotHeat, self).__init__(**kwargs)
        self.snapshots = []

    def stack_snapshots(self, stack):
        self._record('snapshots', stack['stack_name'])
        return [dict(s) for s in self.snapshots]

    def create_snapshot(self, stack, name):
        self._record('create_snapshot', name)
        stored = self.stacks[stack['stack_name']]
        snap = dict(id='snap-%d' % (len(self.snapshots) + 1), name=name, status='IN_PROGRESS', action='CREATE',
                    status_reason=None, creation_time='t',
                    data={'template': stored['_template'], 'environment': {'parameters': dict(stored['_parameters'])},
                          'secret': 'unmasked'})
        self.snapshots.append(snap)
        return dict(snap)

    def get_snapshot(self, stack, snapshot_id):
        for snap in self.snapshots:
            if snap['id'] == snapshot_id:
                snap['status'] = 'COMPLETE' if snap['status'] == 'IN_PROGRESS' else snap['status']
                return dict(snap)
        return None

    def delete_snapshot(self, stack, snapshot_id):
        self._record('delete_snapshot', snapshot_id)
        self.snapshots = [s for s in self.snapshots if s['id'] != snapshot_id]

    def restore_snapshot(self, stack, snapshot_id):
        self._record('restore_snapshot', snapshot_id)
        snap = self.get_snapshot(stack, snapshot_id)
        stored = self.stacks[stack['stack_name']]
        stored.update(_template=snap['data']['template'], _parameters=snap['data']['environment']['parameters'],
                      _environment={})
        self._start(stored, 'RESTORE')

    @property
    def writes(self):
        return [c for c in self.calls if c[0] in ('create_snapshot', 'delete_snapshot', 'restore_snapshot')]


def snap(api, clock, state='present', name='before', check_mode=False):
    want = heat_snapshot.DesiredSnapshot.from_params(dict(stack='s', name=name, state=state))
    deadline = clock.deadline(60)
    plan = heat_snapshot.plan_snapshot(heat_snapshot.read_snapshots(api, deadline, want), want)
    if plan.changed and not check_mode:
        snapshot, stack = heat_snapshot.apply_snapshot(api, deadline, plan)
    else:
        snapshot, stack = plan.predicted, plan.current.stack
    return plan.diff, snapshot, stack


def test_snapshot_take_restore_delete_in_four_steps(clock):
    api = SnapshotHeat()
    run_stack(api, clock, desired(parameters={'p': 'v1'}))
    for check_mode, changed, writes in ((True, True, 0), (False, True, 1), (True, False, 1), (False, False, 1)):
        diff, snapshot, stack = snap(api, clock, check_mode=check_mode)
        assert diff.changed == changed and len(api.writes) == writes and snapshot['name'] == 'before'
        assert 'data' not in snapshot
    assert snapshot['status'] == 'COMPLETE' and snapshot['id'] == 'snap-1'
    run_stack(api, clock, desired(parameters={'p': 'v2'}))
    api.calls = []
    for check_mode, changed, writes in ((True, True, 0), (False, True, 1), (True, False, 1), (False, False, 1)):
        diff, snapshot, stack = snap(api, clock, 'restored', check_mode=check_mode)
        assert diff.changed == changed and len(api.writes) == writes
    assert stack['stack_status'] == 'RESTORE_COMPLETE' and api.stacks['s']['_parameters'] == {'p': 'v1'}
    api.calls = []
    for check_mode, changed, writes in ((True, True, 0), (False, True, 1), (True, False, 1), (False, False, 1)):
        diff, snapshot, stack = snap(api, clock, 'absent', check_mode=check_mode)
        assert diff.changed == changed and len(api.writes) == writes and snapshot is None
    assert api.snapshots == []


def test_restored_means_restore_complete_with_the_snapshots_template_and_environment():
    snapshot = {'data': {'template': HOT, 'environment': {'parameters': {'p': 'v1', 'pw': 'unmasked'}}}}
    stack = {'stack_status': 'RESTORE_COMPLETE'}
    env = {'parameters': {'p': 'v1', 'pw': '******'}, 'encrypted_param_names': []}
    assert heat_snapshot.is_restored_from(stack, HOT, env, snapshot)
    assert not heat_snapshot.is_restored_from({'stack_status': 'UPDATE_COMPLETE'}, HOT, env, snapshot)
    assert not heat_snapshot.is_restored_from(stack, HOT, {'parameters': {'p': 'v2', 'pw': '******'}}, snapshot)
    assert not heat_snapshot.is_restored_from(stack, dict(HOT, description='x'), env, snapshot)


def test_snapshot_inputs_and_ambiguity(clock):
    api = SnapshotHeat()
    run_stack(api, clock, desired())
    with pytest.raises(NotFound, match="Stack 's' has no snapshot named 'before' to restore"):
        snap(api, clock, 'restored')
    with pytest.raises(NotFound, match="Stack 'other' not found"):
        heat_snapshot.read_snapshots(api, clock.deadline(5), heat_snapshot.DesiredSnapshot('other', 'x'))
    with pytest.raises(InvalidInput, match='name must not be empty'):
        heat_snapshot.DesiredSnapshot.from_params(dict(stack='s', name=' '))
    stack = api.find_stack('s')
    api.create_snapshot(stack, 'twin')
    api.create_snapshot(stack, 'twin')
    with pytest.raises(Ambiguous, match="More than one snapshot of stack 's' is named 'twin'"):
        snap(api, clock, 'restored', name='twin')
    diff, snapshot, stack = snap(api, clock, 'absent', name='twin')
    assert diff.changed and api.snapshots == []


def test_a_failed_snapshot_is_reported_not_taken_again(clock):
    api = SnapshotHeat()
    run_stack(api, clock, desired())
    api.snapshots.append(dict(id='f', name='before', status='FAILED', status_reason='quota', action='CREATE'))
    with pytest.raises(ResourceFailed, match="Snapshot 'before' of stack 's' is FAILED: quota. Delete it"):
        snap(api, clock)
    assert api.writes == []
