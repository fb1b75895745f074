# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan: each instance's status, the steps that bring it to the wanted state, and what is returned.

``PLANS`` is the table status -> steps per wanted state. ``plan_instances`` finds every instance in the
snapshot, validates it (image, NICs, candidate nodes, enough nodes for all) and returns an ``InstancesPlan``:
one ``Job`` per instance (its steps, run later by ``executor.py``) and the ``Difference`` behind ``changed``
and ``diff``. Nothing is written before the plan holds; check mode stops after it. The views are the
returned ``instances`` (after the apply, or as predicted in check mode).

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.api import not_found_error
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.matching import assign_nodes, candidate_nodes, node_label
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.spec import link_type
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Plan
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput

DEPLOYING_STATES = ('deploying', 'wait call-back', 'deploy wait', 'deploy hold', 'deploy complete')
UNDEPLOYING_STATES = ('deleting', 'cleaning', 'clean wait', 'clean hold', 'deleted')
# status -> metalsmith's InstanceState value (``maintenance`` for an active node in maintenance). metalsmith
# reports a reservation not yet deployed as ``deploying``; ``absent`` (no instance) is this collection's own.
METALSMITH_STATES = {
    'absent': 'absent', 'allocating': 'deploying', 'reserved': 'deploying', 'deploying': 'deploying',
    'active': 'active', 'allocation_error': 'error', 'deploy_failed': 'error', 'error': 'error',
}


def instance_status(current):
    """Status of the instance found for a hostname: absent, allocating, allocation_error, reserved,
    deploying, active, deploy_failed, undeploying, error or the node's provision state."""
    allocation, node = current.get('allocation'), current.get('node')
    if allocation is None and node is None:
        return 'absent'
    if allocation is not None and allocation.state == 'allocating':
        return 'allocating'
    if allocation is not None and (allocation.state == 'error' or node is None):
        return 'allocation_error'
    state = node.provision_state
    if state == 'available':
        return 'reserved'
    if state in DEPLOYING_STATES:
        return 'deploying'
    if state == 'deploy failed':
        return 'deploy_failed'
    if state in UNDEPLOYING_STATES:
        return 'undeploying'
    return state


def metalsmith_state(status, node=None):
    """metalsmith's ``Instance.state`` for a status: deploying, active, maintenance, error or unknown (or absent)."""
    state = METALSMITH_STATES.get(status, 'unknown')
    if state == 'active' and node is not None and node.is_maintenance:
        return 'maintenance'
    return state


# status -> steps, per wanted state. A missing status means "cannot act on it": fail before writes.
PLANS = {
    'present': {
        'absent': ['reserve', 'provision', 'wait_active'],
        'allocation_error': ['drop_allocation', 'reserve', 'provision', 'wait_active'],
        'allocating': ['wait_allocation', 'provision', 'wait_active'],
        'reserved': ['provision', 'wait_active'],
        'deploy_failed': ['provision', 'wait_active'],
        'deploying': ['wait_active'],
        'active': [],
    },
    'reserved': {
        'absent': ['reserve'],
        'allocation_error': ['drop_allocation', 'reserve'],
        'allocating': ['wait_allocation'],
        'reserved': [],
        'deploying': [],
        'active': [],
        'deploy_failed': [],
    },
    'absent': {
        'absent': [],
        'allocation_error': ['drop_allocation'],
        'allocating': ['wait_allocation', 'release'],
        'reserved': ['release'],
        'deploying': ['wait_deployed', 'undeploy', 'wait_available'],
        'active': ['undeploy', 'wait_available'],
        'deploy_failed': ['undeploy', 'wait_available'],
        'error': ['undeploy', 'wait_available'],
        'undeploying': ['wait_available'],
    },
}
WRITE_STEPS = ('reserve', 'provision', 'drop_allocation', 'release', 'undeploy')
# Waits that only follow the user's ``wait``; the others are needed to go on with the next step.
OPTIONAL_WAITS = ('wait_active', 'wait_available')
ACTIONS = (('undeploy', 'unprovisioned'), ('provision', 'provisioned'), ('reserve', 'reserved'),
           ('release', 'released'), ('drop_allocation', 'released'))


def plan_steps(state, status):
    """Steps for one instance, or None when the instance cannot be brought to ``state`` from ``status``."""
    return PLANS[state].get(status)


def action_of(steps):
    for step, action in ACTIONS:
        if step in steps:
            return action
    return 'none'


def has_writes(steps):
    return any(step in WRITE_STEPS for step in steps or [])


def predicted_status(state, steps, status, wait):
    """The status an instance will have after its steps ran (for check mode and diff)."""
    if not has_writes(steps):
        if steps and wait and steps[-1] in OPTIONAL_WAITS:
            return 'active' if steps[-1] == 'wait_active' else 'absent'
        return status
    if state == 'absent':
        return 'absent' if wait or 'undeploy' not in steps else 'undeploying'
    if state == 'reserved':
        return 'reserved'
    return 'active' if wait else 'deploying'


class Job(object):
    """One instance's run: spec, plan, what was done (undo stack), outcome."""

    def __init__(self, spec, current, steps):
        self.spec = spec
        self.hostname = spec['hostname']
        self.current = current
        self.steps = steps
        self.undo = []            # (kind, data) in the order done
        self.error = None
        self.aborted = False
        self.started = False
        self.finished = False
        self.cleanup = []         # what clean-up did / failed to do
        self.skipped = []         # undos left out: the node is no longer this run's (also in ``cleanup``)
        self.image_info = None
        self.candidates = None
        self.assigned = None      # the node the matching gives this reservation when several are made
        self.others = set()       # the nodes it gives the other reservations of this run
        self.status_before = instance_status(current)
        # a reservation that existed before this run (Ironic deletes it on undeploy; clean-up restores it)
        self.reserved_before = self.status_before in ('reserved', 'allocating', 'deploy_failed') and \
            current.get('allocation') is not None

    @property
    def node_label(self):
        node = self.current.get('node')
        return node_label(node) if node is not None else None


class InstancesPlan(Plan):
    """The plan of a task: one ``Job`` per instance (the per-instance steps of ``PLANS``) and the difference.

    ``diff`` holds an entry per instance with writes ({status, node, image} before and after); a job may
    have steps without writes (waiting for a deployment already under way), so ``has_work``, not
    ``changed``, says whether the executor runs. ``warnings`` are for the user (an active instance whose
    image differs from the one asked for is not redeployed).

    The base's ordered ``steps`` stay empty: the instances run in parallel, each with its own steps from
    ``PLANS`` in its ``Job``. The predicted result (check mode) is ``instance_views(..., check_mode=True)``,
    which also reads the IP addresses of active instances.
    """

    def __init__(self, desired, jobs):
        super(InstancesPlan, self).__init__()
        self.desired, self.jobs = desired, jobs
        self.warnings = []

    @property
    def has_work(self):
        return any(job.steps for job in self.jobs)


def plan_instances(api, desired):
    """Find, validate and plan every instance of ``desired``; raise one InvalidInput with every problem.

    Reads only (the snapshot, checksum files, Glance, Neutron): nothing is written.
    """
    if api.nodes is None:
        api.snapshot()
    state = desired.state
    jobs, problems = [], []
    for spec in desired.specs:
        spec, current = _find(api, spec, state)
        status = instance_status(current)
        steps = plan_steps(state, status)
        job = Job(spec, current, steps)
        jobs.append(job)
        if steps is None:
            problems.append(_transition_problem(job, state, status))
            continue
        problems.extend(_validate(api, job, state))
    problems.extend(_same_instance_twice(jobs))
    problems.extend(_check_capacity(jobs))
    if problems:
        raise InvalidInput('Nothing was changed: ' + '; '.join(problems), problems=problems)
    plan = InstancesPlan(desired, jobs)
    for job in jobs:
        if state == 'present' and job.status_before == 'active':
            warning = _drift_warning(job)
            if warning:
                plan.warnings.append(warning)
        if has_writes(job.steps):
            before, after = diff_views(job, state, desired.wait)
            plan.diff.add(job.hostname, before, after)
    return plan


def _find(api, spec, state):
    """(spec, current) of one instance: by hostname; to remove one, also by the name or UUID of its node (as
    metalsmith's unprovision takes either). Found by its node, the spec carries the instance's own hostname and
    the key it was found by in ``lookup``."""
    current = api.find(spec['hostname'])
    if state == 'absent' and instance_status(current) == 'absent':
        found = api.find_by_node(spec['hostname'])
        if found is not None:
            hostname, current = found
            spec = dict(spec, hostname=hostname, lookup=spec['hostname'])
    return spec, current


def _same_instance_twice(jobs):
    """Two entries that name one instance (its hostname and its node): one job each would undeploy it twice."""
    seen, problems = {}, []
    for job in jobs:
        if job.hostname in seen:
            problems.append("instances #%d and #%d are the same instance '%s'"
                            % (seen[job.hostname], job.spec['index'], job.hostname))
        seen.setdefault(job.hostname, job.spec['index'])
    return problems


def _drift_warning(job):
    node = job.current['node']
    wanted = job.spec['image']['href'] if job.spec['image'] else None
    deployed = (node.instance_info or {}).get('image_source')
    if wanted and deployed and wanted != deployed and link_type(wanted) != 'glance':
        return ("Instance '%s' is active with image %s, not %s; it is not redeployed (set state=absent, then "
                "present, to change it)." % (job.hostname, deployed, wanted))
    return None


def _transition_problem(job, state, status):
    node = job.current.get('node')
    return ("instance '%s' is on node %s in state '%s' (provision state '%s'): cannot make it %s now; "
            "wait or fix the node first" % (job.hostname, job.node_label, status,
                                            node.provision_state if node is not None else None, state))


def _validate(api, job, state):
    spec, problems = job.spec, []
    node = job.current.get('node')
    if state == 'absent':
        if 'undeploy' in job.steps and node.is_maintenance:
            problems.append("instance '%s': node %s is in maintenance (%s); Ironic refuses to unprovision it"
                            % (job.hostname, job.node_label, node.maintenance_reason or 'no reason given'))
        return problems
    if node is not None and spec['candidates'] and not (set(spec['candidates']) & {node.id, node.name}):
        problems.append("instance '%s' is already on node %s, which is not among the requested candidates %s; "
                        "unprovision it first" % (job.hostname, job.node_label, ', '.join(spec['candidates'])))
    if 'reserve' in job.steps:
        job.candidates, problem = candidate_nodes(spec, api.nodes)
        if problem:
            problems.append("instance '%s': %s" % (job.hostname, problem))
    if 'provision' in job.steps and spec['image'] is None:
        problems.append("instance '%s' is %s: image is required to deploy it" % (job.hostname, job.status_before))
    elif 'provision' in job.steps:
        if node is not None and node.is_maintenance:
            problems.append("instance '%s': node %s is in maintenance (%s)"
                            % (job.hostname, job.node_label, node.maintenance_reason or 'no reason given'))
        try:
            job.image_info = api.image_info(spec)
            api.check_nics(spec)
        except (ValueError, not_found_error()) as exc:
            problems.append("instance '%s': %s" % (job.hostname, exc))
    return problems


def _check_capacity(jobs):
    demands = [(j.hostname, [n.id for n in j.candidates]) for j in jobs if j.candidates]
    placed = assign_nodes(demands)
    short = [hostname for hostname, dummy in demands if hostname not in placed]
    if not short:
        if len(demands) > 1:
            # Ironic picks any matching node: a loose request could take the only node a narrower one
            # can use. Each reservation first asks for the node the matching gave it.
            for job in jobs:
                if job.hostname in placed:
                    job.assigned = placed[job.hostname]
                    job.others = set(placed.values()) - {job.assigned}
        return []
    return ['not enough available nodes for every new instance: no node left for %s after the others are '
            'placed (%d instance(s) to reserve, %d matching node(s))'
            % (', '.join(short), len(demands), len(set(i for dummy, ids in demands for i in ids)))]


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------

NODE_FIELDS = ('id', 'name', 'provision_state', 'target_provision_state', 'power_state', 'is_maintenance',
               'maintenance_reason', 'last_error', 'resource_class', 'traits', 'properties', 'conductor_group',
               'allocation_id', 'instance_id', 'owner')


def node_view(node):
    """The node's fields a user needs (its instance_info and driver_info are left out: they can hold secrets)."""
    if node is None:
        return None
    view = dict((field, getattr(node, field, None)) for field in NODE_FIELDS)
    view['uuid'] = node.id
    view['is_maintenance'] = bool(node.is_maintenance)
    view['traits'] = sorted(node.traits or [])
    view['properties'] = dict(node.properties or {})
    return view


def instance_view(hostname, current, action='none', status=None, ip_addresses=None):
    """The returned dict of one instance (also used by baremetal_instance_info): metalsmith's ``Instance.to_dict()``
    keys (hostname, uuid, state, node, allocation, ip_addresses, is_deployed, is_healthy) and this collection's
    (action, status, id, name, provision_state, power_state, is_maintenance, image)."""
    node, allocation = current.get('node'), current.get('allocation')
    info = (node.instance_info or {}) if node is not None else {}
    status = status or instance_status(current)
    state = metalsmith_state(status, node)
    return dict(
        hostname=hostname,
        action=action,
        state=state,
        status=status,
        is_deployed=state in ('active', 'maintenance'),
        is_healthy=state in ('active', 'deploying') and not (node is not None and node.is_maintenance),
        id=node.id if node is not None else None,
        uuid=node.id if node is not None else None,
        name=node.name if node is not None else None,
        provision_state=node.provision_state if node is not None else None,
        power_state=node.power_state if node is not None else None,
        is_maintenance=bool(node.is_maintenance) if node is not None else None,
        node=node_view(node),
        allocation=(dict(id=allocation.id, name=allocation.name, state=allocation.state,
                         node_id=allocation.node_id, last_error=allocation.last_error)
                    if allocation is not None else None),
        image=info.get('image_source'),
        ip_addresses=ip_addresses or {},
    )


def list_instances(api, keys=None):
    """``([(view, node)], missing)``: the view (``instance_view``, with ``ip_addresses`` read for the deployed ones)
    and the node (the SDK's, or None) of each instance of ``keys`` (hostnames, node names or UUIDs), or of every
    instance, each once; and the keys that have no instance. Used by baremetal_instance_info and the inventory
    plugin. ``api`` holds a snapshot."""
    found = api.instances(keys)
    views, seen = [], set()
    for _key, hostname, current in found:
        if hostname in seen:  # a hostname and its node's name: one instance, listed once
            continue
        seen.add(hostname)
        view = instance_view(hostname, current)
        if view['is_deployed']:
            view['ip_addresses'] = api.ip_addresses(current['node'])
        views.append((view, current.get('node')))
    known = set(key for key, dummy, dummy2 in found)
    return views, [key for key in (keys or []) if key not in known]


_MISSING = object()


def node_field(node, path):
    """The value at ``path`` in a node: a field (``name``, ``id``, ``resource_class``), or a key of one of its
    dict fields (``extra.<key>``, ``properties.<key>``, ``instance_info.<key>``; nested keys joined by dots).
    ``None`` when the node lacks it."""
    if node is None or not path:
        return None
    field, dummy, rest = path.partition('.')
    value = getattr(node, field, _MISSING)
    if value is _MISSING:
        return None
    for key in rest.split('.') if rest else []:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def job_view(job, state, wait):
    """The returned dict of a job from what it knows (its last poll after a wait; the plan in check mode)."""
    status = predicted_status(state, job.steps, job.status_before, wait)
    action = action_of(job.steps) if has_writes(job.steps) else 'none'
    if status == 'absent':
        view = instance_view(job.hostname, {'node': job.current.get('node'), 'allocation': None}, action, status)
        view['image'] = None
        return view
    return instance_view(job.hostname, job.current, action, status)


def diff_views(job, state, wait):
    """(before, after) of one instance for --diff: status, node and image."""
    node = job.current.get('node')
    before = {'status': job.status_before}
    if node is not None:
        before['node'] = node_label(node)
        if (node.instance_info or {}).get('image_source'):
            before['image'] = node.instance_info['image_source']
    after = {'status': predicted_status(state, job.steps, job.status_before, wait)}
    if state == 'present' and job.spec['image']:
        after['image'] = job.spec['image']['href']
    if state != 'absent' and 'reserve' not in (job.steps or []) and node is not None:
        after['node'] = node_label(node)
    return before, after


def instance_views(api, plan, check_mode, fresh):
    """The returned ``instances``: re-read when the run did not wait (``fresh``), else from each job's last
    poll, or as planned in check mode; ``ip_addresses`` read for the active ones."""
    views = []
    for job in plan.jobs:
        if fresh and job.steps:
            view = fresh_view(api, job, action_of(job.steps))
        else:
            view = job_view(job, plan.desired.state, plan.desired.wait)
            if check_mode and plan.desired.state == 'present' and has_writes(job.steps) and job.spec['image']:
                view['image'] = job.spec['image']['href']
        if view['uuid'] and view['is_deployed']:
            view['ip_addresses'] = api.ip_addresses(job.current['node'])
        views.append(view)
    return views


def fresh_view(api, job, action):
    """The view of a job's instance in a new snapshot (the node it was on when the instance is gone)."""
    current = api.find(job.hostname)
    if instance_status(current) == 'absent' and job.current.get('node') is not None:
        node = [n for n in api.nodes if n.id == job.current['node'].id]
        return instance_view(job.hostname, {'node': node[0] if node else None, 'allocation': None}, action,
                             'absent')
    return instance_view(job.hostname, current, action)


def summary(views):
    """The result's ``msg``: '2 provisioned, 3 unchanged'."""
    counts = {}
    for view in views:
        counts[view['action']] = counts.get(view['action'], 0) + 1
    parts = ['%d %s' % (n, a) for a, n in sorted(counts.items()) if a != 'none']
    if counts.get('none'):
        parts.append('%d unchanged' % counts['none'])
    return ', '.join(parts) or 'no instances'
