# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin (clustering) service logic shared by the cluster, cluster_node, cluster_policy, receiver,
cluster_profile and cluster_info modules.

Private to this collection: not a public API.

Everything that changes state in Senlin is an asynchronous *action*: the API answers 202 with the
action's URL in the ``Location`` header (or ``{"action": id}`` in the body). ``SenlinClient`` sends the
write itself (so error bodies always raise, unlike some openstacksdk clustering calls that return them
as dicts), records the action, and waits on the action, not on the cluster's status.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re
import time

from ansible_collections.cloudrise.openstack.plugins.module_utils import _heat
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED, Difference, is_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, CloudModuleError, InvalidInput, NotFound, ResourceFailed)
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import wait_for

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

MICROVERSION = '1.12'
ACTION_SUCCEEDED = 'SUCCEEDED'
ACTION_FAILURES = ('FAILED', 'CANCELLED')
MANAGED_KEY = 'cloudrise_managed_by'
UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')

# kind -> (list path, response key of one, response key of many)
KINDS = {
    'cluster': ('/clusters', 'cluster', 'clusters'),
    'node': ('/nodes', 'node', 'nodes'),
    'profile': ('/profiles', 'profile', 'profiles'),
    'policy': ('/policies', 'policy', 'policies'),
    'receiver': ('/receivers', 'receiver', 'receivers'),
}


# -- pure helpers (unit-tested) --------------------------------------------------------------------

def looks_like_id(value):
    return bool(value) and bool(UUID_RE.match(str(value)))


def action_id_of(headers=None, body=None):
    """The action id of a Senlin write answer: ``Location: .../actions/<id>`` or ``{"action": id}``."""
    if isinstance(body, dict) and body.get('action'):
        return body['action']
    location = (headers or {}).get('Location') or (headers or {}).get('location')
    if location and '/actions/' in location:
        return location.rstrip('/').rsplit('/', 1)[-1]
    if isinstance(body, dict) and isinstance(body.get('location'), str) and '/actions/' in body['location']:
        return body['location'].rstrip('/').rsplit('/', 1)[-1]
    return None


def effective_sizes(desired, current=None):
    """Merge the user's sizes over the current ones and check min <= desired <= max (max -1 = no limit).

    ``desired``/``current``: dicts with min_size, max_size, desired_capacity (None = not set).
    Returns the effective dict; raises InvalidInput before any write.
    """
    current = current or {}
    defaults = dict(min_size=0, max_size=-1, desired_capacity=None)
    eff = {}
    for key in ('min_size', 'max_size', 'desired_capacity'):
        value = desired.get(key)
        if value is None:
            value = current.get(key)
        if value is None:
            value = defaults[key]
        eff[key] = value
    if eff['desired_capacity'] is None:
        eff['desired_capacity'] = eff['min_size']
    lo, hi, want = eff['min_size'], eff['max_size'], eff['desired_capacity']
    if lo < 0:
        raise InvalidInput('min_size must be >= 0 (got %s).' % lo)
    if hi < -1:
        raise InvalidInput('max_size must be >= 0, or -1 for no upper limit (got %s).' % hi)
    if hi != -1 and lo > hi:
        raise InvalidInput('min_size (%s) is greater than max_size (%s).' % (lo, hi))
    if want < lo or (hi != -1 and want > hi):
        given = ', '.join('%s=%s' % (k, desired[k]) for k in ('min_size', 'max_size', 'desired_capacity')
                          if desired.get(k) is not None)
        raise InvalidInput('desired_capacity (%s) is outside [min_size %s, max_size %s]%s.'
                           % (want, lo, 'unlimited' if hi == -1 else hi,
                              ' (given: %s; the others are the cluster\'s current values)' % given
                              if current else ''))
    return eff


def resize_body(desired, current, strict=None):
    """The ``resize`` action body for the sizes that differ, or None when nothing differs."""
    body = {}
    if desired.get('desired_capacity') is not None and desired['desired_capacity'] != current.get('desired_capacity'):
        body['adjustment_type'] = 'EXACT_CAPACITY'
        body['number'] = desired['desired_capacity']
    for key in ('min_size', 'max_size'):
        if desired.get(key) is not None and desired[key] != current.get(key):
            body[key] = desired[key]
    if not body:
        return None
    if strict is not None:
        body['strict'] = strict
    return body


def spec_equal(desired, actual):
    """Compare a profile/policy spec as Senlin stores it (version '1.0' == 1.0, key order ignored)."""
    return is_equal(desired, actual or {}, 'dict')


def heat_parameter_only_change(old_spec, new_spec):
    """True when an os.heat.stack spec change leaves the template alone but changes other properties.

    Senlin 16 applies such a change to existing nodes with a PUT that lacks the template, and Heat answers
    400 "No template specified" (nodes go ERROR).
    """
    if not old_spec or not new_spec or not str(new_spec.get('type', '')).startswith('os.heat.stack'):
        return False
    old_props, new_props = old_spec.get('properties') or {}, new_spec.get('properties') or {}
    if not is_equal(new_props.get('template'), old_props.get('template'), 'dict'):
        return False
    return not is_equal(new_props, old_props, 'dict')


def normalize_bindings(clusters, default_enabled=True):
    """``clusters`` option items (a name/id, or {cluster, enabled}) -> [{'cluster': str, 'enabled': bool}]."""
    out = []
    for item in clusters or []:
        if isinstance(item, dict):
            if not item.get('cluster'):
                raise InvalidInput('Each item of clusters needs a cluster (name or id): %r' % (item,))
            unknown = set(item) - set(['cluster', 'enabled'])
            if unknown:
                raise InvalidInput('Unknown keys in a clusters item: %s' % ', '.join(sorted(unknown)))
            enabled = item.get('enabled')
            out.append(dict(cluster=str(item['cluster']),
                            enabled=default_enabled if enabled is None else _to_bool(enabled)))
        else:
            out.append(dict(cluster=str(item), enabled=default_enabled))
    return out


def _to_bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('1', 'true', 'yes', 'on', 'y'):
        return True
    if text in ('0', 'false', 'no', 'off', 'n'):
        return False
    raise InvalidInput('Not a boolean: %r' % (value,))


def plan_bindings(desired, actual, purge=False):
    """Plan policy bindings.

    ``desired``: {cluster_id: enabled}; ``actual``: {cluster_id: enabled}.
    Returns (attach, update, detach): attach/update are {cluster_id: enabled}, detach a sorted list.
    """
    attach = dict((cid, en) for cid, en in desired.items() if cid not in actual)
    update = dict((cid, en) for cid, en in desired.items() if cid in actual and bool(actual[cid]) != bool(en))
    detach = sorted(cid for cid in actual if cid not in desired) if purge else []
    return attach, update, detach


def redact_receiver(data, hide_url):
    """A receiver dict with its trigger URL redacted when ``hide_url``."""
    if not hide_url or data is None:
        return data
    data = copy.deepcopy(data)
    channel = data.get('channel')
    if isinstance(channel, dict) and 'alarm_url' in channel:
        channel['alarm_url'] = REDACTED
    return data


def receiver_url(receiver):
    channel = _get(receiver, 'channel') or {}
    return channel.get('alarm_url') if isinstance(channel, dict) else None


def _get(obj, key, default=None):
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def as_dict(obj):
    """A plain dict of an SDK resource or dict (no ``location``)."""
    if obj is None:
        return None
    if hasattr(obj, 'to_dict'):
        data = obj.to_dict(computed=False)
    else:
        data = dict(obj)
    data.pop('location', None)
    return data


# -- node health (pure) -------------------------------------------------------------------------------

NODE_BROKEN = ('ERROR', 'WARNING', 'INIT')
NODE_BUSY = ('CREATING', 'UPDATING', 'DELETING', 'RECOVERING', 'OPERATING')
HEAT_PROFILE = 'os.heat.stack'


class NodeProblem(object):
    """A node that is not healthy: Senlin's view (status, reason) and, for a Heat-stack node, its stack."""

    def __init__(self, node, why, stack=None):
        self.node = node
        self.why = why
        self.stack = stack
        self.stack_failure = None   # Heat's own reason, filled by SenlinClient.add_stack_failure

    @property
    def name(self):
        return self.node.get('name') or self.node.get('id')

    def as_dict(self):
        return dict(id=self.node.get('id'), name=self.name, status=self.node.get('status'), reason=self.why,
                    stack_id=(self.stack or {}).get('id'), stack_status=(self.stack or {}).get('stack_status'),
                    stack_reason=self.stack_failure)


def stack_tags(stack):
    tags = stack.get('tags') or []
    if isinstance(tags, str):
        tags = tags.split(',')
    return dict(tag.split('=', 1) for tag in tags if '=' in tag)


def stack_usable(stack):
    """A stack that serves its node: not failed, not deleted or being deleted."""
    status = str((stack or {}).get('stack_status') or '')
    return bool(stack) and not _heat.is_failed_status(status) and not status.startswith('DELETE')


def assess_nodes(nodes, stacks, heat_nodes=True):
    """Which nodes are broken, and which of the cluster's Heat stacks no node uses.

    ``nodes``: the cluster's nodes (Senlin dicts); ``stacks``: the Heat stacks tagged with the cluster (or
    node), as Heat lists them; ``heat_nodes``: the nodes are os.heat.stack nodes, so a node is healthy only
    when its stack (``physical_id``) exists and is usable.
    Returns ``([NodeProblem], [orphan stack])``. Nodes in a transitional status are neither.
    """
    by_id = dict((s.get('id'), s) for s in stacks)
    by_node = {}
    for stack in sorted(stacks, key=lambda s: s.get('creation_time') or ''):
        node_id = stack_tags(stack).get('cluster_node_id')
        if node_id:
            by_node[node_id] = stack   # the newest stack made for the node
    problems = []
    for node in sorted(nodes, key=lambda n: (n.get('index') or 0, n.get('name') or '')):
        status = node.get('status')
        if status in NODE_BUSY:
            continue
        stack = by_id.get(node.get('physical_id')) if node.get('physical_id') else None
        if status != 'ACTIVE':
            problems.append(NodeProblem(node, '%s: %s' % (status, node.get('status_reason') or 'no reason given'),
                                        stack or by_node.get(node.get('id'))))
        elif heat_nodes and not stack_usable(stack):
            if stack is None:
                why = 'its Heat stack %s is gone' % node.get('physical_id') if node.get('physical_id') \
                    else 'it has no Heat stack'
            else:
                why = 'its Heat stack %s is %s' % (stack.get('stack_name'), stack.get('stack_status'))
            problems.append(NodeProblem(node, why, stack))
    used = set(n.get('physical_id') for n in nodes if n.get('physical_id'))
    busy = set(n.get('id') for n in nodes if n.get('status') in NODE_BUSY)
    orphans = [s for s in stacks if s.get('id') not in used and stack_tags(s).get('cluster_node_id') not in busy
               and not _heat.is_in_progress(s.get('stack_status'))
               and not str(s.get('stack_status') or '').startswith('DELETE')]
    return problems, sorted(orphans, key=lambda s: s.get('stack_name') or '')


def describe_problem(problem):
    """``node <name> (stack <id>): <Heat's reason>; Senlin: <reason>`` for one broken node."""
    stack = problem.stack
    where = ' (stack %s)' % stack.get('id') if stack else ''
    if problem.stack_failure:
        return 'node %s%s: %s; Senlin: %s' % (problem.name, where, problem.stack_failure, problem.why)
    return 'node %s%s: %s' % (problem.name, where, problem.why)


# -- the client ------------------------------------------------------------------------------------

class SenlinClient(object):
    """Finds Senlin objects, sends writes, records and waits on their actions.

    ``check_mode`` is not handled here: callers skip writes in check mode. ``actions`` lists every
    action started: ``{'id', 'name', 'target', 'status'}``.
    """

    def __init__(self, conn, wait=True, timeout=180, sleep=time.sleep, clock=time.monotonic, heat=None):
        self.conn = conn
        self.wait = wait
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self.deadline = clock() + timeout
        self.actions = []
        self._proxy = None
        self._heat = heat

    @property
    def proxy(self):
        if self._proxy is None:
            self._proxy = self.conn.clustering
        return self._proxy

    def remaining(self):
        return max(self.deadline - self.clock(), 1)

    # -- HTTP ---------------------------------------------------------------------------------------
    def request(self, method, path, body=None, retry_locked=True):
        """Send one request; raise the SDK's HttpException on an error status.

        A 409 that says the target is locked (another action runs on it) is retried until the deadline:
        that is a resource in transition, not a conflict of the user's making.
        """
        kwargs = {}
        if body is not None:
            kwargs['json'] = body
        delay = 0.2
        while True:
            response = self.proxy.request(path, method, **kwargs)
            if (retry_locked and response.status_code == 409 and 'lock' in (response.text or '').lower()
                    and self.clock() + delay < self.deadline):
                self.sleep(delay)
                delay = min(delay * 1.5, 2.0)
                continue
            sdk_exceptions.raise_from_response(response)
            return response

    def get_json(self, path):
        response = self.request('GET', path, retry_locked=False)
        return response.json() if response.content else {}

    def write(self, method, path, body, what, target=None):
        """Send a write that starts an action; record it, wait on it when ``wait``. Returns (body, action)."""
        data, record = self.start(method, path, body, what, target)
        action = None
        if record and self.wait:
            action = self.wait_record(record)
        return data, action

    def start(self, method, path, body, what, target=None):
        """Send a write that starts an action and record it, without waiting. Returns (body, record or None)."""
        response = self.request(method, path, body)
        data = response.json() if response.content else {}
        aid = action_id_of(response.headers, data)
        record = None
        if aid:
            record = dict(id=aid, name=what, target=target, status=None)
            self.actions.append(record)
        return data, record

    def wait_record(self, record):
        """Wait on a recorded action; its final status goes into the record."""
        try:
            action = self.wait_action(record['id'], record['name'])
        except ResourceFailed as exc:
            record['status'] = exc.details.get('status', '').split(' ')[0] or 'FAILED'
            raise
        record['status'] = _get(action, 'status')
        return action

    # -- actions -------------------------------------------------------------------------------------
    def get_action(self, action_id):
        return self.proxy.get_action(action_id)

    def wait_action(self, action_id, what):
        def failed(action):
            if _get(action, 'status') in ACTION_FAILURES:
                return self.failure_reason(action)
            return None

        def describe(action):
            return '%s %s' % (_get(action, 'status'), _get(action, 'status_reason') or '')

        return wait_for(lambda: self.get_action(action_id), lambda a: _get(a, 'status') == ACTION_SUCCEEDED,
                        failed, timeout=self.remaining(), what='%s (action %s)' % (what, action_id),
                        describe=describe, sleep=self.sleep, clock=self.clock)

    def failure_reason(self, action):
        """The action's status_reason, plus each failed node of its target with Senlin's and Heat's reasons.

        Senlin 16 leaves a cluster action's ``depends_on`` empty, so the failed nodes are looked up by the
        action's target (the cluster's nodes, or the node itself); the failed child actions named in
        ``depends_on`` are still reported when a Senlin version fills it.
        """
        reason = '%s: %s' % (_get(action, 'status'), _get(action, 'status_reason') or 'no reason given')
        details = []
        try:
            target = _get(action, 'target_id') or _get(action, 'target')
            details = [describe_problem(problem) for problem in self.failed_nodes(target)]
        except Exception:  # noqa: BLE001 - best effort while already failing
            details = []
        if not details:
            details = self._failed_children(action)
        if details:
            reason += ' [failed: %s]' % '; '.join(details)
        return reason

    def _failed_children(self, action):
        details = []
        for child_id in (_get(action, 'depends_on') or [])[:10]:
            try:
                child = self.get_action(child_id)
            except Exception:  # noqa: BLE001 - best effort while already failing
                continue
            if _get(child, 'status') in ACTION_FAILURES:
                details.append('%s on %s: %s' % (_get(child, 'name') or _get(child, 'action'),
                                                 _get(child, 'target_id'), _get(child, 'status_reason')))
        return details

    # -- health of a cluster's nodes -----------------------------------------------------------------
    @property
    def heat(self):
        if self._heat is None:
            self._heat = _heat.HeatApi(self.conn)
        return self._heat

    def failed_nodes(self, target_id):
        """Problems ([NodeProblem]) of the failed nodes of a cluster or of one node (the action's target)."""
        if not target_id:
            return []
        cluster = self.get('cluster', target_id)
        if cluster is not None:
            problems, _orphans = self.cluster_health(cluster, heat_nodes=None)
        else:
            node = self.get('node', target_id)
            if node is None:
                return []
            stacks = self.node_stacks(node_id=node['id'])
            problems, _orphans = assess_nodes([node], stacks, heat_nodes=bool(stacks))
        for problem in problems[:10]:
            self.add_stack_failure(problem)
        return problems

    def node_stacks(self, cluster_id=None, node_id=None):
        """The Heat stacks Senlin made for a cluster's nodes (or one node), found by the tags it sets.
        [] when Heat is not in the catalog."""
        tag = 'cluster_id=%s' % cluster_id if cluster_id else 'cluster_node_id=%s' % node_id
        try:
            return self.heat.list_stacks({'tags': tag})
        except (sdk_exceptions.EndpointNotFound, sdk_exceptions.NotFoundException):
            return []

    def add_stack_failure(self, problem):
        """Fill ``problem.stack_failure`` with Heat's own reason (stack status reason, failed resources)."""
        stack = problem.stack
        if not stack or not _heat.is_failed_status(stack.get('stack_status')):
            return
        try:
            failed, stack_reason = _heat.StackRunner(self.heat).failure_details(stack)
        except sdk_exceptions.HttpException:
            failed, stack_reason = [], None
        text = '%s: %s' % (stack.get('stack_status'), stack.get('stack_status_reason') or stack_reason
                           or 'no reason given')
        extra = ['%s (%s): %s' % (r.get('name'), r.get('type'), r.get('reason')) for r in failed
                 if r.get('reason') and r['reason'] not in text]
        if extra:
            text += ' [failed resources: %s]' % '; '.join(extra)
        problem.stack_failure = text

    def cluster_health(self, cluster, heat_nodes):
        """``assess_nodes`` of a cluster: ([NodeProblem], [orphan stack]).

        ``heat_nodes`` None: not known (failure messages); taken as true when Heat has stacks tagged with the
        cluster."""
        nodes = self.list('node', cluster_id=cluster['id'])
        stacks = self.node_stacks(cluster_id=cluster['id']) if heat_nodes is not False else []
        if heat_nodes is None:
            heat_nodes = bool(stacks)
        if heat_nodes:
            stacks += self.untagged_stacks(nodes, stacks)
        return assess_nodes(nodes, stacks, heat_nodes)

    def untagged_stacks(self, nodes, stacks):
        """The nodes' stacks that the tag query did not return, looked up by id (one GET each).

        Senlin 16 updates a node's stack (a profile change) without its tags, and Heat then drops them, so
        after a profile update the stacks no longer carry ``cluster_id=``; a stack that is really gone is not
        found here either."""
        known = set(s.get('id') for s in stacks)
        found = []
        for node in nodes:
            physical_id = node.get('physical_id')
            if physical_id and physical_id not in known and node.get('status') not in NODE_BUSY:
                stack = self.heat.find_stack(physical_id, resolve_outputs=False)
                if stack:
                    found.append(stack)
        return found

    def delete_stacks(self, stacks):
        """Delete Heat stacks (left behind by failed node creates) and, when waiting, wait until they are gone."""
        for stack in stacks:
            self.heat.delete_stack(stack)
        if not self.wait:
            return
        for stack in stacks:
            self._wait_stack_gone(stack)

    def _wait_stack_gone(self, stack):
        def failed(found):
            if found.get('stack_status') == 'DELETE_FAILED':
                return found.get('stack_status_reason') or 'DELETE_FAILED'
            return None

        wait_for(lambda: self.heat.get_stack(stack, resolve_outputs=False), lambda found: found is None, failed,
                 timeout=self.remaining(), what="deletion of stack '%s'" % stack.get('stack_name'),
                 describe=lambda found: found.get('stack_status'), sleep=self.sleep, clock=self.clock)

    # -- finding -------------------------------------------------------------------------------------
    def list(self, kind, **query):
        path, _one, many = KINDS[kind]
        items = []
        marker = None
        while True:
            params = dict((k, v) for k, v in query.items() if v is not None)
            if marker:
                params['marker'] = marker
            url = path
            if params:
                url += '?' + '&'.join('%s=%s' % (k, _quote(v)) for k, v in sorted(params.items()))
            page = self.get_json(url).get(many) or []
            items.extend(page)
            # Senlin pages only when asked (limit); without a limit it returns all
            if not query.get('limit') or len(page) < int(query['limit']):
                return items
            marker = page[-1]['id']

    def get(self, kind, ident):
        path, one, _many = KINDS[kind]
        try:
            return self.get_json('%s/%s' % (path, ident)).get(one)
        except sdk_exceptions.NotFoundException:
            return None

    def find(self, kind, name_or_id, required=False):
        """One object by id or exact name; None (or NotFound when ``required``); Ambiguous on duplicates."""
        if name_or_id is None:
            return None
        name_or_id = str(name_or_id)
        if looks_like_id(name_or_id):
            found = self.get(kind, name_or_id)
            if found:
                return found
        matches = [item for item in self.list(kind, name=name_or_id) if item.get('name') == name_or_id]
        if len(matches) > 1:
            raise Ambiguous(kind, name_or_id, [m['id'] for m in matches])
        if matches:
            return matches[0]
        if required:
            raise NotFound("%s '%s' does not exist." % (kind.capitalize(), name_or_id), **{kind: name_or_id})
        return None

    # -- validation ----------------------------------------------------------------------------------
    def validate_spec(self, kind, spec):
        """Senlin's own validation of a profile/policy spec (POST .../validate, no object created)."""
        if not isinstance(spec, dict) or not spec.get('type') or spec.get('version') is None:
            raise InvalidInput('The %s spec needs "type", "version" and "properties" (got %r).'
                               % (kind, sorted(spec) if isinstance(spec, dict) else spec))
        path = '/profiles/validate' if kind == 'profile' else '/policies/validate'
        try:
            self.request('POST', path, {kind: {'spec': spec}}, retry_locked=False)
        except sdk_exceptions.HttpException as exc:
            raise InvalidInput('The %s spec (type %s-%s) fails Senlin\'s validation: %s'
                               % (kind, spec.get('type'), spec.get('version'),
                                  getattr(exc, 'details', None) or exc),
                               status_code=getattr(exc, 'status_code', None))


def _quote(value):
    try:
        from urllib.parse import quote
    except ImportError:  # pragma: no cover - Python 2
        from urllib import quote
    return quote(str(value), safe='')


def diff_for_create(desired):
    """The diff of a creation: before {state: absent}, after {state: present, <the options set>}."""
    diff = Difference()
    diff.add('state', 'absent', 'present')
    diff.add('attributes', None, dict((k, v) for k, v in desired.items() if v is not None))
    return diff


def diff_for_delete(before):
    diff = Difference()
    diff.add('state', 'present', 'absent')
    return diff


# -- profiles ---------------------------------------------------------------------------------------

def profile_users(client, profile_id):
    """Names/ids of clusters and nodes that use a profile (what blocks deleting it)."""
    users = ['cluster %s' % c['name'] for c in client.list('cluster') if c.get('profile_id') == profile_id]
    users += ['node %s' % n['name'] for n in client.list('node') if n.get('profile_id') == profile_id]
    return users


def delete_profile_if_unused(client, profile_id, warn=None):
    """Delete a profile; when Senlin says it is still in use (409), leave it and warn. True when deleted."""
    try:
        client.request('DELETE', '/profiles/%s' % profile_id, retry_locked=False)
        return True
    except sdk_exceptions.ConflictException as exc:
        if warn:
            warn('Profile %s was kept: %s' % (profile_id, getattr(exc, 'details', None) or exc))
        return False
    except sdk_exceptions.NotFoundException:
        return False


def create_profile(client, name, spec, metadata=None):
    body = dict(name=name, spec=spec)
    if metadata is not None:
        body['metadata'] = metadata
    return client.request('POST', '/profiles', {'profile': body}).json()['profile']


# -- clusters ---------------------------------------------------------------------------------------

class ClusterPlan(object):
    """What the cluster module will do: a Difference plus ordered steps."""

    def __init__(self):
        self.diff = Difference()
        self.create = None          # create body
        self.new_profile = None     # (name, spec, metadata) to create before create/update
        self.update = {}            # PATCH body (name, metadata, timeout, config, profile_id, profile_only)
        self.resize = None          # resize body
        self.old_profile_id = None  # managed profile to delete after the switch
        self.delete = False
        self.profile_name = None    # name of the module-made profiles
        self.keep_failed = False    # keep stacks of failed node creates (listed) instead of deleting them
        self.health = HealthReport()

    @property
    def changed(self):
        return self.diff.changed


def plan_cluster(current, params, current_profile=None, wanted_profile=None, warn=None):
    """Plan a cluster change. ``current``: the cluster dict or None; ``params``: the module params.

    ``current_profile``: the cluster's profile dict (when ``profile_spec`` is used and the cluster exists);
    ``wanted_profile``: the profile dict named by ``profile`` (or the reusable one for ``profile_spec``).
    """
    plan = ClusterPlan()
    plan.profile_name = params.get('profile_name') or params.get('new_name') or params['name']
    if params.get('state') == 'absent':
        if current:
            plan.delete = True
            plan.diff.merge(diff_for_delete(current))
    elif current is None:
        _plan_create(plan, params, wanted_profile)
    else:
        _plan_update(plan, current, params, current_profile, wanted_profile)
    return plan


def _managed_profile(name, spec):
    return (name, spec, {MANAGED_KEY: 'cloudrise.openstack.cluster'})


def _is_managed(profile):
    return bool(((profile or {}).get('metadata') or {}).get(MANAGED_KEY))


def _plan_create(plan, params, wanted_profile):
    sizes = dict((k, params.get(k)) for k in ('min_size', 'max_size', 'desired_capacity'))
    eff = effective_sizes(sizes)
    body = dict(name=params.get('new_name') or params['name'], desired_capacity=eff['desired_capacity'],
                min_size=eff['min_size'], max_size=eff['max_size'])
    for opt, key in (('metadata', 'metadata'), ('cluster_timeout', 'timeout'), ('config', 'config')):
        if params.get(opt) is not None:
            body[key] = params[opt]
    spec = params.get('profile_spec')
    if spec is None:
        body['profile_id'] = wanted_profile['id']
    elif wanted_profile and spec_equal(spec, wanted_profile.get('spec')):
        body['profile_id'] = wanted_profile['id']
    else:
        plan.new_profile = _managed_profile(plan.profile_name, spec)
        if _is_managed(wanted_profile):
            plan.old_profile_id = wanted_profile['id']
    plan.create = body
    shown = dict(body)
    shown['profile'] = plan.profile_name if plan.new_profile else wanted_profile.get('name')
    shown.pop('profile_id', None)
    plan.diff.merge(diff_for_create(shown))


def _plan_update(plan, current, params, current_profile, wanted_profile):
    sizes = dict((k, params.get(k)) for k in ('min_size', 'max_size', 'desired_capacity'))
    eff = effective_sizes(sizes, current)
    new_name = params.get('new_name')
    if new_name and new_name != current.get('name'):
        plan.update['name'] = new_name
        plan.diff.add('name', current.get('name'), new_name)
    for opt, key, method in (('metadata', 'metadata', 'dict'), ('cluster_timeout', 'timeout', 'value'),
                             ('config', 'config', 'dict')):
        if params.get(opt) is not None and plan.diff.compare(opt, params[opt], current.get(key), method):
            plan.update[key] = params[opt]
    _plan_profile_change(plan, current, params, current_profile, wanted_profile)
    if any(sizes[k] is not None for k in sizes):
        plan.resize = resize_body(eff, current, params.get('strict'))
    if plan.resize:
        for key in ('min_size', 'max_size', 'desired_capacity'):
            if eff[key] != current.get(key):
                plan.diff.add(key, current.get(key), eff[key])


def _plan_profile_change(plan, current, params, current_profile, wanted_profile):
    spec = params.get('profile_spec')
    if spec is not None:
        old_spec = (current_profile or {}).get('spec')
        if spec_equal(spec, old_spec):
            return
        if heat_parameter_only_change(old_spec, spec) and not params.get('profile_only') and current.get('nodes'):
            raise InvalidInput(
                'The new os.heat.stack profile spec changes only properties other than the template '
                '(parameters, timeout, environment, files, disable_rollback). Senlin 16 applies that to the '
                'existing nodes with a stack update that has no template and Heat rejects it '
                '(400 "No template specified"; the nodes would go ERROR). Change the template as well, '
                'or set profile_only=true to use the new profile for new nodes only.')
        plan.new_profile = _managed_profile(plan.profile_name, spec)
        if _is_managed(current_profile):
            plan.old_profile_id = current_profile['id']
        plan.diff.add('profile_spec', old_spec, spec)
        plan.update['profile_id'] = None  # filled with the new profile's id at apply time
    elif wanted_profile is not None and wanted_profile['id'] != current.get('profile_id'):
        plan.update['profile_id'] = wanted_profile['id']
        plan.diff.add('profile', current.get('profile_name') or current.get('profile_id'), wanted_profile.get('name'))
    else:
        return
    if params.get('profile_only'):
        plan.update['profile_only'] = True


def predicted_cluster(current, plan):
    """The cluster as it will be after ``plan`` (check mode's answer)."""
    if plan.delete:
        return None
    data = dict(current or {})
    if plan.create:
        data.update(plan.create)
        data.setdefault('nodes', [])
        data['status'] = 'ACTIVE'
    for key, value in plan.update.items():
        if key != 'profile_only' and value is not None:
            data[key] = value
    if plan.resize:
        if 'number' in plan.resize:
            data['desired_capacity'] = plan.resize['number']
        for key in ('min_size', 'max_size'):
            if key in plan.resize:
                data[key] = plan.resize[key]
    return data


def delete_managed_profiles(client, profile_ids, profile_name=None, warn=None):
    """Delete the module-made profiles among ``profile_ids`` and those named ``profile_name``, when unused."""
    candidates = {}
    for pid in profile_ids:
        profile = client.get('profile', pid) if pid else None
        if profile:
            candidates[profile['id']] = profile
    if profile_name:
        for profile in client.list('profile', name=profile_name):
            candidates.setdefault(profile['id'], profile)
    for pid, profile in sorted(candidates.items()):
        if (profile.get('metadata') or {}).get(MANAGED_KEY):
            delete_profile_if_unused(client, pid, warn)


def _delete_cluster(client, cluster, plan, warn=None):
    client.write('DELETE', '/clusters/%s' % cluster['id'], None, 'CLUSTER_DELETE', cluster['id'])
    if not client.wait:
        return
    delete_managed_profiles(client, [cluster.get('profile_id')], plan.profile_name, warn)
    # Senlin deletes its nodes' stacks, not those that failed node creates left behind
    left = [s for s in client.node_stacks(cluster_id=cluster['id'])
            if not str(s.get('stack_status') or '').startswith('DELETE')]
    if left and plan.keep_failed:
        plan.health.kept = left
    elif left:
        plan.health.removed = left
        client.delete_stacks(left)


def apply_cluster(client, current, plan, warn=None):
    """Carry out ``plan`` (never called in check mode). Returns the cluster dict afterwards (None when deleted)."""
    if plan.delete:
        _delete_cluster(client, current, plan, warn)
        return None

    new_profile_id = None
    if plan.new_profile:
        name, spec, metadata = plan.new_profile
        new_profile_id = create_profile(client, name, spec, metadata)['id']
        if plan.create is not None:
            plan.create['profile_id'] = new_profile_id
        else:
            plan.update['profile_id'] = new_profile_id
    try:
        if plan.create is not None:
            data, record = client.start('POST', '/clusters', {'cluster': plan.create}, 'CLUSTER_CREATE')
            cluster_id = data['cluster']['id']
            new_profile_id = None  # in use by the cluster from now on
            if record:
                record['target'] = cluster_id
                if client.wait:
                    client.wait_record(record)
        else:
            cluster_id = current['id']
        if plan.update:
            client.write('PATCH', '/clusters/%s' % cluster_id, {'cluster': plan.update}, 'CLUSTER_UPDATE',
                         cluster_id)
            new_profile_id = None
    except (CloudModuleError, sdk_exceptions.HttpException):
        if new_profile_id:
            delete_profile_if_unused(client, new_profile_id)
        raise
    if plan.old_profile_id and client.wait:
        delete_profile_if_unused(client, plan.old_profile_id, warn if plan.create is None else None)
    if plan.resize:
        client.write('POST', '/clusters/%s/actions' % cluster_id, {'resize': plan.resize}, 'CLUSTER_RESIZE',
                     cluster_id)
    return client.get('cluster', cluster_id)


def is_heat_profile(profile):
    return str((profile or {}).get('type') or '').startswith(HEAT_PROFILE)


class HealthReport(object):
    """What ``converge_health`` found and did: the result keys of the cluster module."""

    def __init__(self):
        self.repaired = []   # NodeProblem: nodes recreated (or, in check mode, to be recreated)
        self.removed = []    # stacks deleted (or to be deleted)
        self.kept = []       # stacks left behind on purpose (keep_failed)

    def result(self):
        def stack(s):
            return dict(id=s.get('id'), name=s.get('stack_name'), status=s.get('stack_status'),
                        reason=s.get('stack_status_reason'))
        return dict(repaired_nodes=[p.as_dict() for p in self.repaired],
                    removed_stacks=[stack(s) for s in self.removed], failed_stacks=[stack(s) for s in self.kept])


def converge_health(client, cluster, diff, heat_nodes, check_mode=False, repair=True, keep_failed=False,
                    failure=None):
    """Make ``state: present`` true: every node of the cluster ACTIVE (and, for os.heat.stack nodes, backed
    by a usable Heat stack), and no stack of a failed node create left behind.

    Broken nodes are recreated with Senlin's node recover (``operation: RECREATE``): on Senlin 16 with real
    Heat it deletes the node's stack (if any) and creates a new one, also for a node that never got a stack
    or whose stack was deleted out of band (a cluster ``recover`` skips nodes Senlin still thinks ACTIVE, and
    ``replace_nodes`` cannot move os.heat.stack nodes between clusters). All recovers run at once.
    ``failure``: the ResourceFailed of this task's own cluster action, reported if the repair fails too.
    Raises ResourceFailed, naming each node with Senlin's and Heat's reasons, when a node stays broken.
    Returns a HealthReport.
    """
    report = HealthReport()
    problems, orphans = client.cluster_health(cluster, heat_nodes)
    if problems and not repair:
        _raise_unhealthy(client, cluster, problems, 'has broken nodes (repair=false)', failure)
    if problems:
        report.repaired = problems
        diff.add('nodes', dict((p.name, p.why) for p in problems), dict((p.name, 'ACTIVE (recreated)') for p in problems))
        if check_mode:
            # the recover deletes each node's own stack; the others it had become orphans
            physical = set(p.node.get('physical_id') for p in problems)
            orphans = orphans + [p.stack for p in problems if p.stack and p.stack.get('id') not in physical
                                 and p.stack not in orphans]
        elif not client.wait:
            _start_recovers(client, problems)
            return report
        else:
            orphans = _recreate_nodes(client, cluster, heat_nodes, problems, keep_failed, failure)
    if orphans and keep_failed:
        report.kept = orphans
    elif orphans:
        report.removed = orphans
        diff.add('failed_stacks', sorted(s.get('stack_name') for s in orphans), [])
        if not check_mode:
            client.delete_stacks(orphans)
    return report


def _start_recovers(client, problems):
    return [client.start('POST', '/nodes/%s/actions' % p.node['id'], {'recover': {'operation': 'RECREATE'}},
                         'NODE_RECOVER', p.node['id'])[1] for p in problems]


def _recreate_nodes(client, cluster, heat_nodes, problems, keep_failed, failure):
    """Recover (RECREATE) every broken node at once and wait; returns the orphan stacks afterwards, or raises
    when a node is still broken (after deleting the orphans unless ``keep_failed``)."""
    for problem in problems:   # describe them now: their failed stacks are deleted afterwards
        client.add_stack_failure(problem)
    for record in _start_recovers(client, problems):
        if record:
            try:
                client.wait_record(record)
            except ResourceFailed:
                pass  # the nodes are looked at again below
    still, orphans = client.cluster_health(cluster, heat_nodes)
    if still:
        for problem in still:
            client.add_stack_failure(problem)
        if orphans and not keep_failed:
            client.delete_stacks(orphans)
        _raise_unhealthy(client, cluster, still, 'could not be made healthy: the recreated nodes failed', failure,
                         before=problems)
    return orphans


def _raise_unhealthy(client, cluster, problems, what, failure=None, before=None):
    msg = "Cluster '%s' %s: %s" % (cluster.get('name'), what, '; '.join(describe_problem(p) for p in problems))
    if failure is not None:   # its message already names the nodes as they were before the repair
        msg = '%s. %s' % (failure.msg, msg)
    elif before:
        msg += '. Before the repair: %s' % '; '.join(describe_problem(p) for p in before)
    raise ResourceFailed(msg, cluster=cluster.get('id'), failed_nodes=[p.as_dict() for p in problems],
                         actions=client.actions)


def cluster_action(client, cluster_id, name, params=None):
    """Start (and wait on) a cluster action such as check or recover."""
    client.write('POST', '/clusters/%s/actions' % cluster_id, {name: params or {}}, 'CLUSTER_%s' % name.upper(),
                 cluster_id)


# -- nodes ------------------------------------------------------------------------------------------

def check_can_leave(cluster, node, verb):
    """A member may leave (be deleted or moved out) only when its cluster stays at or above min_size."""
    if not cluster:
        return
    size = cluster.get('desired_capacity')
    if size is None:
        size = len(cluster.get('nodes') or [])
    if size - 1 < (cluster.get('min_size') or 0):
        raise InvalidInput("Node '%s' cannot be %s: cluster '%s' would have %s node(s), below its min_size %s."
                           % (node.get('name'), verb, cluster.get('name'), size - 1, cluster.get('min_size')),
                           cluster=cluster.get('id'))


def check_can_join(cluster, node_name):
    """A node may join a cluster only when the cluster stays at or below max_size (-1 = no limit)."""
    max_size = cluster.get('max_size')
    size = cluster.get('desired_capacity')
    if size is None:
        size = len(cluster.get('nodes') or [])
    if max_size is not None and max_size >= 0 and size + 1 > max_size:
        raise InvalidInput("Node '%s' cannot join cluster '%s': it would have %s node(s), above its max_size %s."
                           % (node_name, cluster.get('name'), size + 1, max_size), cluster=cluster.get('id'))


def check_operation(client, node, operation):
    """Fail before any write when the node's profile type does not offer ``operation``."""
    profile = client.get('profile', node.get('profile_id')) if node.get('profile_id') else None
    if not profile:
        return
    ptype = profile.get('type')
    ops = client.get_json('/profile-types/%s/ops' % _quote(ptype)).get('operations') or {}
    if operation not in ops:
        raise InvalidInput("Operation '%s' is not offered by profile type %s (it offers: %s)."
                           % (operation, ptype, ', '.join(sorted(ops)) or 'none'))


# -- policies ---------------------------------------------------------------------------------------

def policy_bindings(client, policy_id, clusters=None, names=None):
    """{cluster_id: enabled} of a policy's bindings.

    With ``clusters`` (ids) only those clusters are looked at (one GET each); otherwise every cluster of
    the project. ``names`` (a dict) is filled with cluster id -> name.
    """
    names = names if names is not None else {}
    found = {}
    if clusters is not None:
        for cid in clusters:
            try:
                binding = client.get_json('/clusters/%s/policies/%s' % (cid, policy_id)).get('cluster_policy')
            except sdk_exceptions.NotFoundException:
                continue
            if binding:
                found[cid] = bool(binding.get('enabled'))
                names.setdefault(cid, binding.get('cluster_name'))
        return found
    for cluster in client.list('cluster'):
        names.setdefault(cluster['id'], cluster.get('name'))
        for binding in client.get_json('/clusters/%s/policies' % cluster['id']).get('cluster_policies') or []:
            if binding.get('policy_id') == policy_id:
                found[cluster['id']] = bool(binding.get('enabled'))
    return found


def named_bindings(bindings, names):
    return dict((names.get(cid) or cid, enabled) for cid, enabled in bindings.items())


def binding_list(bindings, names):
    return [dict(cluster_id=cid, cluster_name=names.get(cid), enabled=enabled)
            for cid, enabled in sorted(bindings.items(), key=lambda kv: (names.get(kv[0]) or kv[0]))]


def apply_bindings(client, policy_id, attach, update, detach):
    """Detach, then update, then attach (each a cluster action, waited on)."""
    for cid in detach:
        client.write('POST', '/clusters/%s/actions' % cid, {'policy_detach': {'policy_id': policy_id}},
                     'CLUSTER_DETACH_POLICY', cid)
    for cid, enabled in sorted(update.items()):
        client.write('POST', '/clusters/%s/actions' % cid,
                     {'policy_update': {'policy_id': policy_id, 'enabled': enabled}}, 'CLUSTER_UPDATE_POLICY', cid)
    for cid, enabled in sorted(attach.items()):
        client.write('POST', '/clusters/%s/actions' % cid,
                     {'policy_attach': {'policy_id': policy_id, 'enabled': enabled}}, 'CLUSTER_ATTACH_POLICY', cid)


# -- receivers --------------------------------------------------------------------------------------

class ReceiverPlan(object):
    def __init__(self):
        self.diff = Difference()
        self.create = None
        self.update = {}
        self.delete = False
        self.predicted = None

    @property
    def changed(self):
        return self.diff.changed


def plan_receiver(current, params, cluster=None):
    """Plan a receiver change. ``cluster`` is the resolved target cluster dict (or None)."""
    plan = ReceiverPlan()
    if params.get('state') == 'absent':
        if current:
            plan.delete = True
            plan.diff.merge(diff_for_delete(current))
        return plan
    rtype = params.get('type') or 'webhook'
    replace = current is not None and (
        current.get('type') != rtype or (cluster is not None and current.get('cluster_id') != cluster['id']))
    if current is None or replace:
        _plan_receiver_create(plan, current, params, cluster, rtype)
        return plan
    if plan.diff.compare('action', params.get('action'), current.get('action')):
        plan.update['action'] = params['action']
    if plan.diff.compare('params', params.get('params'), current.get('params'), 'dict'):
        plan.update['params'] = params['params']
    plan.predicted = dict(current, **plan.update)
    return plan


def _plan_receiver_create(plan, current, params, cluster, rtype):
    """Create (``current`` None) or replace (delete + create) a receiver."""
    if rtype == 'webhook' and (cluster is None or not params.get('action')):
        raise InvalidInput('A webhook receiver needs cluster and action.')
    body = dict(name=params['name'], type=rtype, params=params.get('params') or {})
    if cluster is not None:
        body['cluster_id'] = cluster['id']
    if params.get('action'):
        body['action'] = params['action']
    plan.create = body
    plan.predicted = dict(body, channel={})
    if current is None:
        shown = dict(body)
        if cluster is not None:
            shown['cluster'] = cluster.get('name')
        plan.diff.merge(diff_for_create(shown))
        return
    plan.delete = True
    for key in ('type', 'cluster_id', 'action', 'params'):
        if key in body:
            plan.diff.compare(key, body[key], current.get(key), 'dict' if key == 'params' else 'value')
    plan.diff.add('alarm_url', receiver_url(current), '(new URL)', secret=params.get('hide_url'))


def apply_receiver(client, current, plan):
    if plan.delete and current:
        client.request('DELETE', '/receivers/%s' % current['id'], retry_locked=False)
    if plan.create is not None:
        return client.request('POST', '/receivers', {'receiver': plan.create}).json()['receiver']
    if plan.update:
        return client.request('PATCH', '/receivers/%s' % current['id'], {'receiver': plan.update}).json()['receiver']
    return None


# -- info -------------------------------------------------------------------------------------------

def list_clusters(client, name=None, status=None):
    """Clusters by name or id and/or status, sorted by name; [] when none match."""
    if name and looks_like_id(name):
        found = client.get('cluster', name)
        clusters = [found] if found else []
        if not clusters:
            clusters = client.list('cluster', name=name)
    else:
        clusters = client.list('cluster', name=name)
    if name:
        clusters = [c for c in clusters if c.get('name') == name or c.get('id') == name]
    if status:
        clusters = [c for c in clusters if c.get('status') == status.upper()]
    return sorted(clusters, key=lambda c: (c.get('name') or '', c.get('id')))


HEAT_MEMBERSHIP_HINT = (
    " Senlin 16 with os.heat.stack nodes: joining or leaving a cluster rewrites the stack's tags with a Heat "
    "stack update that carries no template, and Heat rejects it (400 \"No template specified\"), so such a node "
    "cannot be moved; create it in its cluster instead (cluster option when the node is created).")


def change_membership(client, node, cluster_id, body, what, heat):
    """Add a node to / remove it from a cluster and check that it really did (Senlin 16 may report a
    CLUSTER_ADD_NODES as SUCCEEDED although its NODE_JOIN failed)."""
    want = cluster_id if 'add_nodes' in body else ''
    hint = HEAT_MEMBERSHIP_HINT if heat else ''
    try:
        client.write('POST', '/clusters/%s/actions' % cluster_id, body, what, cluster_id)
    except ResourceFailed as exc:
        raise ResourceFailed(exc.msg + hint + restore_capacity(client, cluster_id), **exc.details)
    if client.wait:
        after = client.get('node', node['id']) or {}
        if (after.get('cluster_id') or '') != want:
            raise ResourceFailed('%s reported success but node %s is %s.%s%s'
                                 % (what, node.get('name'), 'in cluster %s' % after.get('cluster_id')
                                    if after.get('cluster_id') else 'in no cluster', hint,
                                    restore_capacity(client, cluster_id)), node=node['id'])


def restore_capacity(client, cluster_id):
    """After a failed add/del of nodes Senlin 16 keeps the cluster's new desired_capacity although the nodes
    did not move: set it back to the number of member nodes (a resize that creates/deletes nothing).
    Returns a sentence for the error message ('' when there was nothing to repair)."""
    cluster = client.get('cluster', cluster_id)
    if not cluster:
        return ''
    count = len(cluster.get('nodes') or [])
    desired = cluster.get('desired_capacity')
    if desired == count:
        return ''
    left = ' Senlin left cluster %s with desired_capacity %s for %s node(s)' % (cluster.get('name'), desired, count)
    lo, hi = cluster.get('min_size') or 0, cluster.get('max_size')
    if count < lo or (hi is not None and hi >= 0 and count > hi):
        return left + '.'
    try:
        client.write('POST', '/clusters/%s/actions' % cluster_id,
                     {'resize': {'adjustment_type': 'EXACT_CAPACITY', 'number': count}}, 'CLUSTER_RESIZE', cluster_id)
    except (CloudModuleError, sdk_exceptions.HttpException) as exc:
        return left + '; setting it back to %s failed: %s' % (count, getattr(exc, 'msg', None) or exc)
    return left + '; the module set it back to %s.' % count
