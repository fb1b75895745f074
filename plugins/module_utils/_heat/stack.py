# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One stack: ``DesiredStack`` (what the user asked for), its comparison with the stored stack, previews,
the status helpers and the failure details and message of a failed stack.

Secrets: ``secret_parameters`` (a no_log option) are merged into ``parameters``; their names, and the
template's hidden parameters, are redacted in the diff and the results. The diff also hides, unless the
user sets ``diff_secrets``, what templates and files may carry: hidden parameters' template defaults and
the contents of files (``get_file``, nested templates), shown as ``opaque`` (size and a digest keyed for
this run only, so that the diff still shows which changed). ``opaque`` serves the software modules too."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import (
    REDACTED, Difference, Plan, is_equal, secret_digest)
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, NotFound
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.template import (
    HIDDEN_DIGEST_KEY, digest_matches, hidden_parameter_names, hidden_values, make_digest, normalize_environment,
    normalize_tags, read_inputs, redact_hidden, timeout_minutes)

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

STACK_NAME_RE = re.compile(r'^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$')
ENV_SECTIONS_COMPARED = ('resource_registry', 'event_sinks', 'parameter_merge_strategies')
FINAL_STEP = {'suspended': 'suspend', 'checked': 'check'}  # the action after a create or update, by state
CHANGE_KINDS = ('added', 'updated', 'replaced', 'deleted', 'unchanged')


def opaque(value, size=True):
    """A secret as the diff shows it: ``******** (<n> bytes, digest <hex>)`` (``size=False``: no size).

    The digest is an HMAC-SHA256 under a key made for this run only (truncated to 16 hex digits).
    None stays None (nothing there).
    """
    if value is None:
        return None
    digest, length = secret_digest(value)
    if size:
        return '%s (%d bytes, digest %s)' % (REDACTED, length, digest)
    return '%s (digest %s)' % (REDACTED, digest)


def redact_template_defaults(template, names):
    """A copy of ``template`` with the defaults of the parameters ``names`` redacted (HOT and CFN)."""
    if not template or not names:
        return template
    template = copy.deepcopy(template)
    for section, key in (('parameters', 'default'), ('Parameters', 'Default')):
        for name, schema in (template.get(section) or {}).items():
            if name in names and isinstance(schema, dict) and key in schema:
                schema[key] = REDACTED
    return template


def redact_stack(stack, names):
    """A copy of a stack dict with the values of the parameters ``names`` redacted (those Heat masks stay
    ``******``); None stays None."""
    if stack is None or not names:
        return stack
    params = stack.get('parameters')
    if not isinstance(params, dict):
        return stack
    stack = dict(stack)
    stack['parameters'] = dict((k, REDACTED if k in names and v not in (None, '******') else v)
                               for k, v in params.items())
    return stack


def _flatten_preview_resources(items):
    for item in items or []:
        if isinstance(item, list):
            yield from _flatten_preview_resources(item)
        elif isinstance(item, dict):
            yield item


def parse_create_preview(body):
    """The resources of a create preview as [{name, type}] (nested stacks flattened)."""
    stack = (body or {}).get('stack', body) or {}
    return [dict(name=r.get('resource_name'), type=r.get('resource_type'))
            for r in _flatten_preview_resources(stack.get('resources'))]


def parse_update_preview(body):
    """{added|updated|replaced|deleted|unchanged: [names]} from an update preview answer.

    Real Heat wraps the lists in ``{"resource_changes": {...}}``; a flat answer is accepted too.
    """
    body = body or {}
    changes = body.get('resource_changes', body)
    if 'stack' in changes and isinstance(changes['stack'], dict):
        changes = changes['stack']
    result = {}
    for kind in CHANGE_KINDS:
        result[kind] = sorted(r.get('resource_name') if isinstance(r, dict) else str(r)
                              for r in (changes.get(kind) or []))
    return result


def failure_message(name, status, reason, failed_resources):
    """One line a human can act on: the stack status and reason, then each failed resource."""
    msg = "Stack '%s' is %s: %s" % (name, status, reason or 'no reason given')
    if failed_resources:
        msg = msg.rstrip('.')  # Heat's reasons may end with a period
        msg += '. Failed resources: ' + '; '.join(
            '%s%s: %s' % (r.get('name'), ' (%s)' % r['type'] if r.get('type') else '', r.get('reason') or 'no reason given')
            for r in failed_resources)
    return msg


def is_failed_status(status):
    return bool(status) and (status.endswith('_FAILED') or status == 'ROLLBACK_COMPLETE')


def is_in_progress(status):
    return bool(status) and status.endswith('_IN_PROGRESS')


def failure_details(api, stack):
    """(failed resources [{name, type, reason}], the stack's own failure reason from its events or None).

    Resources first (still there without rollback), else the events (a rollback deletes the resources).
    Events are filtered here: Heat ignores the status filter when nested_depth is set.
    """
    found, stack_reason = [], None
    try:
        for res in api.resources(stack, nested_depth=5):
            if str(res.get('resource_status', '')).endswith('FAILED'):
                found.append(dict(name=res.get('resource_name'), type=res.get('resource_type'),
                                  reason=res.get('resource_status_reason')))
    except sdk_exceptions.HttpException:
        pass  # the events below, then the stack's own reason, are still reported
    try:
        events = api.events(stack, '?sort_dir=desc&limit=200')
    except sdk_exceptions.HttpException:
        events = []
    seen = set(r['name'] for r in found)
    for event in events:  # newest first, back to the start of the stack's last action
        status, name = str(event.get('resource_status', '')), event.get('resource_name')
        own = event.get('physical_resource_id') == stack['id'] or name == stack['stack_name']
        if own and status.endswith('_IN_PROGRESS') and not status.startswith('ROLLBACK'):
            break
        if not status.endswith('FAILED'):
            continue
        if own:
            stack_reason = stack_reason or event.get('resource_status_reason')
        elif name not in seen:
            seen.add(name)
            found.append(dict(name=name, type=event.get('resource_type'),
                              reason=event.get('resource_status_reason')))
    return sorted(found, key=lambda r: str(r['name'])), stack_reason


def merge_secret(plain, secret, plain_option, secret_option):
    """``(plain merged with secret, the names from secret)``: the dict option ``plain`` and its no_log twin
    ``secret``. A name in both fails (the message names them, never a value)."""
    plain, secret = dict(plain or {}), dict(secret or {})
    both = sorted(set(plain) & set(secret))
    if both:
        raise InvalidInput('Set each value in one option only; given in both %s and %s: %s'
                           % (plain_option, secret_option, ', '.join(str(k) for k in both)))
    plain.update(secret)
    return plain, set(secret)


class DesiredStack(object):
    """What the user asked for, read and resolved on the controller before any request."""

    def __init__(self, name, template=None, files=None, environment=None, parameters=None, tags=None,
                 timeout=3600, rollback=False, state='present', recreate_failed=False, secret_names=None,
                 diff_secrets=False, hidden_digest=True, digest_key=None, cancel_update=False):
        self.name = name
        self.state = state
        self.cancel_update = cancel_update  # cancel a create/update in progress first (_heat/actions.py)
        self.recreate_failed = recreate_failed
        self.template = template
        self.files = files or {}
        self.environment = environment or {}
        self.parameters = parameters or {}
        self.tags = tags
        self.timeout = timeout
        self.rollback = rollback
        self.hidden = hidden_parameter_names(template)
        self.secret_names = set(secret_names or ())  # from secret_parameters: redacted like hidden ones
        self.diff_secrets = diff_secrets
        self.hidden_digest = hidden_digest  # False: no digest; a change of a hidden value alone is not seen
        self.digest_key = digest_key        # the HMAC key of the digest (hidden_digest_key), else scrypt

    @property
    def redacted_names(self):
        """The parameters whose values never show: the template's hidden ones and the secret_parameters."""
        return self.hidden | self.secret_names

    @classmethod
    def from_params(cls, params, cwd=None, deadline=None):
        """The desired stack from the module's options; for ``state=absent`` only the name (nothing is read).

        ``deadline``: the task's (template downloads share it); by default one of the task's ``timeout``."""
        name = params['name']
        if params.get('state') == 'absent':
            if params.get('cancel_update'):
                raise InvalidInput("cancel_update has no use with state=absent: Heat's delete stops a create or "
                                   "update in progress")
            return cls(name, state='absent')
        parameters, secret = merge_secret(params.get('parameters'), params.get('secret_parameters'),
                                          'parameters', 'secret_parameters')
        if not STACK_NAME_RE.match(name or ''):
            raise InvalidInput("Invalid stack name '%s': it must start with a letter and contain only letters, "
                               "digits, '_', '-' and '.' (at most 255 characters)" % name)
        template, files, environment = read_inputs(params, cwd=cwd, deadline=deadline)
        if template is None and (params.get('state') or 'present') == 'present' and not params.get('cancel_update'):
            raise InvalidInput('state is present but any of the following are missing: template, template_content, '
                               'template_url (or cancel_update=true)')
        return cls(name, template, files, environment, parameters,
                   normalize_tags(params.get('tags')), params.get('timeout') or 3600, params.get('rollback'),
                   params.get('state') or 'present', bool(params.get('recreate_failed')), secret,
                   bool(params.get('diff_secrets')), hidden_digest=params.get('hidden_digest') is not False,
                   digest_key=params.get('hidden_digest_key') or None,
                   cancel_update=bool(params.get('cancel_update')))

    @property
    def effective_environment(self):
        """The environment Heat stores: the merged environment with ``parameters`` folded in."""
        env = copy.deepcopy(self.environment)
        if self.parameters:
            env.setdefault('parameters', {}).update(copy.deepcopy(self.parameters))
        return env

    def hidden_values(self):
        return hidden_values(self.effective_environment, self.hidden)

    def secret_values(self):
        """Hidden values as strings, for the module's no_log list."""
        out = []
        for value in self.hidden_values().values():
            if value not in (None, '') and not isinstance(value, bool):
                out.append(value if isinstance(value, str) else json.dumps(value))
        return out

    def hidden_unchanged(self, stored_digest):
        """Whether the stored digest shows the hidden values unchanged; always with ``hidden_digest`` off."""
        if not self.hidden_digest:
            return True
        return bool(stored_digest) and digest_matches(self.hidden_values(), stored_digest, key=self.digest_key)

    def body(self, existing_tags=None, with_name=True):
        env = copy.deepcopy(self.environment)
        hidden = self.hidden_values()
        if hidden and self.hidden_digest:
            env.setdefault('parameter_defaults', {})[HIDDEN_DIGEST_KEY] = make_digest(hidden, key=self.digest_key)
        tags = self.tags if self.tags is not None else existing_tags
        body = dict(template=self.template, files=self.files, environment=env,
                    parameters=copy.deepcopy(self.parameters), timeout_mins=timeout_minutes(self.timeout),
                    disable_rollback=not self.rollback)
        if tags:  # Heat clears the tags of a PUT without them; an empty string would make an empty tag
            body['tags'] = ','.join(tags)
        if with_name:
            body['stack_name'] = self.name
        return body


def _redacted_section(values, hidden):
    return dict((k, REDACTED if k in hidden else v) for k, v in (values or {}).items())


def compare_parameter_section(diff, key, desired, actual, hidden, hidden_unchanged, secret=()):
    """Compare one parameter section (``parameters`` or ``parameter_defaults``) of the environment.

    Non-hidden values compare as values; hidden ones (masked by Heat) by name, and their values as
    ``hidden_unchanged`` (the stored digest's answer, DesiredStack.hidden_unchanged) says. ``secret``
    names (secret_parameters Heat does not mask) compare as values but are redacted like hidden ones.
    Returns True when it differs.
    """
    desired, actual = desired or {}, actual or {}
    shown = set(hidden) | set(secret)
    plain_desired = dict((k, v) for k, v in desired.items() if k not in hidden)
    plain_actual = dict((k, v) for k, v in actual.items() if k not in hidden)
    differs = not is_equal(plain_desired, plain_actual, 'dict')
    hidden_names_desired = set(k for k in desired if k in hidden)
    hidden_names_actual = set(k for k in actual if k in hidden)
    hidden_differs = False
    if hidden_names_desired != hidden_names_actual:
        hidden_differs = True
    elif hidden_names_desired:
        hidden_differs = not hidden_unchanged
    if differs or hidden_differs:
        before = _redacted_section(actual, shown)
        after = _redacted_section(desired, shown)
        if hidden_differs:
            for name in hidden_names_desired:
                after[name] = REDACTED + ' (changed)' if name in hidden_names_actual else REDACTED
        diff.add(key, before, after)
        return True
    return False


def plan_stack_update(desired, stack, template, environment, files=None):
    """The Difference between the desired stack and the stored one (template, environment, params, files, tags).

    ``files`` is the stored files map, or None when not fetched (no desired files).
    """
    diff = Difference()
    hidden = desired.hidden | set(k for k, v in (environment.get('parameters') or {}).items() if v == '******')
    if not is_equal(desired.template, template, 'dict'):
        if desired.diff_secrets:
            diff.add('template', template, desired.template)
        else:
            names = hidden | desired.secret_names | hidden_parameter_names(template)
            diff.add('template', redact_template_defaults(template, names),
                     redact_template_defaults(desired.template, names))
    want_env = normalize_environment(desired.effective_environment)
    have_env = normalize_environment(environment)
    want_rest = dict((k, v) for k, v in want_env.items() if k in ENV_SECTIONS_COMPARED)
    have_rest = dict((k, v) for k, v in have_env.items() if k in ENV_SECTIONS_COMPARED)
    if not is_equal(want_rest, have_rest, 'dict'):
        diff.add('environment', have_rest, want_rest)
    stored_digest = (environment.get('parameter_defaults') or {}).get(HIDDEN_DIGEST_KEY)
    hidden_unchanged = desired.hidden_unchanged(stored_digest) if desired.hidden_values() else True
    for section in ('parameters', 'parameter_defaults'):
        compare_parameter_section(diff, section, want_env.get(section), have_env.get(section), hidden,
                                  hidden_unchanged, desired.secret_names)
    if files is not None:
        changed_files = sorted(k for k in set(desired.files) | set(files) if desired.files.get(k) != files.get(k))
        if changed_files:
            show = (lambda v: v) if desired.diff_secrets else opaque
            diff.add('files', dict((k, show(files.get(k))) for k in changed_files),
                     dict((k, show(desired.files.get(k))) for k in changed_files))
    if desired.tags is not None:
        diff.compare('tags', desired.tags, sorted(stack.get('tags') or []), 'set')
    return diff


def stack_outputs(stack):
    outputs = (stack or {}).get('outputs') or []
    return dict((o.get('output_key'), o.get('output_value')) for o in outputs), outputs


class CurrentStack(object):
    """The stack as found (a dict, outputs resolved) and, when a template is given, its stored template,
    environment and files (``files`` None when not read: no desired files)."""

    def __init__(self, stack, template=None, environment=None, files=None):
        self.stack, self.template, self.environment, self.files = stack, template, environment, files


class StackPlan(Plan):
    """What the ``stack`` module will do to one stack, decided before any write.

    Steps, in order: ``delete`` (``free_name`` when the stack is recreated), ``create``, ``resume``,
    ``update``, ``suspend`` or ``check`` (Heat's check: on every real run, even when nothing changes).
    ``preview`` names the preview check or diff mode asks for (``create`` or ``update``); ``extra`` holds the
    previews' return values. ``predicted`` is the stack after the apply as far as it is known before: the
    current stack, or for a new stack the stack the create preview shows. ``current`` is the stack found (a dict, or None).
    """

    def __init__(self, desired, current=None):
        super(StackPlan, self).__init__()
        self.desired = desired
        self.current = current
        self.preview = None
        self.extra = {}

    def predict_create(self, preview):
        """The predicted new stack, from the create preview's answer (``{}`` when none was made)."""
        desired = self.desired
        self.predicted = dict(stack_name=desired.name, id=None, stack_status=None,
                              parameters=redact_hidden(desired.parameters, desired.redacted_names),
                              tags=desired.tags, outputs=[],
                              description=(preview.get('stack') or {}).get('description'))


def plan_stack(current, desired):
    """The plan that brings the stack ``current`` (a CurrentStack or None) to ``desired``. No request."""
    stack = current.stack if current is not None else None
    plan = StackPlan(desired, stack)
    diff, state = plan.diff, desired.state
    if state == 'absent':
        if stack is not None:
            diff.add('state', 'present', 'absent')
            plan.step('delete')
        return plan
    recreate = stack is not None and is_failed_status(stack.get('stack_status')) and desired.recreate_failed
    if recreate:
        diff.add('status', stack.get('stack_status'), 'recreated')
        plan.step('delete', free_name=True)
    if stack is None or recreate:
        if desired.template is None:
            raise NotFound("Stack '%s' does not exist and no template was given to create it" % desired.name)
        if not recreate:
            diff.add('state', 'absent', state)
        plan.step('create')
        if state in FINAL_STEP:
            plan.step(FINAL_STEP[state])
        plan.preview = 'create'
        plan.predict_create({})
        return plan
    _plan_existing(plan, current, desired)
    return plan


def _plan_existing(plan, current, desired):
    stack, diff, state = current.stack, plan.diff, desired.state
    status = stack.get('stack_status')
    stored = (plan_stack_update(desired, stack, current.template, current.environment, current.files)
              if desired.template is not None else Difference())
    failed = is_failed_status(status)
    suspended = status == 'SUSPEND_COMPLETE'
    check_only = state == 'checked' and desired.template is None  # checks the stack as it is, failed or suspended
    converge = state == 'present' or (state == 'checked' and not check_only)
    if failed and not check_only:
        diff.add('status', status, 'UPDATE_COMPLETE')
    diff.merge(stored)
    needs_update = stored.changed or (failed and desired.template is not None)
    if failed and desired.template is None and not check_only:
        raise InvalidInput("Stack '%s' is %s; give its template to update (recover) it" % (desired.name, status))
    if needs_update:
        plan.preview = 'update'
    resume_first = suspended and (converge or needs_update)
    if resume_first and converge:
        diff.add('status', status, 'RESUME_COMPLETE')
    if state == 'suspended' and not suspended or state == 'suspended' and needs_update:
        diff.add('status', status, 'SUSPEND_COMPLETE')
    if resume_first:
        plan.step('resume')
    if needs_update:
        plan.step('update')
    if state == 'suspended':
        plan.step('suspend')  # unless the stack is SUSPEND_COMPLETE by then
    if state == 'checked':
        # Heat's check runs on every real run (that is what the task is for); it changes the stack only when it
        # moves its status (CHECK_COMPLETE again is no change)
        if plan.steps or status != 'CHECK_COMPLETE':
            diff.add('status', status, 'CHECK_COMPLETE')
        plan.step('check')
    plan.predicted = stack
