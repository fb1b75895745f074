# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Senlin REST client: requests (with the 409-locked retry), finding objects, actions and their waits.

Everything that changes state in Senlin is an asynchronous *action*: the API answers 202 with the
action's URL in the ``Location`` header (or ``{"action": id}`` in the body). ``SenlinClient`` sends the
write itself (so error bodies always raise, unlike some openstacksdk clustering calls that return them
as dicts), records the action, and waits on the action, not on the cluster's status. A failed action's
message names the failed nodes with Senlin's and Heat's reasons (``health.py`` judges the nodes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import failure_details, is_failed_status
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import Ambiguous, InvalidInput, NotFound, ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import get_value
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import MARKED_KINDS, MARKER_KEY, split_duplicates
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.health import NODE_BUSY, assess_nodes, describe_problem
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.listing import list_pages
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Backoff, Deadline, retry, wait_for

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

MICROVERSION = '1.12'
ACTION_SUCCEEDED = 'SUCCEEDED'
ACTION_FAILURES = ('FAILED', 'CANCELLED')
# Senlin 16 marks a cluster action FAILED, with this reason, as soon as one of its node actions fails
# (db api _mark_failed cascades to the dependents) while the cluster action still runs: it then ends itself,
# updates the cluster (desired_capacity, status) and sets its own reason. A wait that returned at the cascade
# let the next step read the cluster before that update. Such an action is polled on until its own reason
# shows, for at most CASCADE_GRACE seconds (it notices within its child-action poll: 3 s stock).
CASCADED_FAILURE = 'Action execution failed'
CASCADE_GRACE = 20

# The polls of an action. A Senlin action ends at a moment no poll can predict (a cluster action looks at its node
# actions every 3 s), so the poll that sees the end comes on average half an interval late, plus the GET itself:
# _wait.DEFAULT_BACKOFF's 0.5 s cap made that 0.3 s (median, benchmarks/senlin_bench.py), and its 5 s after a minute
# 2.5 s. A poll is one small GET: every 0.25 s at most (0.16 s median), every second after a minute.
ACTION_BACKOFF = Backoff(first=0.1, factor=1.5, cap=0.25, late_after=60.0, late_cap=1.0)

# kind -> (list path, response key of one, response key of many)
KINDS = {
    'cluster': ('/clusters', 'cluster', 'clusters'),
    'node': ('/nodes', 'node', 'nodes'),
    'profile': ('/profiles', 'profile', 'profiles'),
    'policy': ('/policies', 'policy', 'policies'),
    'receiver': ('/receivers', 'receiver', 'receivers'),
}


def in_parallel(first, second):
    """``(first(), second())``, ``second`` run in a thread meanwhile: two reads of different services (Senlin's
    nodes, Heat's stacks) take the time of the slower one, not of both (after an action this is the module's
    answer's lag). An exception of either is raised (``first``'s when both fail)."""
    outcome = {}

    def run_second():
        try:
            outcome['value'] = second()
        except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
            outcome['error'] = exc

    worker = threading.Thread(target=run_second, name='senlin-parallel-read')
    worker.daemon = True
    worker.start()
    try:
        value = first()
    finally:
        worker.join()
    if 'error' in outcome:
        raise outcome['error']
    return value, outcome['value']


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


class SenlinClient(object):
    """Finds Senlin objects, sends writes, records and waits on their actions.

    ``check_mode`` is not handled here: callers skip writes in check mode. ``actions`` lists every
    action started: ``{'id', 'name', 'target', 'status'}``.
    """

    def __init__(self, conn, wait=True, timeout=180, deadline=None, heat=None):
        self.conn = conn
        self.wait = wait
        self.deadline = deadline if deadline is not None else Deadline(timeout)   # the whole task's budget
        self.actions = []
        self.markers = {}   # object id -> the create token found in its metadata
        self.orphans = []   # [(kind, object)]: duplicates left by an interrupted create, to delete (create.py)
        self.twins = []     # [(kind, object)]: this run's objects deleted for a concurrent run's older twin
        self.twin_clock = {}   # object id -> when this run created it (create.settle_twins)
        self.adopted = set()   # ids of a concurrent run's objects this run uses instead of its own
        self._proxy = None
        self._heat = heat

    @property
    def proxy(self):
        if self._proxy is None:
            self._proxy = self.conn.clustering
        return self._proxy

    # -- HTTP ---------------------------------------------------------------------------------------
    def request(self, method, path, body=None, retry_locked=True):
        """Send one request; raise the SDK's HttpException on an error status.

        A 409 that says the target is locked (another action runs on it) is retried until the deadline:
        that is a resource in transition, not a conflict of the user's making.
        """
        kwargs = {}
        if body is not None:
            kwargs['json'] = body

        def locked(response):
            return response.status_code == 409 and 'lock' in (response.text or '').lower()

        def send():
            return self.proxy.request(path, method, **kwargs)

        response = retry(send, locked, self.deadline) if retry_locked else send()
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
        record['status'] = get_value(action, 'status')
        return action

    # -- actions -------------------------------------------------------------------------------------
    def get_action(self, action_id):
        return self.proxy.get_action(action_id)

    def wait_action(self, action_id, what):
        cascaded_since = []

        def failed(action):
            if get_value(action, 'status') not in ACTION_FAILURES:
                return None
            if get_value(action, 'status') == 'FAILED' and get_value(action, 'status_reason') == CASCADED_FAILURE:
                # marked FAILED by a failed child while it still runs: wait (a while) for its own end and reason
                clock = self.deadline.clock
                cascaded_since.append(clock())
                if clock() - cascaded_since[0] < CASCADE_GRACE and self.deadline.remaining() > 0:
                    return None
            return self.failure_reason(action)

        def describe(action):
            return '%s %s' % (get_value(action, 'status'), get_value(action, 'status_reason') or '')

        return wait_for(lambda: self.get_action(action_id), lambda a: get_value(a, 'status') == ACTION_SUCCEEDED,
                        failed, deadline=self.deadline, what='%s (action %s)' % (what, action_id),
                        describe=describe, backoff=ACTION_BACKOFF)

    def failure_reason(self, action):
        """The action's status_reason, plus each failed node of its target with Senlin's and Heat's reasons.

        Senlin 16 leaves a cluster action's ``depends_on`` empty, so the failed nodes are looked up by the
        action's target (the cluster's nodes, or the node itself); the failed child actions named in
        ``depends_on`` are still reported when a Senlin version fills it.
        """
        reason = '%s: %s' % (get_value(action, 'status'), get_value(action, 'status_reason') or 'no reason given')
        details = []
        try:
            target = get_value(action, 'target_id') or get_value(action, 'target')
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
        for child_id in (get_value(action, 'depends_on') or [])[:10]:
            try:
                child = self.get_action(child_id)
            except Exception:  # noqa: BLE001 - best effort while already failing
                continue
            if get_value(child, 'status') in ACTION_FAILURES:
                details.append('%s on %s: %s' % (get_value(child, 'name') or get_value(child, 'action'),
                                                 get_value(child, 'target_id'), get_value(child, 'status_reason')))
        return details

    # -- health of a cluster's nodes -----------------------------------------------------------------
    @property
    def heat(self):
        if self._heat is None:
            self._heat = HeatApi(self.conn)
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
        if not stack or not is_failed_status(stack.get('stack_status')):
            return
        try:
            failed, stack_reason = failure_details(self.heat, stack)
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
        nodes, stacks = in_parallel(lambda: self.list('node', cluster_id=cluster['id']),
                                    lambda: self.node_stacks(cluster_id=cluster['id']) if heat_nodes is not False else [])
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
                 deadline=self.deadline, what="deletion of stack '%s'" % stack.get('stack_name'),
                 describe=lambda found: found.get('stack_status'))

    # -- finding -------------------------------------------------------------------------------------
    def list(self, kind, **query):
        """Every object of ``kind`` that matches Senlin's filters ``query``; ``limit`` is the page size
        (``listing.list_pages``: Senlin returns all in one answer when no limit is sent)."""
        path, _one, many = KINDS[kind]
        page_size = query.pop('limit', None)
        return [self.unmark(kind, item) for item in list_pages(self.get_json, path, many, query, page_size=page_size)]

    def get(self, kind, ident):
        path, one, _many = KINDS[kind]
        try:
            return self.unmark(kind, self.get_json('%s/%s' % (path, ident)).get(one))
        except sdk_exceptions.NotFoundException:
            return None

    def unmark(self, kind, item):
        """``item`` without the create token in its metadata (remembered in ``markers``); returns ``item``.

        The token (``create.py``) is taken out of every object read, so no comparison, plan or result sees it."""
        if kind in MARKED_KINDS and isinstance(item, dict) and isinstance(item.get('metadata'), dict) \
                and MARKER_KEY in item['metadata']:
            item['metadata'] = dict(item['metadata'])
            token = item['metadata'].pop(MARKER_KEY)
            if item.get('id'):
                self.markers[item['id']] = token
        return item

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
            keeper, orphans = split_duplicates(self, kind, matches)
            if keeper is None:
                raise Ambiguous(kind, name_or_id, [m['id'] for m in matches])
            self.orphans.extend((kind, orphan) for orphan in orphans)
            return keeper
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
