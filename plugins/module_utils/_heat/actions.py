# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cancelling a stack's create or update in progress (the ``stack`` module's ``cancel_update``): the pure
``plan_cancel`` and ``apply_cancel`` (Heat's ``cancel_update`` or ``cancel_without_rollback`` action, then the
wait until the stack settles). The stack module then goes on with its usual plan (``plan_stack``).

Heat cancels an update with rollback (``cancel_update``: the stack goes back to its previous template,
``ROLLBACK_COMPLETE``), and an update or a create without (``cancel_without_rollback``: ``UPDATE_FAILED`` or
``CREATE_FAILED``, "cancelled"). Any other status has nothing to cancel."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Plan
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, NotFound, ResourceFailed

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None


class CancelPlan(Plan):
    """One step at most: the Heat action (``cancel_update`` or ``cancel_without_rollback``). ``current``: the stack
    found (not waited for); ``predicted``: the stack as found (its status after the cancel is in the diff)."""

    def __init__(self, current):
        super(CancelPlan, self).__init__()
        self.current = current
        self.predicted = current


def plan_cancel(stack, desired):
    """What cancelling does to ``stack`` (as found, a dict or None) for ``desired`` (its ``rollback``). No request."""
    plan = CancelPlan(stack)
    if stack is None and desired.template is None:
        raise NotFound("Stack '%s' does not exist: there is no create or update to cancel" % desired.name)
    status = (stack or {}).get('stack_status')
    if status == 'CREATE_IN_PROGRESS' and desired.rollback:
        raise InvalidInput("Stack '%s' is CREATE_IN_PROGRESS: Heat cancels a create only without rollback "
                           "(rollback=false)" % desired.name)
    if status in ('UPDATE_IN_PROGRESS', 'CREATE_IN_PROGRESS'):
        after = 'ROLLBACK_COMPLETE' if desired.rollback else status.replace('_IN_PROGRESS', '_FAILED')
        plan.diff.add('cancel', status, after)
        plan.step('cancel_update' if desired.rollback else 'cancel_without_rollback')
    return plan


def apply_cancel(runner, plan):
    """Send the cancel and wait (``runner.wait``) until the stack settles. Returns ``(stack, cancelled)``;
    ``cancelled`` is False when the operation ended before the cancel reached Heat (Heat refused it then).
    A rollback that fails raises ResourceFailed with the failed resources."""
    stack, api = plan.current, runner.api
    action = plan.steps[0][0]
    try:
        api.stack_action(stack, action)
    except sdk_exceptions.BadRequestException:
        now = api.get_stack(stack, resolve_outputs=False)
        if now is not None and now.get('stack_status') == stack.get('stack_status'):
            raise
        return (api.get_stack(now) if now else None), False
    if not runner.wait:
        return api.get_stack(stack), True
    settled = runner.settle(stack)
    if settled is None:
        raise ResourceFailed("Stack '%s' disappeared (deleted by someone else?) while its %s was cancelled"
                             % (stack['stack_name'], stack.get('stack_status')), stack_id=stack['id'])
    if settled.get('stack_status') == 'ROLLBACK_FAILED':
        runner.raise_failure(settled)
    return settled, True
