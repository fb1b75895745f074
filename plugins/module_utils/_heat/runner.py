# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``StackRunner``: drives one stack to the desired state: find, plan, (preview), apply, wait."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import CloudModuleError, InvalidInput, NotFound, ResourceFailed, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import sdk_error_text
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import (
    failure_details, failure_message, is_failed_status, is_in_progress, parse_create_preview, parse_update_preview,
    plan_stack_update)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.template import redact_hidden
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Deadline, wait_for

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

CLEANUP_TIMEOUT = 300


class StackRunner(object):
    """Drives one stack to the desired state: find, plan, (preview), apply, wait."""

    def __init__(self, api, check_mode=False, diff_mode=False, wait=True, timeout=3600, keep_failed=False,
                 sleep=None, clock=None, rollback=False):
        self.api = api
        self.rollback = rollback
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.wait = wait
        self.timeout = timeout
        self.keep_failed = keep_failed
        self._wait_kwargs = {}
        if sleep is not None:
            self._wait_kwargs['sleep'] = sleep
        if clock is not None:
            self._wait_kwargs['clock'] = clock

    # -- waiting ----------------------------------------------------------------------------------------
    def wait_for_action(self, stack, action, prior_status=None, timeout=None, free_name=False):
        """Wait until the stack reaches ``<action>_COMPLETE``; raise ResourceFailed on a failure status.

        For DELETE the stack is gone at DELETE_COMPLETE; with ``free_name`` the wait goes on until Heat frees
        the name for a new stack (seconds later; a create before that gets 409).

        A failure status equal to ``prior_status`` is ignored until another status was seen (the async
        actions suspend/resume/delete may show the previous state for a moment).
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
            wait_for(fetch, done, failed, Deadline(timeout or self.timeout, **self._wait_kwargs),
                     "stack '%s' to reach %s" % (name, target),
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
            self.wait_for_action(stack, 'DELETE', timeout=max(CLEANUP_TIMEOUT, self.timeout // 4))
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
                           None, Deadline(self.timeout, **self._wait_kwargs), what,
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
        """POST the stack; when a just-deleted stack still holds the name (409), wait for Heat to free it."""
        try:
            return self.api.create_stack(desired.body())
        except sdk_exceptions.ConflictException:
            held = self.api.find_stack(desired.name, resolve_outputs=False, include_deleted=True)
            if held is None or held.get('stack_status') != 'DELETE_COMPLETE':
                raise
        self.wait_for_action(held, 'DELETE', free_name=True)
        return self.api.create_stack(desired.body())

    def create(self, desired):
        try:
            created = self._create_request(desired)
        except sdk_exceptions.HttpException as exc:
            raise self._rejected(exc, "stack '%s'" % desired.name)
        stack = dict(stack_name=desired.name, id=created['id'])
        if not self.wait:
            return self.api.get_stack(stack)
        try:
            return self.wait_for_action(stack, 'CREATE')
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

    def plan(self, stack, desired):
        template = self.api.get_template(stack)
        environment = self.api.get_environment(stack)
        files = self.api.get_files(stack) if desired.files else None
        return plan_stack_update(desired, stack, template, environment, files)

    # -- states ---------------------------------------------------------------------------------------------
    def ensure_absent(self, name):
        diff = Difference()
        stack = self.api.find_stack(name, resolve_outputs=False)
        if stack is not None and stack.get('stack_status') == 'DELETE_IN_PROGRESS':
            stack = self.settle(stack)
        if stack is None:
            return diff, None
        diff.add('state', 'present', 'absent')
        if not self.check_mode:
            self.delete(stack)
        return diff, stack

    def ensure_present(self, desired, state='present', recreate_failed=False):
        """Returns (Difference, stack dict or predicted dict, extra return values)."""
        diff, extra = Difference(), {}
        stack = self.api.find_stack(desired.name)
        if stack is not None:
            stack = self.settle(stack)

        recreating = False
        if stack is not None and is_failed_status(stack.get('stack_status')) and recreate_failed:
            diff.add('status', stack.get('stack_status'), 'recreated')
            recreating = True
            if not self.check_mode:
                self.delete(stack, free_name=True)
            stack = None

        if stack is None:
            if desired.template is None:
                raise NotFound("Stack '%s' does not exist and no template was given to create it" % desired.name)
            if not recreating:
                diff.add('state', 'absent', state)
            if self.check_mode:
                # Heat cannot preview a create under the name of a stack that still exists (409)
                preview = {} if recreating else self.preview_create(desired)
                resources = parse_create_preview(preview)
                extra['preview'] = dict(resources=resources)
                if self.diff_mode:
                    diff.add('preview', None, dict(resources=resources))
                predicted = dict(stack_name=desired.name, id=None, stack_status=None,
                                 parameters=redact_hidden(desired.parameters, desired.hidden),
                                 tags=desired.tags, outputs=[],
                                 description=(preview.get('stack') or {}).get('description'))
                return diff, predicted, extra
            stack = self.create(desired)
            if state == 'suspended' and stack is not None and self.wait:
                stack = self.action(stack, 'SUSPEND')
            return diff, stack, extra

        stack = self._converge_existing(stack, desired, state, diff, extra)
        return diff, stack, extra

    def _converge_existing(self, stack, desired, state, diff, extra):
        status = stack.get('stack_status')
        plan = self.plan(stack, desired) if desired.template is not None else Difference()
        failed = is_failed_status(status)
        suspended = status == 'SUSPEND_COMPLETE'
        if failed:
            diff.add('status', status, 'UPDATE_COMPLETE')
        diff.merge(plan)
        needs_update = plan.changed or (failed and desired.template is not None)
        if failed and desired.template is None:
            raise InvalidInput("Stack '%s' is %s; give its template to update (recover) it" % (desired.name, status))
        if needs_update and (self.check_mode or self.diff_mode):
            changes = self.preview_update(stack, desired)
            extra['resource_changes'] = changes
            diff.add('resource_changes', None, dict((k, v) for k, v in changes.items() if k != 'unchanged'))
        resume_first = suspended and (state == 'present' or needs_update)
        if resume_first and state == 'present':
            diff.add('status', status, 'RESUME_COMPLETE')
        if state == 'suspended' and not suspended or state == 'suspended' and needs_update:
            diff.add('status', status, 'SUSPEND_COMPLETE')
        if self.check_mode:
            return stack
        if resume_first:
            stack = self.action(stack, 'RESUME')
        if needs_update:
            stack = self.update(stack, desired)
        if state == 'suspended' and stack.get('stack_status') != 'SUSPEND_COMPLETE':
            stack = self.action(stack, 'SUSPEND')
        return stack
