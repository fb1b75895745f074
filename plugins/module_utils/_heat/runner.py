# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``StackRunner``: reads one stack, previews a ``StackPlan`` (check and diff mode) and applies it: the writes,
the waits (all within the task's one ``Deadline``) and the clean-up of a stack that failed being created."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import CloudModuleError, InvalidInput, ResourceFailed, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import sdk_error_text
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import (
    CurrentStack, failure_details, failure_message, is_failed_status, is_in_progress, parse_create_preview,
    parse_update_preview)
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Deadline, wait_for

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

CLEANUP_TIMEOUT = 300


class StackTaken(Exception):
    """Another run created the stack meanwhile: the create got 409, or Heat (whose name check is not atomic)
    made both and the other's is older (this task's own was deleted). ``stack``: the other run's stack. The
    module then reads it and goes on as for an existing stack (it never cleans up a stack it did not create)."""

    def __init__(self, stack):
        super(StackTaken, self).__init__(stack.get('stack_name'))
        self.stack = stack


class StackRunner(object):
    """Reads, previews and applies for one task: ``api`` a HeatApi, ``deadline`` the task's ``_wait.Deadline``.

    ``wait`` false returns after each write without waiting (a delete that frees the name for a recreate
    still waits); ``keep_failed`` keeps a stack that failed while this task created it; ``rollback`` lets
    Heat roll back a failed create or update (the wait goes on until the rollback ends).
    """

    def __init__(self, api, deadline, wait=True, keep_failed=False, rollback=False):
        self.api = api
        self.deadline = deadline
        self.wait = wait
        self.keep_failed = keep_failed
        self.rollback = rollback

    # -- reading, previews, applying a plan ---------------------------------------------------------------
    def read(self, desired, found=None):
        """The stack as the plan needs it (a CurrentStack), or None; a stack found in progress is waited for.
        ``found``: a stack (``stack_name``, ``id``) to read by its id instead of looking the name up.

        For ``state=absent`` only a stack being deleted is waited for. The stored template, environment and
        files are read when a template is given and the stack is not to be recreated.
        """
        if desired.state == 'absent':
            stack = self.api.find_stack(desired.name, resolve_outputs=False)
            if stack is not None and stack.get('stack_status') == 'DELETE_IN_PROGRESS':
                stack = self.settle(stack)
            return None if stack is None else CurrentStack(stack)
        stack = self.api.find_stack(desired.name) if found is None else self.api.get_stack(found)
        if stack is not None:
            stack = self.settle(stack)
        if stack is None:
            return None
        if desired.template is None or (desired.recreate_failed and is_failed_status(stack.get('stack_status'))):
            return CurrentStack(stack)
        template = self.api.get_template(stack)
        environment = self.api.get_environment(stack)
        files = self.api.get_files(stack) if desired.files else None
        return CurrentStack(stack, template, environment, files)

    def add_previews(self, plan, check_mode=False, diff_mode=False):
        """Ask Heat what the plan would do: the create preview in check mode (none when a stack still holds the
        name), the update preview in check or diff mode. Adds them to the plan's diff, ``extra`` and ``predicted``."""
        desired = plan.desired
        if plan.preview == 'create' and check_mode:
            preview = {} if plan.has('delete') else self.preview_create(desired)
            resources = parse_create_preview(preview)
            plan.extra['preview'] = dict(resources=resources)
            if diff_mode:
                plan.diff.add('preview', None, dict(resources=resources))
            plan.predict_create(preview)
        elif plan.preview == 'update' and (check_mode or diff_mode):
            changes = self.preview_update(plan.current, desired)
            plan.extra['resource_changes'] = changes
            plan.diff.add('resource_changes', None, dict((k, v) for k, v in changes.items() if k != 'unchanged'))
        return plan

    def apply(self, plan):
        """Carry out the plan's steps in order; returns the stack (None after a delete)."""
        desired, stack = plan.desired, plan.current
        if desired.state == 'absent':
            self.delete(stack)
            return None
        if plan.has('delete'):
            self.delete(stack, free_name=True)
        if plan.has('create'):
            stack = self.create(desired)
            if plan.has('suspend') and stack is not None and self.wait:
                stack = self.action(stack, 'SUSPEND')
            if plan.has('check') and stack is not None and self.wait:
                stack = self.check(stack)
            return stack
        if plan.has('resume'):
            stack = self.action(stack, 'RESUME')
        if plan.has('update'):
            stack = self.update(stack, desired)
        if plan.has('suspend') and stack.get('stack_status') != 'SUSPEND_COMPLETE':
            stack = self.action(stack, 'SUSPEND')
        if plan.has('check') and (self.wait or not (plan.has('resume') or plan.has('update'))):
            stack = self.check(stack)  # without wait, a stack still being updated cannot be checked
        return stack

    # -- waiting ----------------------------------------------------------------------------------------
    def wait_for_action(self, stack, action, prior_status=None, deadline=None, free_name=False):
        """Wait until the stack reaches ``<action>_COMPLETE``; raise ResourceFailed on a failure status.

        For DELETE the stack is gone at DELETE_COMPLETE; with ``free_name`` the wait goes on until Heat frees
        the name for a new stack (seconds later; a create before that gets 409).

        A failure status equal to ``prior_status`` is ignored until another status was seen (the async
        actions suspend/resume/delete may show the previous state for a moment).
        ``deadline``: the task's deadline unless given (the clean-up has its own).
        """
        target = '%s_COMPLETE' % action
        seen_other = [prior_status is None]
        name = stack['stack_name']

        def fetch():
            if action == 'DELETE' and free_name:
                current = self.api.stack_gone(stack)
            else:
                current = self.api.get_stack(stack, resolve_outputs=False)
            if current is not None and current.get('stack_status') != prior_status:
                seen_other[0] = True
            return current

        def done(obj):
            if action == 'DELETE':
                return obj is None
            return obj is not None and obj.get('stack_status') == target

        def failed(obj):
            return self._final_failure(obj, action, prior_status, seen_other[0])

        try:
            wait_for(fetch, done, failed, deadline or self.deadline, "stack '%s' to reach %s" % (name, target),
                     describe=lambda obj: obj.get('stack_status') if obj else 'gone')
        except ResourceFailed:
            current = self.api.get_stack(stack, resolve_outputs=False)
            if current is None:
                raise ResourceFailed("Stack '%s' disappeared (deleted by someone else?) while waiting for %s"
                                     % (name, target), stack_id=stack['id'])
            self.raise_failure(current)
        except WaitTimeout as exc:
            raise WaitTimeout(exc.msg, stack_id=stack['id'], **exc.details)
        return None if action == 'DELETE' else self.api.get_stack(stack)

    def _final_failure(self, obj, action, prior_status, seen_other):
        """The failure status that ends a wait for ``action``, or None to keep waiting."""
        if obj is None:
            return 'gone'
        status = obj.get('stack_status') or ''
        if self.rollback and action in ('CREATE', 'UPDATE') and status == '%s_FAILED' % action:
            return None  # Heat rolls back next: wait for the rollback to finish
        if status.endswith('_FAILED') or (status == 'ROLLBACK_COMPLETE' and action != 'ROLLBACK'):
            if status == prior_status and not seen_other:
                return None  # the previous state, shown until the asynchronous action starts
            return status
        return None

    def failure_details(self, stack):
        """(failed resources [{name, type, reason}], the stack's own failure reason): see ``failure_details``."""
        return failure_details(self.api, stack)

    def raise_failure(self, stack, created_here=False):
        failed, stack_reason = self.failure_details(stack)
        status, reason = stack.get('stack_status'), stack.get('stack_status_reason')
        if status and status.startswith('ROLLBACK') and stack_reason:
            reason = 'rolled back after: %s' % stack_reason
        msg = failure_message(stack['stack_name'], status, reason, failed)
        details = dict(stack_id=stack['id'], stack_status=status, status_reason=reason, failed_resources=failed)
        if created_here and not self.keep_failed:
            msg += self.cleanup(stack)
        raise ResourceFailed(msg, **details)

    def cleanup(self, stack):
        """Delete a stack this task created and that failed; returns a note for the message."""
        try:
            self.api.delete_stack(stack)
            seconds = max(CLEANUP_TIMEOUT, self.deadline.seconds // 4)  # the task's deadline may have passed
            self.wait_for_action(stack, 'DELETE', deadline=Deadline(seconds, self.deadline.clock, self.deadline.sleep))
        except CloudModuleError as exc:
            return ". The failed stack could not be deleted: %s" % exc.msg
        except sdk_exceptions.HttpException as exc:
            return ". The failed stack could not be deleted: %s" % sdk_error_text(exc)
        return '. The failed stack was deleted (keep_failed=false)'

    def settle(self, stack):
        """Wait for a stack found in an *_IN_PROGRESS state; None when it was being deleted."""
        status = stack.get('stack_status')
        if not is_in_progress(status):
            return stack
        action = status[:-len('_IN_PROGRESS')]
        what = "stack '%s' (found %s) to settle" % (stack['stack_name'], status)
        settled = wait_for(lambda: self.api.get_stack(stack, resolve_outputs=False),
                           lambda obj: obj is None or not is_in_progress(obj.get('stack_status')),
                           None, self.deadline, what,
                           describe=lambda obj: obj.get('stack_status') if obj else 'gone')
        if settled is None or action == 'DELETE' and settled.get('stack_status') == 'DELETE_COMPLETE':
            return None
        return self.api.get_stack(stack)

    # -- operations ---------------------------------------------------------------------------------------
    def _rejected(self, exc, what):
        """Heat's synchronous 400 (bad template, unknown type, missing parameter) as a clear error."""
        if isinstance(exc, sdk_exceptions.BadRequestException):
            reason = getattr(exc, 'details', None) or sdk_error_text(exc)
            return InvalidInput('Heat rejected the %s: %s' % (what, reason),
                                status_code=400, request_id=getattr(exc, 'request_id', None))
        return exc

    def _create_request(self, desired):
        """POST the stack; when a just-deleted stack still holds the name (409), wait for Heat to free it. When a
        live stack holds it (another run created it meanwhile: Heat's names are unique), raise StackTaken."""
        try:
            return self.api.create_stack(desired.body())
        except sdk_exceptions.ConflictException:
            held = self.api.find_stack(desired.name, resolve_outputs=False, include_deleted=True)
            if held is None:
                raise
            if held.get('stack_status') != 'DELETE_COMPLETE':
                raise StackTaken(held)
        self.wait_for_action(held, 'DELETE', free_name=True)
        try:
            return self.api.create_stack(desired.body())
        except sdk_exceptions.ConflictException:
            held = self.api.find_stack(desired.name, resolve_outputs=False)
            if held is None:
                raise
            raise StackTaken(held)

    def create(self, desired):
        try:
            created = self._create_request(desired)
        except sdk_exceptions.HttpException as exc:
            raise self._rejected(exc, "stack '%s'" % desired.name)
        stack = dict(stack_name=desired.name, id=created['id'])
        self._yield_to_older(stack)
        if not self.wait:
            return self.api.get_stack(stack)
        try:
            result = self.wait_for_action(stack, 'CREATE')
            self._yield_to_older(stack)  # a twin stored in the same second may have been missed before
            return result
        except ResourceFailed as exc:
            if not self.keep_failed and "The failed stack" not in exc.msg:
                exc.msg += self.cleanup(stack)
                exc.args = (exc.msg,)
            raise
        except WaitTimeout as exc:
            if not self.keep_failed:
                exc.msg += self.cleanup(stack).replace('failed stack', 'unfinished stack')
                exc.args = (exc.msg,)
            raise

    def _yield_to_older(self, stack):
        """Two runs at once may both get their create through (Heat checks the name, then stores the stack):
        of the live stacks with the name, the oldest (``creation_time``, then id) stays. When that is another
        run's, delete this task's own stack (only it) and raise StackTaken with the other's."""
        name = stack['stack_name']
        live = [s for s in self.api.list_stacks({'name': name}) if s.get('stack_name') == name
                and not (s.get('stack_status') or '').startswith('DELETE')]
        if len(live) < 2 or stack['id'] not in set(s.get('id') for s in live):
            return
        keeper = sorted(live, key=lambda s: (s.get('creation_time') or '', s.get('id') or ''))[0]
        if keeper['id'] == stack['id']:
            return
        self.api.delete_stack(stack)
        seconds = max(CLEANUP_TIMEOUT, self.deadline.seconds // 4)
        self.wait_for_action(stack, 'DELETE', deadline=Deadline(seconds, self.deadline.clock, self.deadline.sleep))
        raise StackTaken(keeper)

    def update(self, stack, desired):
        try:
            self.api.update_stack(stack, desired.body(existing_tags=stack.get('tags'), with_name=False))
        except sdk_exceptions.HttpException as exc:
            raise self._rejected(exc, "update of stack '%s'" % desired.name)
        if not self.wait:
            return self.api.get_stack(stack)
        return self.wait_for_action(stack, 'UPDATE', prior_status=stack.get('stack_status'))

    def delete(self, stack, free_name=False):
        self.api.delete_stack(stack)
        if self.wait or free_name:
            self.wait_for_action(stack, 'DELETE', prior_status=stack.get('stack_status'), free_name=free_name)

    def action(self, stack, action):
        self.api.stack_action(stack, action.lower())
        if not self.wait:
            return self.api.get_stack(stack)
        return self.wait_for_action(stack, action.upper(), prior_status=stack.get('stack_status'))

    def check(self, stack):
        """Heat's check action; a check that fails raises ResourceFailed with the failed resources."""
        self.api.stack_action(stack, 'check')
        if not self.wait:
            return self.api.get_stack(stack)
        # Heat answers once the stack is CHECK_IN_PROGRESS (convergence and legacy engines alike): a CHECK_FAILED
        # seen now is this check's, not an earlier one's
        return self.wait_for_action(stack, 'CHECK')

    def preview_create(self, desired):
        try:
            return self.api.preview_create(desired.body())
        except sdk_exceptions.HttpException as exc:
            raise self._rejected(exc, "stack '%s' (create preview)" % desired.name)

    def preview_update(self, stack, desired):
        try:
            return parse_update_preview(self.api.preview_update(
                stack, desired.body(existing_tags=stack.get('tags'), with_name=False)))
        except sdk_exceptions.HttpException as exc:
            raise self._rejected(exc, "update of stack '%s' (update preview)" % desired.name)
