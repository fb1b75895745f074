# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Heat (orchestration) service logic behind the stack, stack_info, software_config and software_deployment modules.

Private to this collection.

Layers (each testable with a fake of the layer below):

* pure helpers: template/environment loading (openstacksdk's ``template_utils``), normalisation, tags,
  hidden-parameter digests, preview parsing, failure messages;
* ``HeatApi``: the REST calls, made through the openstacksdk orchestration proxy (a keystoneauth adapter)
  so that every request and its status are explicit (the SDK's ``Stack`` resource drops the update
  preview's ``resource_changes`` and sends no template when it thinks the template is unchanged);
* ``StackPlanner`` / ``ensure_stack`` and friends: compare, plan (a ``Difference``), apply, wait.

Hidden parameters: Heat masks them (``******``) in every read. To stay idempotent without reading them
back, each write stores a salted PBKDF2 digest of the hidden values in the stack environment's
``parameter_defaults`` under ``HIDDEN_DIGEST_KEY`` (an unused parameter default, which Heat accepts and
ignores); a later run recomputes the digest with the stored salt and compares. A stack written by
another tool has no digest: a hidden value the module cannot verify counts as a change (one update,
which stores the digest).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import hashlib
import json
import math
import os
import re
from urllib.parse import urljoin

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED, Difference, is_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, CloudModuleError, InvalidInput, NotFound, ResourceFailed, WaitTimeout)
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import wait_for

try:
    from openstack import exceptions as sdk_exceptions
    from openstack.orchestration.util import environment_format, template_format, template_utils
    from openstack.orchestration.util import utils as heat_utils
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = template_utils = template_format = environment_format = heat_utils = None

PSEUDO_PARAMETERS = ('OS::stack_id', 'OS::stack_name', 'OS::project_id')
HIDDEN_DIGEST_KEY = 'cloudrise_hidden_parameters_digest'
DIGEST_ITERATIONS = 100000
STACK_NAME_RE = re.compile(r'^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$')
ENV_SECTIONS_COMPARED = ('resource_registry', 'event_sinks', 'parameter_merge_strategies')
CHANGE_KINDS = ('added', 'updated', 'replaced', 'deleted', 'unchanged')
CLEANUP_TIMEOUT = 300


# -- input: template, environment, files, tags -------------------------------------------------------------

def _sdk_error_text(exc):
    return getattr(exc, 'message', None) or str(exc)


def _file_url(path):
    return heat_utils.normalise_file_path_to_url(path)


def _base_url(url):
    base = heat_utils.base_url_for_url(url)
    return base if base.endswith('/') else base + '/'


def _seed_files(extra_files, base_url):
    """The user's extra files keyed as template_utils resolves references relative to ``base_url``."""
    seeded = {}
    for name, content in (extra_files or {}).items():
        if not isinstance(content, str):
            content = json.dumps(content)
        seeded[urljoin(base_url, name)] = content
    return seeded


def parse_template_text(text, source):
    try:
        return template_format.parse(text)
    except (ValueError, TypeError) as exc:
        raise InvalidInput('Cannot parse the template %s: %s' % (source, exc))


def load_template(template=None, template_content=None, template_url=None, files=None, cwd=None):
    """Read the desired template and the files it references, as openstacksdk's template_utils does.

    Returns ``(template_dict, files_dict)``. ``get_file`` and nested template references are resolved
    relative to the template file (or URL); for inline content relative to ``cwd``. ``files`` (name ->
    content) provides contents for references instead of reading them.
    """
    cwd = cwd or os.getcwd()
    try:
        if template is not None:
            path = os.path.abspath(os.path.expanduser(template))
            if not os.path.isfile(path):
                raise InvalidInput('Template file not found: %s' % template)
            url = _file_url(path)
            seeded = _seed_files(files, _base_url(url))
            tpl_files, tpl = template_utils.get_template_contents(template_file=path, files=seeded)
        elif template_url is not None:
            seeded = _seed_files(files, _base_url(template_url))
            tpl_files, tpl = template_utils.get_template_contents(template_url=template_url, files=seeded)
        elif template_content is not None:
            if isinstance(template_content, str):
                tpl = parse_template_text(template_content, '(template_content)')
            elif isinstance(template_content, dict):
                tpl = copy.deepcopy(template_content)
                if not any(k in tpl for k in ('heat_template_version', 'HeatTemplateFormatVersion',
                                              'AWSTemplateFormatVersion')):
                    raise InvalidInput('template_content has no heat_template_version (not a Heat template)')
            else:
                raise InvalidInput('template_content must be a dict or a YAML/JSON string')
            base = _base_url(_file_url(os.path.join(cwd, 'template_content.yaml')))
            tpl_files = _seed_files(files, base)
            template_utils.resolve_template_get_files(tpl, tpl_files, base)
        else:
            return None, {}
    except InvalidInput:
        raise
    except sdk_exceptions.SDKException as exc:
        text = _sdk_error_text(exc)
        if text.startswith('Error parsing template'):
            raise InvalidInput('Cannot parse the template: %s' % text)
        raise InvalidInput('Cannot read the template or a file it references: %s' % text)
    except (OSError, ValueError) as exc:
        raise InvalidInput('Cannot read the template or a file it references: %s' % exc)
    return json.loads(json.dumps(tpl, default=str)), tpl_files


def load_environment(paths=None, content=None, cwd=None):
    """Merge environment files (in order) and then inline content; returns ``(environment, files)``."""
    cwd = cwd or os.getcwd()
    env, env_files = {}, {}
    try:
        if paths:
            for path in paths:
                if '://' not in path and not os.path.isfile(os.path.expanduser(path)):
                    raise InvalidInput('Environment file not found: %s' % path)
            env_files, env = template_utils.process_multiple_environments_and_files(
                env_paths=[os.path.expanduser(p) if '://' not in p else p for p in paths])
        if content is not None:
            if isinstance(content, str):
                try:
                    inline = environment_format.parse(content)
                except ValueError as exc:
                    raise InvalidInput('Cannot parse environment_content: %s' % exc)
            elif isinstance(content, dict):
                inline = copy.deepcopy(content)
                bad = [k for k in inline if k not in environment_format.SECTIONS]
                if bad:
                    raise InvalidInput('environment_content has unknown section(s): %s' % ', '.join(sorted(bad)))
            else:
                raise InvalidInput('environment_content must be a dict or a YAML string')
            base = _base_url(_file_url(os.path.join(cwd, 'environment_content.yaml')))
            template_utils.resolve_environment_urls(inline.get('resource_registry'), env_files, base)
            env = template_utils.deep_update(env, inline)
    except InvalidInput:
        raise
    except sdk_exceptions.SDKException as exc:
        raise InvalidInput('Cannot read an environment or a file it references: %s' % _sdk_error_text(exc))
    except (OSError, ValueError) as exc:
        raise InvalidInput('Cannot read an environment or a file it references: %s' % exc)
    return json.loads(json.dumps(env, default=str)), env_files


def normalize_tags(tags):
    """Tags from a comma-separated string or a list, as a sorted list without blanks; None stays None."""
    if tags is None:
        return None
    if isinstance(tags, str):
        tags = tags.split(',')
    out = []
    for tag in tags:
        tag = str(tag).strip()
        if not tag:
            continue
        if ',' in tag:
            raise InvalidInput("A stack tag cannot contain a comma: '%s'" % tag)
        if tag not in out:
            out.append(tag)
    return sorted(out)


def normalize_environment(env):
    """Drop what Heat adds (empty sections, self-mapped nested templates) and the module's digest key."""
    env = copy.deepcopy(env or {})
    registry = env.get('resource_registry')
    if isinstance(registry, dict):
        if not registry.get('resources'):
            registry.pop('resources', None)
        # Heat registers each nested template referenced by a ``type:`` URL as a mapping to itself
        for key in [k for k, v in registry.items() if isinstance(v, str) and k == v]:
            registry.pop(key)
    defaults = env.get('parameter_defaults')
    if isinstance(defaults, dict):
        defaults.pop(HIDDEN_DIGEST_KEY, None)
    env.pop('encrypted_param_names', None)
    return dict((k, v) for k, v in env.items() if v not in (None, {}, []))


def stack_parameters(parameters):
    """A stack's parameters without Heat's pseudo-parameters."""
    return dict((k, v) for k, v in (parameters or {}).items() if k not in PSEUDO_PARAMETERS)


def hidden_parameter_names(template):
    """Names of the template's hidden parameters (HOT ``hidden: true``, CFN ``NoEcho``)."""
    names = set()
    for section, flag in (('parameters', 'hidden'), ('Parameters', 'NoEcho')):
        for name, schema in ((template or {}).get(section) or {}).items():
            if isinstance(schema, dict) and str(schema.get(flag, '')).lower() == 'true':
                names.add(name)
    return names


def hidden_values(env, hidden):
    """{'<section>.<name>': value} for hidden parameters set in the environment's parameter sections."""
    values = {}
    for section in ('parameters', 'parameter_defaults'):
        for name, value in (env.get(section) or {}).items():
            if name in hidden:
                values['%s.%s' % (section, name)] = value
    return values


def make_digest(values, salt=None, iterations=DIGEST_ITERATIONS):
    """A salted PBKDF2-SHA256 digest of the hidden values: ``pbkdf2-sha256$<iterations>$<salt>$<digest>``."""
    salt = salt if salt is not None else base64.b64encode(os.urandom(12)).decode('ascii')
    data = json.dumps(values, sort_keys=True, default=str).encode('utf-8')
    digest = hashlib.pbkdf2_hmac('sha256', data, salt.encode('ascii'), iterations)
    return 'pbkdf2-sha256$%d$%s$%s' % (iterations, salt, base64.b64encode(digest).decode('ascii'))


def digest_matches(values, stored):
    """True when ``stored`` (a digest made by make_digest) is the digest of ``values``."""
    try:
        scheme, iterations, salt, _digest = str(stored).split('$', 3)
        iterations = int(iterations)
    except ValueError:
        return False
    if scheme != 'pbkdf2-sha256' or not 1000 <= iterations <= 10000000:
        return False
    return make_digest(values, salt, iterations) == stored


def redact_hidden(params, hidden):
    return dict((k, REDACTED if k in hidden and v is not None else v) for k, v in (params or {}).items())


def timeout_minutes(timeout):
    return max(1, int(math.ceil(timeout / 60.0)))


# -- previews and failures --------------------------------------------------------------------------------

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
        msg += '. Failed resources: ' + '; '.join(
            '%s%s: %s' % (r.get('name'), ' (%s)' % r['type'] if r.get('type') else '', r.get('reason') or 'no reason given')
            for r in failed_resources)
    return msg


def is_failed_status(status):
    return bool(status) and (status.endswith('_FAILED') or status == 'ROLLBACK_COMPLETE')


def is_in_progress(status):
    return bool(status) and status.endswith('_IN_PROGRESS')


# -- REST layer --------------------------------------------------------------------------------------------

class HeatApi(object):
    """The Heat REST calls, through the openstacksdk orchestration proxy. Answers are plain dicts."""

    def __init__(self, conn):
        self.conn = conn

    @property
    def proxy(self):
        return self.conn.orchestration

    def _call(self, method, url, **kwargs):
        response = getattr(self.proxy, method)(url, **kwargs)
        sdk_exceptions.raise_from_response(response)
        return response

    def _json(self, response):
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()

    # stacks
    def find_stack(self, name_or_id, resolve_outputs=True, include_deleted=False):
        """GET /stacks/<name or id> (Heat redirects to the canonical URL); None when missing or deleted."""
        url = '/stacks/%s' % name_or_id
        if not resolve_outputs:
            url += '?resolve_outputs=False'
        try:
            stack = self._json(self._call('get', url))['stack']
        except sdk_exceptions.NotFoundException:
            return None
        if stack.get('stack_status') == 'DELETE_COMPLETE' and not include_deleted:
            return None
        return stack

    def stack_gone(self, stack):
        """None once a deleted stack no longer holds its name, else the stack as Heat shows it.

        Heat shows a deleted stack by id forever (DELETE_COMPLETE), and sets DELETE_COMPLETE a moment before
        it frees the name (a create with the name answers 409 until then): wait for the name lookup.
        """
        current = self.get_stack(stack, resolve_outputs=False, include_deleted=True)
        if current is None:
            return None
        if current.get('stack_status') == 'DELETE_COMPLETE':
            by_name = self.find_stack(stack['stack_name'], resolve_outputs=False, include_deleted=True)
            if by_name is None or by_name.get('id') != stack['id']:
                return None
        return current

    def get_stack(self, stack, resolve_outputs=True, include_deleted=False):
        """The stack, None when it is gone. A stack Heat shows DELETE_COMPLETE is gone, except with
        ``include_deleted``: its name stays taken (409 on create) until Heat stops showing it."""
        url = '/stacks/%s/%s' % (stack['stack_name'], stack['id'])
        if not resolve_outputs:
            url += '?resolve_outputs=False'
        try:
            found = self._json(self._call('get', url))['stack']
        except sdk_exceptions.NotFoundException:
            return None
        if found.get('stack_status') == 'DELETE_COMPLETE' and not include_deleted:
            return None
        return found

    def _sub(self, stack, what, **kwargs):
        return self._json(self._call('get', '/stacks/%s/%s/%s' % (stack['stack_name'], stack['id'], what), **kwargs))

    def get_template(self, stack):
        return self._sub(stack, 'template')

    def get_environment(self, stack):
        return self._sub(stack, 'environment')

    def get_files(self, stack):
        return self._sub(stack, 'files')

    def create_stack(self, body):
        return self._json(self._call('post', '/stacks', json=body))['stack']

    def preview_create(self, body):
        return self._json(self._call('post', '/stacks/preview', json=body))

    def update_stack(self, stack, body):
        self._call('put', '/stacks/%s/%s' % (stack['stack_name'], stack['id']), json=body)

    def preview_update(self, stack, body):
        return self._json(self._call('put', '/stacks/%s/%s/preview' % (stack['stack_name'], stack['id']), json=body))

    def delete_stack(self, stack):
        try:
            self._call('delete', '/stacks/%s/%s' % (stack['stack_name'], stack['id']))
        except sdk_exceptions.NotFoundException:
            pass

    def stack_action(self, stack, action):
        self._call('post', '/stacks/%s/%s/actions' % (stack['stack_name'], stack['id']), json={action: None})

    def resources(self, stack, nested_depth=0):
        query = '?nested_depth=%d' % nested_depth if nested_depth else ''
        return self._sub(stack, 'resources' + query).get('resources', [])

    def events(self, stack, query=''):
        return self._sub(stack, 'events' + query).get('events', [])

    def list_stacks(self, query=None, page_size=100):
        """GET /stacks with ``query``, following marker pagination until an empty page."""
        result, marker = [], None
        while True:
            params = dict(query or {}, limit=page_size)
            if marker:
                params['marker'] = marker
            page = self._json(self._call('get', '/stacks', params=params)).get('stacks', [])
            if not page:
                return result
            result.extend(page)
            if len(page) < page_size:
                return result
            marker = page[-1]['id']

    # software configs and deployments
    def list_configs(self, page_size=100):
        result, marker = [], None
        while True:
            params = dict(limit=page_size)
            if marker:
                params['marker'] = marker
            page = self._json(self._call('get', '/software_configs', params=params)).get('software_configs', [])
            result.extend(page)
            if len(page) < page_size:
                return result
            marker = page[-1]['id']

    def get_config(self, config_id):
        try:
            return self._json(self._call('get', '/software_configs/%s' % config_id))['software_config']
        except sdk_exceptions.NotFoundException:
            return None

    def create_config(self, body):
        return self._json(self._call('post', '/software_configs', json=body))['software_config']

    def delete_config(self, config_id):
        try:
            self._call('delete', '/software_configs/%s' % config_id)
        except sdk_exceptions.NotFoundException:
            pass

    def list_deployments(self, server_id=None):
        params = dict(server_id=server_id) if server_id else {}
        return self._json(self._call('get', '/software_deployments', params=params)).get('software_deployments', [])

    def get_deployment(self, deployment_id):
        try:
            return self._json(self._call('get', '/software_deployments/%s' % deployment_id))['software_deployment']
        except sdk_exceptions.NotFoundException:
            return None

    def create_deployment(self, body):
        return self._json(self._call('post', '/software_deployments', json=body))['software_deployment']

    def update_deployment(self, deployment_id, body):
        return self._json(self._call('put', '/software_deployments/%s' % deployment_id,
                                     json=body))['software_deployment']

    def delete_deployment(self, deployment_id):
        try:
            self._call('delete', '/software_deployments/%s' % deployment_id)
        except sdk_exceptions.NotFoundException:
            pass


# -- stacks: desired state, plan, apply ------------------------------------------------------------------

class DesiredStack(object):
    """What the user asked for, read and resolved on the controller before any request."""

    def __init__(self, name, template=None, files=None, environment=None, parameters=None, tags=None,
                 timeout=3600, rollback=False):
        self.name = name
        self.template = template
        self.files = files or {}
        self.environment = environment or {}
        self.parameters = parameters or {}
        self.tags = tags
        self.timeout = timeout
        self.rollback = rollback
        self.hidden = hidden_parameter_names(template)

    @classmethod
    def from_params(cls, params, cwd=None):
        name = params['name']
        if not STACK_NAME_RE.match(name or ''):
            raise InvalidInput("Invalid stack name '%s': it must start with a letter and contain only letters, "
                               "digits, '_', '-' and '.' (at most 255 characters)" % name)
        template, tpl_files = load_template(params.get('template'), params.get('template_content'),
                                            params.get('template_url'), params.get('files'), cwd=cwd)
        environment, env_files = load_environment(params.get('environment'), params.get('environment_content'),
                                                  cwd=cwd)
        files = dict(tpl_files)
        files.update(env_files)
        return cls(name, template, files, environment, params.get('parameters'),
                   normalize_tags(params.get('tags')), params.get('timeout') or 3600, params.get('rollback'))

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

    def body(self, existing_tags=None, with_name=True):
        env = copy.deepcopy(self.environment)
        hidden = self.hidden_values()
        if hidden:
            env.setdefault('parameter_defaults', {})[HIDDEN_DIGEST_KEY] = make_digest(hidden)
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


def compare_parameter_section(diff, key, desired, actual, hidden, stored_digest, desired_hidden):
    """Compare one parameter section (``parameters`` or ``parameter_defaults``) of the environment.

    Non-hidden values compare as values; hidden ones (masked by Heat) through the stored digest.
    Returns True when it differs.
    """
    desired, actual = desired or {}, actual or {}
    plain_desired = dict((k, v) for k, v in desired.items() if k not in hidden)
    plain_actual = dict((k, v) for k, v in actual.items() if k not in hidden)
    differs = not is_equal(plain_desired, plain_actual, 'dict')
    hidden_names_desired = set(k for k in desired if k in hidden)
    hidden_names_actual = set(k for k in actual if k in hidden)
    hidden_differs = False
    if hidden_names_desired != hidden_names_actual:
        hidden_differs = True
    elif hidden_names_desired:
        hidden_differs = not (stored_digest and digest_matches(desired_hidden, stored_digest))
    if differs or hidden_differs:
        before = _redacted_section(actual, hidden)
        after = _redacted_section(desired, hidden)
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
    diff.compare('template', desired.template, template, 'dict')
    want_env = normalize_environment(desired.effective_environment)
    have_env = normalize_environment(environment)
    want_rest = dict((k, v) for k, v in want_env.items() if k in ENV_SECTIONS_COMPARED)
    have_rest = dict((k, v) for k, v in have_env.items() if k in ENV_SECTIONS_COMPARED)
    if not is_equal(want_rest, have_rest, 'dict'):
        diff.add('environment', have_rest, want_rest)
    stored_digest = (environment.get('parameter_defaults') or {}).get(HIDDEN_DIGEST_KEY)
    desired_hidden = desired.hidden_values()
    for section in ('parameters', 'parameter_defaults'):
        compare_parameter_section(diff, section, want_env.get(section), have_env.get(section), hidden,
                                  stored_digest, desired_hidden)
    if files is not None:
        changed_files = sorted(k for k in set(desired.files) | set(files) if desired.files.get(k) != files.get(k))
        if changed_files:
            diff.add('files', dict((k, files.get(k)) for k in changed_files),
                     dict((k, desired.files.get(k)) for k in changed_files))
    if desired.tags is not None:
        diff.compare('tags', desired.tags, sorted(stack.get('tags') or []), 'set')
    return diff


def stack_outputs(stack):
    outputs = (stack or {}).get('outputs') or []
    return dict((o.get('output_key'), o.get('output_value')) for o in outputs), outputs


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
            wait_for(fetch, done, failed, timeout or self.timeout, "stack '%s' to reach %s" % (name, target),
                     describe=lambda obj: obj.get('stack_status') if obj else 'gone', **self._wait_kwargs)
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
        """(failed resources [{name, type, reason}], the stack's own failure reason from its events or None).

        Resources first (still there without rollback), else the events (a rollback deletes the resources).
        Events are filtered here: Heat ignores the status filter when nested_depth is set.
        """
        found, stack_reason = [], None
        try:
            for res in self.api.resources(stack, nested_depth=5):
                if str(res.get('resource_status', '')).endswith('FAILED'):
                    found.append(dict(name=res.get('resource_name'), type=res.get('resource_type'),
                                      reason=res.get('resource_status_reason')))
        except sdk_exceptions.HttpException:
            pass  # the events below, then the stack's own reason, are still reported
        try:
            events = self.api.events(stack, '?sort_dir=desc&limit=200')
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
            return ". The failed stack could not be deleted: %s" % _sdk_error_text(exc)
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
                           None, self.timeout, what,
                           describe=lambda obj: obj.get('stack_status') if obj else 'gone', **self._wait_kwargs)
        if settled is None or action == 'DELETE' and settled.get('stack_status') == 'DELETE_COMPLETE':
            return None
        return self.api.get_stack(stack)

    # -- operations ---------------------------------------------------------------------------------------
    def _rejected(self, exc, what):
        """Heat's synchronous 400 (bad template, unknown type, missing parameter) as a clear error."""
        if isinstance(exc, sdk_exceptions.BadRequestException):
            reason = getattr(exc, 'details', None) or _sdk_error_text(exc)
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


# -- stack_info -------------------------------------------------------------------------------------------

def _matches(stack, status=None, tags=None, tags_mode='all', project_id=None):
    """Client-side filter for a stack found by name or id (the list API filters server-side)."""
    have = set(stack.get('tags') or [])
    if status and stack.get('stack_status') != status:
        return False
    if tags and tags_mode == 'all' and not set(tags) <= have:
        return False
    if tags and tags_mode == 'any' and not set(tags) & have:
        return False
    return not (project_id and stack.get('project') not in (None, project_id))


def stack_list_query(status=None, tags=None, tags_mode='all', project_id=None, owner_id=None):
    """Server-side filters. Heat answers 500 to a status filter combined with a tag filter, so with tags the
    status is filtered on the client (see stack_info)."""
    query = {}
    if status and not tags:
        query['status'] = status
    if project_id:
        query['tenant_id'] = project_id
    if owner_id:
        query['owner_id'] = owner_id
    if tags:
        query['tags' if tags_mode == 'all' else 'tags_any'] = ','.join(tags)
    return query


def stack_info(api, name=None, status=None, tags=None, tags_mode='all', project_id=None, owner_id=None,
               outputs=False, resources=False, events=False, nested_depth=0):
    """Stacks matching the filters (a list, empty when nothing matches), with optional details."""
    tags = normalize_tags(tags)
    if name:
        found = api.find_stack(name, resolve_outputs=outputs)
        stacks = [found] if found is not None and _matches(found, status, tags, tags_mode, project_id) else []
    else:
        stacks = api.list_stacks(stack_list_query(status, tags, tags_mode, project_id, owner_id))
        if status and tags:
            stacks = [s for s in stacks if s.get('stack_status') == status]
        if outputs:
            stacks = [api.get_stack(s) or s for s in stacks]
    result = []
    for stack in stacks:
        item = dict(stack)
        if outputs:
            item['outputs_dict'] = stack_outputs(stack)[0]
        if resources:
            item['resources'] = api.resources(stack, nested_depth=nested_depth)
        if events:
            item['events'] = api.events(stack, '?nested_depth=%d' % nested_depth if nested_depth else '')
        result.append(item)
    return result


# -- software configs ---------------------------------------------------------------------------------

CONFIG_FIELDS = ('group', 'config', 'inputs', 'outputs', 'options')


def config_definition(params):
    """The desired software config body (Heat's own defaults filled in, so comparisons are exact)."""
    return dict(name=params['name'], group=params.get('group') or 'Heat::Ungrouped',
                config=params.get('config') or '', inputs=params.get('inputs') or [],
                outputs=params.get('outputs') or [], options=params.get('options') or {})


INPUT_DEFAULTS = {'type': 'String'}
OUTPUT_DEFAULTS = {'error_output': False}


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


def config_differences(desired, actual):
    """The Difference between a desired software config and a stored one (None = missing)."""
    diff = Difference()
    actual = actual or {}
    diff.compare('group', desired['group'], actual.get('group') or 'Heat::Ungrouped')
    diff.compare('config', desired['config'] or '', actual.get('config') or '')
    diff.compare('inputs', normalize_io(desired['inputs']), normalize_io(actual.get('inputs')), 'list')
    diff.compare('outputs', normalize_io(desired['outputs'], OUTPUT_DEFAULTS),
                 normalize_io(actual.get('outputs'), OUTPUT_DEFAULTS), 'list')
    diff.compare('options', desired['options'] or {}, actual.get('options') or {}, 'dict')
    return diff


def find_configs(api, name):
    """The configs with this name, oldest first (the last one is the current version)."""
    return sorted((c for c in api.list_configs() if c.get('name') == name),
                  key=lambda c: (c.get('creation_time') or '', c.get('id') or ''))


def looks_like_id(value):
    return bool(re.match(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$', value))


def resolve_config(api, name_or_id):
    """The software config with this id, or the current (newest) one with this name; NotFound otherwise."""
    if looks_like_id(name_or_id):
        found = api.get_config(name_or_id)
        if found is not None:
            return found
    matches = find_configs(api, name_or_id)
    if not matches:
        raise NotFound("No software config has the name or id '%s'" % name_or_id)
    return api.get_config(matches[-1]['id'])


def referenced_config_ids(api):
    """Ids of the configs some deployment of the project uses (Heat refuses to delete those)."""
    return set(d.get('config_id') for d in api.list_deployments())


def _delete_configs(api, configs, check_mode):
    """Delete the configs no deployment uses; returns (deleted ids, kept ids)."""
    if not configs:
        return [], []
    used = referenced_config_ids(api)
    deleted = sorted(c['id'] for c in configs if c['id'] not in used)
    kept = sorted(c['id'] for c in configs if c['id'] in used)
    if not check_mode:
        for config_id in deleted:
            api.delete_config(config_id)
    return deleted, kept


def ensure_config(api, params, check_mode=False):
    """Software configs are immutable: identical -> nothing; different -> create a new one, delete the old.

    Names are not unique in Heat: the newest config with the name is the current one; older versions
    (superseded) are deleted once no deployment uses them (Heat refuses to delete a config in use), so
    ``software_deployment`` can move its deployments to the new version first.
    Returns (Difference, config dict or None, ids of superseded configs kept because deployments use them).
    """
    diff = Difference()
    name = params['name']
    matches = find_configs(api, name)
    if params.get('state') == 'absent':
        deleted, kept = _delete_configs(api, matches, check_mode)
        if deleted:
            diff.add('deleted_ids', None, deleted)
        if kept:
            raise CloudModuleError("Software config(s) named '%s' are used by deployments and cannot be deleted: "
                                   "%s. Delete those deployments first." % (name, ', '.join(kept)),
                                   deleted_ids=deleted, kept_ids=kept, changed=bool(deleted))
        return diff, None, []
    desired = config_definition(params)
    current = api.get_config(matches[-1]['id']) if matches else None
    superseded = matches[:-1]
    if current is None:
        diff.add('state', 'absent', 'present')
    else:
        diff.merge(config_differences(desired, current))
        if diff.changed:
            diff.add('replaced_id', None, current['id'])
            superseded = matches
    result = current
    if diff.changed:
        result = dict(desired, id=None) if check_mode else api.create_config(desired)
    deleted, kept = _delete_configs(api, superseded, check_mode)
    if deleted:
        diff.add('deleted_ids', None, deleted)
    return diff, result, kept


# -- software deployments -----------------------------------------------------------------------------

DEPLOYMENT_FIELDS = ('action', 'status', 'status_reason', 'input_values')


def desired_input_values(params):
    values = params.get('input_values')
    if params.get('signal_transport'):
        values = dict(values or {}, deploy_signal_transport=params['signal_transport'])
    return values


def find_deployments(api, config_ids, server_id):
    return [d for d in api.list_deployments(server_id)
            if d.get('server_id') == server_id and d.get('config_id') in config_ids]


def _deployment_config(api, config_ref):
    """(ids of every version of the config, the id of the current (newest) version or None)."""
    if looks_like_id(config_ref) and api.get_config(config_ref) is not None:
        return set([config_ref]), config_ref
    named = find_configs(api, config_ref)
    return set(c['id'] for c in named), (named[-1]['id'] if named else None)


def _create_deployment(api, diff, config_id, server_id, wanted, check_mode):
    diff.add('state', 'absent', 'present')
    body = dict(config_id=config_id, server_id=server_id, action=wanted['action'] or 'CREATE',
                status=wanted['status'] or 'IN_PROGRESS', input_values=wanted['input_values'] or {})
    if wanted['status_reason'] is not None:
        body['status_reason'] = wanted['status_reason']
    if check_mode:
        return diff, dict(body, id=None)
    return diff, api.create_deployment(body)


def ensure_deployment(api, params, check_mode=False):
    """A deployment identified by (config name or id, server_id). Returns (Difference, deployment or None).

    A deployment of an older version of a named config (replaced: same name, new id) is found by the name
    and moved to the current version.
    """
    diff = Difference()
    config_ref, server_id = params['config'], params['server_id']
    config_ids, config_id = _deployment_config(api, config_ref)
    deployments = find_deployments(api, config_ids, server_id) if config_ids else []
    if len(deployments) > 1:
        raise Ambiguous('software deployment for config %s on server' % config_ref, server_id,
                        [d['id'] for d in deployments])
    current = deployments[0] if deployments else None

    if params.get('state') == 'absent':
        if current is not None:
            diff.add('state', 'present', 'absent')
            if not check_mode:
                api.delete_deployment(current['id'])
        return diff, None

    if config_id is None:
        raise NotFound("No software config has the name or id '%s'" % config_ref)
    wanted = dict(action=params.get('action'), status=params.get('status'),
                  status_reason=params.get('status_reason'), input_values=desired_input_values(params))
    if current is None:
        return _create_deployment(api, diff, config_id, server_id, wanted, check_mode)

    diff.compare('config_id', config_id, current.get('config_id'))
    for field in DEPLOYMENT_FIELDS:
        diff.compare(field, wanted[field], current.get(field), 'dict' if field == 'input_values' else 'value')
    if not diff.changed:
        return diff, current
    body = dict((k, v) for k, v in wanted.items() if v is not None)
    body['config_id'] = config_id
    if check_mode:
        predicted = dict(current)
        predicted.update(body)
        return diff, predicted
    updated = api.update_deployment(current['id'], body)
    # Heat answers a config_id change with the deployment as it was before; read it back
    return diff, (api.get_deployment(current['id']) if 'config_id' in diff.keys else updated) or updated


def config_info(api, name=None, details=False):
    """Software configs (all, or those with this name or id) as a list, empty when nothing matches."""
    if name and looks_like_id(name):
        found = api.get_config(name)
        if found is not None:
            return [found]
    configs = [c for c in api.list_configs() if not name or c.get('name') == name]
    if details:
        configs = [api.get_config(c['id']) or c for c in configs]
    return configs
